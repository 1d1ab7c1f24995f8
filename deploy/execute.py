"""Carry out an approved request: verify the approvals, claim it once, dry-run, apply, record.

Only the thread that owns a deployment name may apply to it (``deploy.revisions.claim_owner``).
The claim (``put(..., only_if_absent=True)`` on ``claim:<request>:<attempt>``) is what makes a
double-click or a retried chat event apply once; a failed apply counts an attempt, so a later
click may try again. Each apply appends a revision of its deployment (``namespace/name``) and
moves the deployment's ``current`` pointer, which :mod:`deploy.rollback` steps back through.

This module must not import an SDK.
"""

from __future__ import annotations

from deploy.approval import DeploymentRequest, verify
from deploy.audit import AuditAction
from deploy.cluster import Identity, object_ref
from deploy.dashboard import dashboard_uid
from deploy.ports import DeployPorts, Outcome, audit_fields, refuse_foreign
from deploy.preflight import enforce
from deploy.render import Manifest, manifest_hash, stamp_approval
from deploy.revisions import claim_owner, push_revision, stale_objects
from domain.errors import ApprovalError, PolicyViolationError, PreflightError


def execute(
    service: DeployPorts,
    req: DeploymentRequest,
    manifests: list[Manifest],
    identity: Identity,
    *,
    actor: str,
) -> Outcome:
    """Apply a request once its approvals suffice; a repeated call applies nothing.

    Args:
        service: The deployment service (cluster, records, audit, policy).
        req: The request.
        manifests: Its manifests, as validated when requested.
        identity: The Kubernetes identity of the approver who completed it.
        actor: That approver's chat identity.

    Returns:
        waiting (more approvals needed), applied, or duplicate.

    Raises:
        ApprovalError: An approval is void or expired (audited).
        PreflightError: The dry run or apply failed (audited; a later click may retry).
    """
    target = f"{req.namespace}/{req.name}"
    audit = audit_fields(req)
    now = service.clock()
    with service.audit_failure(
        AuditAction.DENY, ApprovalError, actor=actor, target=target, result="denied", **audit
    ):
        valid = verify(
            service.policy,
            req,
            service.approvals(req.id),
            current_hash=manifest_hash(manifests),
            now=now,
        )
    base = Outcome(
        state="waiting",
        request_id=req.id,
        target=target,
        manifest_hash=req.manifest_hash,
        needed=service.policy.required_approvals,
        approvers=tuple(a.approver for a in service.approvals(req.id)),
    )
    if valid is None:
        return base
    with service.audit_failure(
        AuditAction.DENY, PolicyViolationError, actor=actor, target=target, result="denied", **audit
    ):
        refuse_foreign(claim_owner(service.records, target, req.thread_id), req.thread_id, target)
    done = service.records.get(f"deployed:{req.id}")
    attempt = int(service.records.get(f"failures:{req.id}") or 0)
    if done or not service.records.put(f"claim:{req.id}:{attempt}", actor, only_if_absent=True):
        service.record(
            AuditAction.DUPLICATE,
            actor=actor,
            target=target,
            result="skipped",
            detail="already applied or being applied",
            **audit,
        )
        previous = Outcome.model_validate_json(done) if done else base
        return previous.model_copy(update={"state": "duplicate"})
    stamped = stamp_approval(manifests, approvers=[a.approver for a in valid], at=now.isoformat())
    return _apply(service, req, stamped, identity, actor=actor, attempt=attempt, base=base)


def _apply(
    service: DeployPorts,
    req: DeploymentRequest,
    stamped: list[Manifest],
    identity: Identity,
    *,
    actor: str,
    attempt: int,
    base: Outcome,
) -> Outcome:
    target = base.target
    audit = audit_fields(req)
    impersonate = identity if service.impersonate_approver else None
    step = AuditAction.DRY_RUN
    try:
        enforce(stamped, service.checks.profile)  # the pre-flight check again, just before apply
        service.cluster.apply(manifests=stamped, dry_run=True, impersonate=impersonate)
        service.record(step, actor=actor, target=target, result="ok", **audit)
        step = AuditAction.APPLY
        result = service.cluster.apply(manifests=stamped, dry_run=False, impersonate=impersonate)
    except PreflightError as exc:
        service.records.put(f"failures:{req.id}", str(attempt + 1))
        service.record(step, actor=actor, target=target, result="error", detail=str(exc), **audit)
        raise
    stale = stale_objects(service.records, target, stamped)
    try:
        if stale:
            service.cluster.delete(manifests=stale)
    except PreflightError as exc:  # the new revision is live; a leftover is reported, not fatal
        detail = f"could not prune {', '.join(object_ref(m) for m in stale)}: {exc}"
        service.record(step, actor=actor, target=target, result="warning", detail=detail, **audit)
        stale = []
    revision = push_revision(
        service.records,
        target,
        request_id=req.id,
        manifest_hash=req.manifest_hash,
        manifests=stamped,
    )
    outcome = base.model_copy(
        update={
            "state": "applied",
            "applied": result.applied,
            "location": result.location,
            "revision": revision,
            "dashboard_url": dashboard_url(service, req.namespace, req.name),
        }
    )
    service.records.put(f"deployed:{req.id}", outcome.model_dump_json())
    service.record(
        AuditAction.APPLY,
        actor=actor,
        target=target,
        result="ok",
        detail=f"revision {revision} at {result.location}"
        + (f"; pruned {', '.join(object_ref(m) for m in stale)}" if stale else ""),
        **audit,
    )
    return outcome


def dashboard_url(service: DeployPorts, namespace: str, name: str) -> str | None:
    """Return the Grafana link of a deployment's dashboard, when Grafana is configured.

    Args:
        service: The deployment service (its Grafana URL).
        namespace: The deployment's namespace.
        name: The deployment name.

    Returns:
        The URL or None.
    """
    if not service.grafana_url:
        return None
    return f"{service.grafana_url.rstrip('/')}/d/{dashboard_uid(namespace, name)}"
