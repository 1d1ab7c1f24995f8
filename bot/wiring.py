"""Builds the conversation flow's dependencies from :class:`~bot.settings.Settings`.

The one place that knows concrete implementations: the state store (Redis when
``PREFLIGHT_STATE__REDIS_URL`` is set, else in-process), understanding (with the LLM client when
``PREFLIGHT_LLM__URL`` is set), the recommendation engine and its context, the chart, and the
deployment service (dry-run folder or a real cluster) behind the flow's deployer port. Heavy
modules are imported inside the builders so ``preflight`` commands that need none start fast.
It must not hold conversation logic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from bot.flow import ConversationFlow
from bot.flow_ports import (
    DeployResult,
    DeployStatus,
    FlowDependencies,
    Recommender,
    Understander,
)
from bot.settings import Settings
from bot.state import StateStore
from domain.catalog import ModelSpec
from domain.recommendation import RecommendedOption
from domain.requirements import Requirements

if TYPE_CHECKING:
    from deploy.service import DeploymentService
    from recommend.context import RecommendContext


def build_flow(
    settings: Settings,
    *,
    context: RecommendContext | None = None,
    store: StateStore | None = None,
    recommender: Recommender | None = None,
) -> ConversationFlow:
    """The conversation flow with every dependency the settings ask for.

    Args:
        settings: Preflight's settings.
        context: A recommendation context already built (it is read-only and shareable);
            built from the settings when None.
        store: A state store already built; from the settings when None.
        recommender: A recommender already built (it caches answers; tests share one).

    Returns:
        A ready flow.

    Raises:
        ConfigurationError: When a setting cannot be used.
    """
    from bot.chart import cost_latency_png
    from bot.deploy_wiring import deployment_service
    from bot.flow_engine import EngineRecommender
    from recommend.context import default_context

    if context is None:
        context = default_context(
            price_file=settings.knowledge.price_file,
            inventory_file=settings.knowledge.inventory_file,
        )
    deps = FlowDependencies(
        understander=build_understander(settings, context.models),
        recommender=recommender or EngineRecommender(context),
        deployer=ServiceDeployer(deployment_service(settings), settings=settings),
        chart=cost_latency_png,
        task_defaults=context.task_defaults.get,
    )
    return ConversationFlow(store=store or build_store(settings), deps=deps)


def build_store(settings: Settings) -> StateStore:
    """Redis when a URL is configured, else the in-process store.

    Args:
        settings: Preflight's settings.

    Returns:
        The state store.
    """
    if settings.state.redis_url is None:
        from bot.state_memory import InMemoryStateStore

        return InMemoryStateStore(ttl_s=settings.state.ttl_s)
    from bot.state_redis import RedisStateStore

    return RedisStateStore(
        url=settings.state.redis_url.get_secret_value(), ttl_s=settings.state.ttl_s
    )


def build_understander(settings: Settings, models: Mapping[str, ModelSpec]) -> Understander:
    """Understanding bound to the model catalog (and the LLM client when configured).

    Args:
        settings: Preflight's settings.
        models: The model catalog.

    Returns:
        The understander.
    """
    from bot.understanding import TextUnderstander

    if not settings.llm.url:
        return TextUnderstander(models=models)
    from bot.llm_client import LlmClient

    return TextUnderstander(models=models, extractor=LlmClient(settings.llm))


class ServiceDeployer:
    """The deployment service as the flow's :class:`~bot.flow_ports.Deployer`.

    Args:
        service: The deployment service.
        settings: Where deployments go (the first allowed namespace).
    """

    def __init__(self, service: DeploymentService, *, settings: Settings) -> None:
        self._service = service
        self._namespace = settings.cluster.allowed_namespaces[0]

    def request(
        self,
        *,
        thread: str,
        requester: str,
        option: RecommendedOption,
        requirements: Requirements,
    ) -> DeployResult:
        """Plan, render, validate and record a request (see the port)."""
        from deploy.plan import plan_for

        plan = plan_for(option, namespace=self._namespace, requester=requester, thread_id=thread)
        request = self._service.request(plan)
        return DeployResult(
            request_id=request.id,
            status=DeployStatus.AWAITING_APPROVAL,
            message=(
                f"Requested {request.namespace}/{request.name}: manifests validated "
                f"(sha256 {request.manifest_hash[:12]}). Waiting for an approver"
                + ("." if self._service.policy.allow_self_approval else f" other than {requester}.")
            ),
        )

    def approve(self, *, request_id: str, approver: str) -> DeployResult:
        """Approve and apply once approvals suffice (see the port)."""
        from deploy.approval import ChatIdentity

        outcome = self._service.approve(request_id, approver=ChatIdentity(user=approver))
        if outcome.state == "waiting":
            got = len(outcome.approvers)
            return DeployResult(
                request_id=request_id,
                status=DeployStatus.AWAITING_APPROVAL,
                message=f"Approved by {approver}; {got} of {outcome.needed} approvals so far.",
            )
        links = {"Applied to": outcome.location} if outcome.location else {}
        if outcome.dashboard_url:
            links["Dashboard"] = outcome.dashboard_url
        result = self.status(request_id=request_id)
        verb = "Already deployed" if outcome.state == "duplicate" else "Deployed"
        return result.model_copy(
            update={
                "message": f"{verb} {outcome.target} (revision {outcome.revision}). "
                + result.message,
                "links": {**links, **result.links},
            }
        )

    def rollback(self, *, request_id: str, actor: str) -> DeployResult:
        """Roll the request's deployment back one revision (see the port)."""
        from deploy.approval import ChatIdentity
        from deploy.rollback import rollback

        request = self._service.get_request(request_id)
        outcome = rollback(
            self._service,
            namespace=request.namespace,
            name=request.name,
            actor=ChatIdentity(user=actor),
        )
        done = "re-applied the previous revision" if outcome.action == "reapplied" else "removed it"
        return DeployResult(
            request_id=request_id,
            status=DeployStatus.ROLLED_BACK,
            message=f"Rolled back {outcome.target}: {done}.",
        )

    def status(self, *, request_id: str) -> DeployResult:
        """Where the request's deployment stands (see the port)."""
        request = self._service.get_request(request_id)
        found = self._service.cluster.status(namespace=request.namespace, name=request.name)
        if not found.exists:
            status, message = DeployStatus.AWAITING_APPROVAL, "Not applied yet."
        elif found.ready:
            status, message = DeployStatus.DEPLOYED, "Ready."
        else:
            status, message = DeployStatus.DEPLOYING, "Rolling out; not ready yet."
        details = "; ".join(found.conditions[:2])
        links = {"Endpoint": found.url} if found.url else {}
        return DeployResult(
            request_id=request_id,
            status=status,
            message=f"{message} {details}".strip(),
            links=links,
        )
