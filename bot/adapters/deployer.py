"""The deployment service behind the conversation's :class:`~bot.conversation.ports.Deployer` port.

Plans come from :func:`bot.deploy_wiring.build_plan`, the one plan builder every entry point uses,
so a chat deploy renders what ``preflight deploy render`` renders for the same option and
settings. A chat deployment is named for its thread (:func:`deploy.plan.thread_scoped_name`), so
threads never share objects. Approvals carry the manifest hash the approver was shown; chat users
get the groups they are mapped to (``cluster.identity_groups``) for ``group:<name>`` approvers.

Each thread's workspace (:func:`bot.conversation.thread_keys.workspace_of`) picks its tenant's
service (``settings.tenants``): its namespaces, approvers, GPUs, records and audit trail, built
on first use over the same cluster and record store. A request id is looked up only among the
records of the thread's tenant, so no tenant can approve, roll back or read another's request.
It must not hold deployment logic: that lives in ``deploy``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.conversation.ports import DeployResult, DeployStatus
from bot.conversation.thread_keys import workspace_of
from bot.deploy_wiring import TenantServices, build_plan, settings_for
from bot.settings import Settings
from deploy.plan import thread_scoped_name
from deploy.preflight import check
from deploy.revisions import standing
from domain.recommendation import RecommendedOption
from domain.requirements import Requirements

if TYPE_CHECKING:
    from deploy.service import DeploymentService


class ServiceDeployer:
    """The deployment service as the flow's :class:`~bot.conversation.ports.Deployer`.

    Args:
        service: The deployment service.
        settings: The cluster settings every plan is built with (image, autoscaler, target,
            token secret, namespace) — the same builder the CLI uses.
    """

    def __init__(self, service: DeploymentService, *, settings: Settings) -> None:
        self._settings = settings
        self._services = TenantServices(settings, shared=service)

    def _service(self, thread: str) -> DeploymentService:
        """The service of the thread's tenant (the install's when it has none)."""
        return self._services.for_thread(thread)

    def request(
        self,
        *,
        thread: str,
        requester: str,
        option: RecommendedOption,
        requirements: Requirements,
    ) -> DeployResult:
        """Plan, render, validate and record a request (see the port)."""

        service = self._service(thread)
        plan = build_plan(
            settings_for(self._settings, workspace_of(thread)),
            option,
            namespace=None,
            name=thread_scoped_name(option.model, option.gpu_family, thread) if thread else None,
            autoscaler=None,
            requester=requester,
            thread=thread,
        )
        request = service.request(plan)
        policy = service.policy
        unchecked = [
            f" Not checked [{finding.rule}]: {finding.reason}."
            for finding in check(service.manifests_of(request.id), service.checks.profile)
            if finding.kind == "unchecked"
        ]
        return DeployResult(
            request_id=request.id,
            status=DeployStatus.AWAITING_APPROVAL,
            manifest_hash=request.manifest_hash,
            target=f"{request.namespace}/{request.name}",
            requester=request.requester,
            may_approve=list(
                policy.approvers.get(request.namespace, policy.approvers.get("*", []))
            ),
            expires_at=request.created_at + timedelta(seconds=policy.expiry_s),
            dry_run=self._dry_run,
            message=(
                f"Requested {request.namespace}/{request.name}: manifests validated "
                f"(sha256 {request.manifest_hash[:12]}). Waiting for an approver"
                + ("." if policy.allow_self_approval else f" other than {requester}.")
                + "".join(f" Note: {note}." for note in plan.notes)
                + "".join(unchecked)
            ),
        )

    def approve(
        self, *, request_id: str, approver: str, seen_hash: str, thread: str = ""
    ) -> DeployResult:
        """Approve and apply once approvals suffice (see the port)."""
        service = self._service(thread)
        request = service.get_request(request_id)
        full = request.manifest_hash
        bound = full if len(seen_hash) >= 12 and full.startswith(seen_hash) else seen_hash
        outcome = service.approve(
            request_id,
            approver=service.identities.chat_identity(approver),
            seen_hash=bound or "-",
        )
        if outcome.state == "waiting":
            got = len(outcome.approvers)
            return DeployResult(
                request_id=request_id,
                status=DeployStatus.AWAITING_APPROVAL,
                manifest_hash=full,
                message=f"Approved by {approver}; {got} of {outcome.needed} approvals so far.",
                target=outcome.target,
                requester=request.requester,
                approvers=list(outcome.approvers),
                dry_run=self._dry_run,
            )
        links = {"Applied to": outcome.location} if outcome.location else {}
        if outcome.dashboard_url:
            links["Dashboard"] = outcome.dashboard_url
        result = self.status(request_id=request_id, thread=thread)
        verb = "Already deployed" if outcome.state == "duplicate" else "Deployed"
        return result.model_copy(
            update={
                "message": f"{verb} {outcome.target} (revision {outcome.revision}). "
                + result.message,
                "links": {**links, **result.links},
                "approvers": list(outcome.approvers) or [approver],
            }
        )

    def rollback(self, *, request_id: str, actor: str, thread: str) -> DeployResult:
        """Roll the request's deployment back one revision (see the port)."""
        from deploy.rollback import rollback

        service = self._service(thread)
        request = service.get_request(request_id)
        outcome = rollback(
            service,
            namespace=request.namespace,
            name=request.name,
            actor=service.identities.chat_identity(actor),
            thread_id=thread,
        )
        done = "re-applied the previous revision" if outcome.action == "reapplied" else "removed it"
        return DeployResult(
            request_id=request_id,
            status=DeployStatus.ROLLED_BACK,
            message=f"Rolled back {outcome.target}: {done}.",
            target=outcome.target,
            requester=request.requester,
            dry_run=self._dry_run,
        )

    def status(self, *, request_id: str, thread: str = "") -> DeployResult:
        """Where the request's deployment stands (see the port)."""

        service = self._service(thread)
        request = service.get_request(request_id)
        target = f"{request.namespace}/{request.name}"
        found = service.cluster.status(namespace=request.namespace, name=request.name)
        where = standing(service.records, target, request_id)
        if where in ("rolled back", "superseded"):
            status, message = (
                DeployStatus.ROLLED_BACK,
                (
                    f"{where.capitalize()}: this request's manifests are no longer in place; "
                    "an approval applies them again."
                ),
            )
        elif not found.exists:
            status, message = (
                DeployStatus.AWAITING_APPROVAL,
                "Not in place (not applied yet, or removed by a rollback); an approval applies it.",
            )
        elif found.ready:
            status, message = DeployStatus.DEPLOYED, "Ready."
        else:
            status, message = DeployStatus.DEPLOYING, "Rolling out; not ready yet."
        details = "; ".join(found.conditions[:2])
        links = {"Endpoint": found.url} if found.url else {}
        return DeployResult(
            request_id=request_id,
            status=status,
            manifest_hash=request.manifest_hash,
            message=f"{message} {details}".strip(),
            links=links,
            target=f"{request.namespace}/{request.name}",
            requester=request.requester,
            dry_run=self._dry_run,
        )

    @property
    def _dry_run(self) -> bool:
        """Whether manifests are only written to a folder (the embedded default)."""
        return self._settings.cluster.mode != "api"
