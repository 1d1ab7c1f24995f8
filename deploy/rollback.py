"""Roll a deployment back one revision: re-apply the previous one, or delete a first deployment.

Revisions are kept per deployment (``namespace/name``) by :class:`deploy.ports.DeployPorts`
as it applies. Rolling back changes production as much as deploying does, so the actor must be
someone the approval policy lists for the namespace (``cluster.approvers``, users or mapped
groups), and their Kubernetes identity must hold the permissions it uses (a
SubjectAccessReview); "could not check" stops it. From a chat thread, only the thread that owns
the deployment may roll it back. Objects the current revision has and the previous one lacks are
deleted. The rolled-back request's approvals and apply claims are cleared, so it can be approved
and deployed again; rolling back a first deployment frees its name. Every rollback is audited.

This module must not import an SDK.
"""

from __future__ import annotations

from typing import Literal

from deploy.approval import ChatIdentity, may_approve
from deploy.audit import AuditAction
from deploy.cluster import object_ref, permissions_needed
from deploy.ports import DeployPorts, refuse_foreign
from deploy.records import RecordStore
from deploy.render import Manifest
from deploy.revisions import missing_from, owner_of, release_owner, revisions
from domain.base import Frozen
from domain.errors import (
    ApprovalError,
    InvalidInputError,
    PermissionDeniedError,
    PolicyViolationError,
    PreflightError,
)


class RollbackOutcome(Frozen):
    """What a rollback did."""

    target: str
    action: Literal["reapplied", "deleted"]
    revision: int | None = None
    manifest_hash: str = ""
    removed: tuple[str, ...] = ()


def rollback(
    service: DeployPorts,
    *,
    namespace: str,
    name: str,
    actor: ChatIdentity,
    thread_id: str | None = None,
) -> RollbackOutcome:
    """Roll a deployment back one revision.

    Args:
        service: The deployment service.
        namespace: The deployment's namespace.
        name: Its name.
        actor: Who asked (chat identity with mapped groups; checked against the approver list,
            then mapped to Kubernetes and checked).
        thread_id: The chat thread asking; None for an operator at the command line.

    Returns:
        What was done.

    Raises:
        InvalidInputError: Nothing deployed by Preflight is in place there.
        ApprovalError: The actor is not an approver for the namespace (audited).
        PolicyViolationError: Another thread owns the deployment (audited).
        PermissionDeniedError: RBAC denies the actor (audited).
        CouldNotCheckError: RBAC could not be asked (audited); nothing changes.
    """
    target = f"{namespace}/{name}"
    items, current = revisions(service.records, target)
    if current is None:
        raise InvalidInputError(f"nothing deployed by Preflight is in place at {target}")
    now_manifests: list[Manifest] = items[current]["manifests"]
    previous = items[current - 1] if current > 0 else None
    keep: list[Manifest] = previous["manifests"] if previous else []
    extra = missing_from(now_manifests, keep)
    needs = permissions_needed(keep) + permissions_needed(extra, verbs=("delete",))
    audit = {"manifest_hash": previous["manifest_hash"] if previous else "", "request_id": ""}
    with service.audit_failure(
        AuditAction.ROLLBACK,
        (ApprovalError, PolicyViolationError, PermissionDeniedError),
        actor=actor.user,
        target=target,
        result="denied",
        **audit,
    ):
        if thread_id is not None:
            refuse_foreign(owner_of(service.records, target), thread_id, target)
        if not may_approve(service.policy, namespace, actor):
            raise ApprovalError(
                f"{actor.user} may not roll back deployments in {namespace}",
                hint="ask someone listed in cluster.approvers for that namespace",
            )
        identity = service.identities.to_kubernetes(actor.user)
        service.check_access(identity, needs, actor=actor.user, target=target, audit=audit)
    impersonate = identity if service.impersonate_approver else None
    with service.audit_failure(
        AuditAction.ROLLBACK,
        PreflightError,
        actor=actor.user,
        target=target,
        result="error",
        **audit,
    ):
        if keep:
            service.cluster.apply(manifests=keep, dry_run=True, impersonate=impersonate)
            service.cluster.apply(manifests=keep, dry_run=False, impersonate=impersonate)
        if extra:
            service.cluster.delete(manifests=extra)
    service.records.put(f"current:{target}", str(current - 1))
    forget_applied(service.records, items[current]["request_id"])
    if previous is None:
        release_owner(service.records, target)
    outcome = RollbackOutcome(
        target=target,
        action="reapplied" if previous else "deleted",
        revision=current - 1 if previous else None,
        manifest_hash=audit["manifest_hash"],
        removed=tuple(object_ref(m) for m in extra),
    )
    detail = f"to revision {current - 1}" if previous else "deleted the first deployment"
    service.record(
        AuditAction.ROLLBACK, actor=actor.user, target=target, result="ok", detail=detail, **audit
    )
    return outcome


def forget_applied(records: RecordStore, request_id: str) -> None:
    """Clear a rolled-back request's approvals, apply claims and result, so it can be redone.

    Args:
        records: The record store.
        request_id: The request whose revision was rolled back.
    """
    attempts = int(records.get(f"failures:{request_id}") or 0)
    claims = [f"claim:{request_id}:{attempt}" for attempt in range(attempts + 1)]
    records.delete(
        f"approvals:{request_id}", f"deployed:{request_id}", f"failures:{request_id}", *claims
    )
