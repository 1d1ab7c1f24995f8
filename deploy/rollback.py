"""Roll a deployment back one revision: re-apply the previous one, or delete a first deployment.

Revisions are kept per deployment (``namespace/name``) by :class:`deploy.service.DeploymentService`
as it applies. Rolling back needs no new approval (it returns to something approved before, or
removes what was approved) but the actor's Kubernetes identity must hold the permissions it
uses (a SubjectAccessReview), and "could not check" stops it. Objects the current revision has
and the previous one lacks are deleted. Every rollback is in the audit trail.

This module must not import an SDK.
"""

from __future__ import annotations

from typing import Literal

from deploy.approval import ChatIdentity
from deploy.audit import AuditAction
from deploy.cluster import object_ref, permissions_needed
from deploy.render import Manifest
from deploy.revisions import missing_from, revisions
from deploy.service import DeploymentService
from domain.base import Frozen
from domain.errors import InvalidInputError, PermissionDeniedError, PreflightError


class RollbackOutcome(Frozen):
    """What a rollback did."""

    target: str
    action: Literal["reapplied", "deleted"]
    revision: int | None = None
    manifest_hash: str = ""
    removed: tuple[str, ...] = ()


def rollback(
    service: DeploymentService, *, namespace: str, name: str, actor: ChatIdentity
) -> RollbackOutcome:
    """Roll a deployment back one revision.

    Args:
        service: The deployment service.
        namespace: The deployment's namespace.
        name: Its name.
        actor: Who asked (chat identity; mapped to Kubernetes and checked).

    Returns:
        What was done.

    Raises:
        InvalidInputError: Nothing deployed by Preflight is in place there.
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
        PermissionDeniedError,
        actor=actor.user,
        target=target,
        result="denied",
        **audit,
    ):
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
