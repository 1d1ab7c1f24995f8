"""The deployment service: request → approve (policy + RBAC) → dry-run → apply → watch → done.

One request per (thread, manifest hash); one apply per request, whatever the number of clicks
or retried events (an atomic claim in the record store); every step in the audit trail. A
request holds the exact manifests validated when it was made, so what is applied is what was
approved (the approvals are verified against their hash just before applying). Each apply is a
revision of its deployment (``namespace/name``); :mod:`deploy.rollback` steps back through them.

This module must not import an SDK: the cluster, the records and the audit are ports.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from deploy.approval import (
    Approval,
    ApprovalPolicy,
    ChatIdentity,
    DeploymentRequest,
    IdentityMap,
    grant,
    request_id,
)
from deploy.audit import AuditAction, AuditEvent, AuditLog, now_utc
from deploy.cluster import ApplyResult, Cluster, Identity, Permission, permissions_needed
from deploy.plan import DeploymentPlan
from deploy.preflight import enforce
from deploy.records import RecordStore
from deploy.render import Manifest, manifest_hash, render
from deploy.revisions import owner_of, stale_objects
from deploy.validate import PlanChecks, validate_plan
from domain.base import Frozen
from domain.errors import (
    ApprovalError,
    BackendUnavailableError,
    CouldNotCheckError,
    InvalidInputError,
    PermissionDeniedError,
    PolicyViolationError,
    UserFacingError,
)


class Outcome(Frozen):
    """What an approval click led to."""

    state: Literal["waiting", "applied", "duplicate"] = Field(
        description="waiting for more approvals, applied now, or already applied/applying."
    )
    request_id: str
    target: str = Field(description="'namespace/name'.")
    manifest_hash: str
    approvers: tuple[str, ...] = ()
    needed: int = 1
    applied: tuple[str, ...] = ()
    location: str = ""
    revision: int | None = None
    dashboard_url: str | None = None


def prepare(plan: DeploymentPlan, checks: PlanChecks) -> list[Manifest]:
    """Render a plan and run the pre-flight check, policy and schemas, before anything is shown.

    Args:
        plan: The validated plan.
        checks: Operator policy and the cluster profile.

    Returns:
        The validated objects.

    Raises:
        PolicyViolationError: A pre-flight rule or a policy refuses (naming the rule).
        InvalidInputError: An object does not validate.
    """
    manifests = render(plan)
    enforce(manifests, checks.profile)
    validate_plan(plan, manifests, checks)
    return manifests


def refuse_foreign(owner: str | None, thread_id: str, target: str) -> None:
    """Refuse to touch a deployment that another conversation thread owns.

    Args:
        owner: The owning thread (None: nobody owns it).
        thread_id: The thread acting.
        target: 'namespace/name'.

    Raises:
        PolicyViolationError: Another thread owns it.
    """
    if owner is not None and owner != thread_id:
        raise PolicyViolationError(
            f"{target} belongs to another conversation; this one may not change it",
            hint="deploy under another name, or act from the thread that deployed it",
        )


def audit_fields(req: DeploymentRequest) -> dict[str, str]:
    """Return the audit fields that identify a request.

    Args:
        req: The request.

    Returns:
        manifest_hash, request_id and thread_id.
    """
    return {"manifest_hash": req.manifest_hash, "request_id": req.id, "thread_id": req.thread_id}


@dataclass
class DeploymentService:
    """Runs deployments through approval to a cluster, keeping records and an audit trail."""

    cluster: Cluster
    records: RecordStore
    audit: AuditLog
    policy: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    identities: IdentityMap = field(default_factory=IdentityMap)
    checks: PlanChecks = field(default_factory=PlanChecks)
    impersonate_approver: bool = False
    grafana_url: str | None = None
    clock: Callable[[], datetime] = now_utc

    def record(
        self, action: AuditAction, *, actor: str, target: str, result: str, **kw: str
    ) -> None:
        """Append one event to the audit trail.

        Args:
            action: What happened.
            actor: Who.
            target: 'namespace/name'.
            result: ok, denied, error, waiting ...
            **kw: manifest_hash, request_id, thread_id, detail.
        """
        event = AuditEvent(
            at=self.clock(), action=action, actor=actor, target=target, result=result, **kw
        )
        self.audit.append(event)

    @contextmanager
    def audit_failure(
        self,
        action: AuditAction,
        errors: type[Exception] | tuple[type[Exception], ...],
        *,
        actor: str,
        target: str,
        result: str,
        **kw: str,
    ) -> Iterator[None]:
        """Run the block; if it raises one of ``errors``, audit it (the error as detail), re-raise.

        Args:
            action: What was attempted.
            errors: The errors that are audited.
            actor: Who.
            target: 'namespace/name'.
            result: How the failure is recorded (denied, refused, error ...).
            **kw: manifest_hash, request_id, thread_id.

        Yields:
            Nothing.
        """
        try:
            yield
        except errors as exc:
            self.record(action, actor=actor, target=target, result=result, detail=str(exc), **kw)
            raise

    def request(self, plan: DeploymentPlan) -> DeploymentRequest:
        """Render, validate and record a deployment request (idempotent per thread and manifests).

        Args:
            plan: The validated plan; ``plan.requester`` asks.

        Returns:
            The request (the existing one when the same thread asked for the same manifests
            within the approval expiry; an expired one is renewed).

        Raises:
            PolicyViolationError: A policy is broken (audited as refused).
            InvalidInputError: An object does not validate (audited as refused).
        """
        target = f"{plan.namespace}/{plan.name}"
        with self.audit_failure(
            AuditAction.REQUEST,
            UserFacingError,
            actor=plan.requester,
            target=target,
            result="refused",
            thread_id=plan.thread_id,
        ):
            manifests = prepare(plan, self.checks)
            refuse_foreign(owner_of(self.records, target), plan.thread_id, target)
        digest = manifest_hash(manifests)
        rid = request_id(plan.thread_id, digest)
        req = DeploymentRequest(
            id=rid,
            thread_id=plan.thread_id,
            namespace=plan.namespace,
            name=plan.name,
            requester=plan.requester,
            manifest_hash=digest,
            option_hash=plan.option_hash,
            created_at=self.clock(),
        )
        self.records.put(f"manifests:{rid}", json.dumps(manifests), only_if_absent=True)
        if not self.records.put(f"request:{rid}", req.model_dump_json(), only_if_absent=True):
            existing = self.get_request(rid)
            if req.created_at - existing.created_at <= timedelta(seconds=self.policy.expiry_s):
                return existing
            self.records.put(f"request:{rid}", req.model_dump_json())  # renew an expired one
        self.record(
            AuditAction.REQUEST,
            actor=plan.requester,
            target=target,
            result="ok",
            manifest_hash=digest,
            request_id=rid,
            thread_id=plan.thread_id,
        )
        return req

    def get_request(self, rid: str) -> DeploymentRequest:
        """Return a recorded request.

        Args:
            rid: The request id.

        Returns:
            The request.

        Raises:
            InvalidInputError: When no such request exists.
        """
        raw = self.records.get(f"request:{rid}")
        if raw is None:
            raise InvalidInputError(f"no deployment request {rid!r}", hint="request it again")
        return DeploymentRequest.model_validate_json(raw)

    def manifests_of(self, rid: str) -> list[Manifest]:
        """Return the manifests a request holds.

        Args:
            rid: The request id.

        Returns:
            The objects as validated when requested.
        """
        raw = self.records.get(f"manifests:{rid}")
        if raw is None:
            raise InvalidInputError(f"no manifests for request {rid!r}")
        manifests: list[Manifest] = json.loads(raw)
        return manifests

    def approve(self, rid: str, *, approver: ChatIdentity, seen_hash: str | None = None) -> Outcome:
        """Approve a request; apply it once enough approvals are in.

        Args:
            rid: The request id (from the chat button).
            approver: Who clicked.
            seen_hash: The manifest hash the approver was shown; the request's when None.

        Returns:
            waiting, applied, or duplicate (another click already applied it).

        Raises:
            ApprovalError: Self-approval, not an approver, voided or expired (audited).
            PermissionDeniedError: RBAC denies the approver; ``missing`` lists what (audited).
            CouldNotCheckError: RBAC could not be asked; nothing is applied (audited).
            BackendUnavailableError: The cluster failed during apply (audited; may be retried).
        """
        req = self.get_request(rid)
        manifests = self.manifests_of(rid)
        audit = audit_fields(req)
        target = f"{req.namespace}/{req.name}"
        with self.audit_failure(
            AuditAction.DENY,
            (ApprovalError, PermissionDeniedError),
            actor=approver.user,
            target=target,
            result="denied",
            **audit,
        ):
            identity = self.identities.to_kubernetes(approver.user)
            approval = grant(
                self.policy,
                req,
                approver=approver,
                kubernetes_user=identity.user,
                seen_hash=seen_hash or req.manifest_hash,
                now=self.clock(),
            )
            stale = stale_objects(self.records, target, manifests)
            self.check_access(
                identity,
                permissions_needed(manifests) + permissions_needed(stale, verbs=("delete",)),
                actor=approver.user,
                target=target,
                audit=audit,
            )
        if approver.user not in {a.approver for a in self.approvals(rid)}:
            self.records.append(f"approvals:{rid}", approval.model_dump_json())
        self.record(
            AuditAction.APPROVE,
            actor=approver.user,
            target=target,
            result="ok",
            detail=f"as {identity.user}",
            **audit,
        )
        from deploy.execute import execute  # execute builds on this module: import at use

        return execute(self, req, manifests, identity, actor=approver.user)

    def check_access(
        self,
        identity: Identity,
        needs: Sequence[Permission],
        *,
        actor: str,
        target: str,
        audit: dict[str, str],
    ) -> None:
        """Ask the cluster whether ``identity`` holds ``needs``; "could not check" never allows.

        Args:
            identity: The Kubernetes identity.
            needs: The permissions needed.
            actor: The chat user, for the audit.
            target: 'namespace/name', for the audit.
            audit: Extra audit fields.

        Raises:
            PermissionDeniedError: Some permissions are missing (listed).
            CouldNotCheckError: The check could not be made (audited here).
        """
        try:
            access = self.cluster.check_access(identity=identity, needs=needs)
        except BackendUnavailableError as exc:
            self.record(
                AuditAction.COULD_NOT_CHECK,
                actor=actor,
                target=target,
                result="error",
                detail=str(exc),
                **audit,
            )
            if isinstance(exc, CouldNotCheckError):
                raise
            raise CouldNotCheckError(exc.service, exc.detail) from exc
        if not access.allowed:
            raise PermissionDeniedError(
                f"{actor} (as Kubernetes user {identity.user}) may not deploy to {target}",
                missing=[str(p) for p in access.missing],
            )

    def dry_run(self, plan: DeploymentPlan, *, approver: ChatIdentity) -> ApplyResult:
        """Validate a plan, check the approver's access and server-side dry-run it; apply nothing.

        Args:
            plan: The validated plan.
            approver: Whose access to check.

        Returns:
            What the dry run admitted.

        Raises:
            PolicyViolationError, InvalidInputError: The plan is refused.
            PermissionDeniedError, CouldNotCheckError: As for :meth:`approve`.
        """
        manifests = prepare(plan, self.checks)
        target = f"{plan.namespace}/{plan.name}"
        identity = self.identities.to_kubernetes(approver.user)
        fields = {"manifest_hash": manifest_hash(manifests), "thread_id": plan.thread_id}
        needs = permissions_needed(manifests)
        self.check_access(identity, needs, actor=approver.user, target=target, audit=fields)
        result = self.cluster.apply(manifests=manifests, dry_run=True)
        self.record(AuditAction.DRY_RUN, actor=approver.user, target=target, result="ok", **fields)
        return result

    def approvals(self, rid: str) -> list[Approval]:
        """Return the approvals given for a request, oldest first.

        Args:
            rid: The request id.

        Returns:
            The approvals.
        """
        return [Approval.model_validate_json(raw) for raw in self.records.items(f"approvals:{rid}")]
