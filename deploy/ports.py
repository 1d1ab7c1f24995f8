"""The ports of the deployment side and the few operations every step shares.

:class:`DeployPorts` holds the cluster, the records, the audit trail, the approval policy, the
identity map and the plan checks, with what every step does with them: audit an event, audit a
failure, check access, read approvals. :mod:`deploy.execute`, :mod:`deploy.rollback` and
:mod:`deploy.watch` depend on it alone; :class:`deploy.service.DeploymentService` extends it with
the request/approve workflow, so nothing below the service imports the service.

This module must not import an SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import Field

from deploy.approval import Approval, ApprovalPolicy, DeploymentRequest, IdentityMap
from deploy.audit import AuditAction, AuditEvent, AuditLog, now_utc
from deploy.cluster import Cluster, Identity, Permission
from deploy.records import RecordStore
from deploy.validate import PlanChecks
from domain.base import Frozen
from domain.errors import (
    BackendUnavailableError,
    CouldNotCheckError,
    PermissionDeniedError,
    PolicyViolationError,
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
class DeployPorts:
    """The cluster, records and audit trail with the policy around them: what the deployment
    service, :mod:`deploy.execute`, :mod:`deploy.rollback` and :mod:`deploy.watch` share."""

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

    def approvals(self, rid: str) -> list[Approval]:
        """Return the approvals given for a request, oldest first.

        Args:
            rid: The request id.

        Returns:
            The approvals.
        """
        return [Approval.model_validate_json(raw) for raw in self.records.items(f"approvals:{rid}")]
