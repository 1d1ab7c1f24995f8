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
from datetime import timedelta

from deploy.approval import (
    ChatIdentity,
    DeploymentRequest,
    grant,
    request_id,
)
from deploy.audit import AuditAction
from deploy.cluster import ApplyResult, permissions_needed
from deploy.execute import execute
from deploy.plan import DeploymentPlan
from deploy.ports import DeployPorts, Outcome, audit_fields, refuse_foreign
from deploy.preflight import enforce
from deploy.render import Manifest, manifest_hash, render
from deploy.revisions import owner_of, stale_objects
from deploy.validate import PlanChecks, validate_plan
from domain.errors import (
    ApprovalError,
    InvalidInputError,
    PermissionDeniedError,
    UserFacingError,
)


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


class DeploymentService(DeployPorts):
    """Runs deployments through approval to a cluster, keeping records and an audit trail.

    The ports (cluster, records, audit, policy ...) and what execute/rollback/watch use of them
    live in :class:`deploy.ports.DeployPorts`; this class adds the request/approve workflow.
    """

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
        req = self._request_of(plan, digest)
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
        return execute(self, req, manifests, identity, actor=approver.user)

    def _request_of(self, plan: DeploymentPlan, digest: str) -> DeploymentRequest:
        return DeploymentRequest(
            id=request_id(plan.thread_id, digest),
            thread_id=plan.thread_id,
            namespace=plan.namespace,
            name=plan.name,
            requester=plan.requester,
            manifest_hash=digest,
            option_hash=plan.option_hash,
            created_at=self.clock(),
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
            ApprovalError: The approval policy refuses this approver (audited), as it would for
                the real apply (self-approval, not a listed approver).
            PermissionDeniedError, CouldNotCheckError: As for :meth:`approve`.
        """
        manifests = prepare(plan, self.checks)
        target = f"{plan.namespace}/{plan.name}"
        digest = manifest_hash(manifests)
        fields = {"manifest_hash": digest, "thread_id": plan.thread_id}
        with self.audit_failure(
            AuditAction.DENY,
            ApprovalError,
            actor=approver.user,
            target=target,
            result="denied",
            **fields,
        ):  # the approval policy holds for a dry run as for the real apply
            identity = self.identities.to_kubernetes(approver.user)
            grant(
                self.policy,
                self._request_of(plan, digest),
                approver=approver,
                kubernetes_user=identity.user,
                seen_hash=digest,
                now=self.clock(),
            )
        needs = permissions_needed(manifests)
        self.check_access(identity, needs, actor=approver.user, target=target, audit=fields)
        result = self.cluster.apply(manifests=manifests, dry_run=True)
        self.record(AuditAction.DRY_RUN, actor=approver.user, target=target, result="ok", **fields)
        return result
