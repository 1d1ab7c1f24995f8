"""Builds the conversation flow's dependencies from :class:`~bot.settings.Settings`.

The one place that knows concrete implementations: the state store and the inbox (Redis when
``PREFLIGHT_STATE__REDIS_URL`` is set, else in-process), understanding (with the LLM client when
``PREFLIGHT_LLM__URL`` is set), the recommendation engine and its context (with the model registry
of ``PREFLIGHT_KNOWLEDGE__HF_ENDPOINT`` for models outside the catalog), the chart, and the
deployment service (dry-run folder or a real cluster) behind the flow's deployer port. Heavy
modules are imported inside the builders so ``preflight`` commands that need none start fast.
It must not hold conversation logic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from bot.adapters.chart import cost_latency_png
from bot.adapters.deployer import ServiceDeployer
from bot.adapters.memory_inbox import InMemoryInbox
from bot.adapters.memory_store import InMemoryStateStore
from bot.conversation.flow import ConversationFlow
from bot.conversation.inbox import Inbox
from bot.conversation.ports import (
    FlowDependencies,
    FlowMetrics,
    Follower,
    Recommender,
    Understander,
)
from bot.conversation.state_store import StateStore
from bot.conversation.tracing import NO_TRACING, Tracer
from bot.deploy_wiring import (
    TenantServices,
    deploy_check,
    deployment_service,
    serving_techniques,
)
from bot.settings import Settings
from domain.catalog import ModelSpec
from domain.errors import ConfigurationError
from knowledge.model_registry import RegistryCatalog, RegistryChain
from knowledge.patterns import load_patterns
from knowledge.records import load_records
from knowledge.retrieval import KnowledgeRetriever

if TYPE_CHECKING:
    from bot.adapters.day2 import Day2Watch
    from knowledge.model_registry import ModelLookup, ModelRegistry, RegistryCatalog
    from recommend.context import RecommendContext
    from recommend.retrieval import Retriever


def build_flow(
    settings: Settings,
    *,
    context: RecommendContext | None = None,
    store: StateStore | None = None,
    recommender: Recommender | None = None,
    metrics: FlowMetrics | None = None,
    follower: Follower | None = None,
    tracer: Tracer | None = None,
) -> ConversationFlow:
    """The conversation flow with every dependency the settings ask for.

    Args:
        settings: Preflight's settings.
        context: A recommendation context already built (it is read-only and shareable);
            built from the settings when None.
        store: A state store already built; from the settings when None.
        recommender: A recommender already built (it caches answers; tests share one).
        metrics: Where the flow reports each message (Prometheus in ``preflight serve``).
        follower: The Day-2 watch ready deployments are handed to (``preflight serve``).
        tracer: Where spans go; from the settings when None (off unless
            ``tracing.otlp_endpoint`` is set).

    Returns:
        A ready flow.

    Raises:
        ConfigurationError: When a setting cannot be used.
    """
    from bot.adapters.measurer import ServiceMeasurer
    from bot.adapters.recommender import ReloadingRecommender

    if context is None:
        context = build_context(settings)
    if recommender is None:
        retriever, lookup = context.retriever, context.model_lookup

        def fresh() -> RecommendContext:

            now = retriever
            if isinstance(now, KnowledgeRetriever):  # cite what ingest indexed meanwhile
                now = now.with_records(load_records(settings.data_dir))
            return build_context(settings, retriever=now, model_lookup=lookup)

        recommender = ReloadingRecommender(
            fresh, data_dir=settings.data_dir, context=context, gpus_for=gpus_for(settings)
        )
    service = deployment_service(settings)
    deps = FlowDependencies(
        understander=build_understander(settings, context.models),
        recommender=recommender,
        deployer=ServiceDeployer(service, settings=settings),
        chart=cost_latency_png,
        task_defaults=context.task_defaults.get,
        metrics=metrics,
        measurer=ServiceMeasurer(service, settings=settings),
        follower=follower,
        tracer=tracer or build_tracer(settings),
    )
    return ConversationFlow(store=store or build_store(settings), deps=deps)


def build_day2(settings: Settings) -> Day2Watch:
    """The Day-2 watch over the settings' deployment records, cluster and Prometheus.

    Args:
        settings: Preflight's settings (``cluster.prometheus_url``, ``watch_*``).

    Returns:
        The watch; it posts to the log until the server routes its posts to the channels.
    """
    from bot.adapters.day2 import Day2Watch, SnapshotSource, Watched
    from bot.adapters.measurer import ServiceMeasurer
    from deploy.prometheus_metrics import PrometheusMetrics

    cluster = settings.cluster
    service = deployment_service(settings)
    tenants = TenantServices(settings, shared=service)

    def metrics(entry: Watched) -> SnapshotSource:
        selector = cluster.watch_selector.format(namespace=entry.namespace, name=entry.name)
        return PrometheusMetrics(
            url=cluster.prometheus_url, selector=selector, window=cluster.watch_window
        )

    return Day2Watch(
        records=service.records,
        cluster=service.cluster,
        metrics=metrics,
        measurer=ServiceMeasurer(service, settings=settings),
        sustain=cluster.watch_sustain,
        records_for=lambda thread: tenants.for_thread(thread).records,
    )


def build_context(
    settings: Settings,
    *,
    retriever: Retriever | None = None,
    model_lookup: RegistryCatalog | ModelLookup | None = None,
) -> RecommendContext:
    """The recommendation context of the settings, from the data as it is now.

    Args:
        settings: Preflight's settings.
        retriever: A knowledge-base retriever already open (opened from the settings if None).
        model_lookup: A model lookup already built (built from the settings if None).

    Returns:
        The context.
    """
    from recommend.context import default_context

    return default_context(
        price_file=settings.knowledge.price_file,
        inventory_file=settings.knowledge.inventory_file,
        price_basis=settings.knowledge.price_basis,
        data_dir=settings.data_dir,
        retriever=retriever if retriever is not None else build_retriever(settings),
        model_lookup=model_lookup if model_lookup is not None else build_model_lookup(settings),
        deploy_check=deploy_check(settings),
        engine_versions=engine_versions(settings),
        serving_techniques=serving_techniques(settings),
    )


def engine_versions(settings: Settings) -> dict[str, str]:
    """The vLLM version of the image options deploy, per GPU vendor, from the cluster settings.

    NVIDIA GPUs run ``cluster.image``, AMD GPUs ``cluster.images["rocm"]``; a vendor whose
    image tag names no version is left out (its predictions then name none).

    Args:
        settings: Preflight's settings.

    Returns:
        Vendor → version, e.g. {"NVIDIA": "0.11.0"}.
    """
    from simulate.serving_features import image_version

    cluster = settings.cluster
    images = {"NVIDIA": cluster.image, "AMD": cluster.images.get("rocm", "")}
    versions = {vendor: image_version(image) for vendor, image in images.items()}
    return {vendor: version for vendor, version in versions.items() if version}


def gpus_for(settings: Settings) -> Callable[[str | None], Sequence[str]]:
    """The GPUs a workspace may be recommended: its tenant's list, else the install's.

    Args:
        settings: Preflight's settings (``tenants``, ``cluster.allowed_gpus``).

    Returns:
        Workspace (None: no workspace) → allowed GPU names or families; empty = any.
    """

    def allowed(workspace: str | None) -> Sequence[str]:
        tenant = settings.tenants.get(workspace) if workspace is not None else None
        return (tenant.allowed_gpus if tenant else None) or settings.cluster.allowed_gpus

    return allowed


def build_retriever(settings: Settings) -> Retriever | None:
    """Knowledge-base retrieval for every recommendation, when a knowledge base is there.

    A Qdrant server (``PREFLIGHT_KNOWLEDGE__QDRANT_URL``) is always used; the embedded store
    only once ``preflight kb build`` has built it from the current data. Without either,
    recommendations rest on the measured records and patterns alone (the knowledge base is
    optional), so nothing here fails for want of it. The store stays open for the process.

    Args:
        settings: Preflight's settings.

    Returns:
        The retriever, or None.

    Raises:
        BackendUnavailableError: When the store is there but cannot be opened.
    """
    from knowledge import kb_build

    knowledge = settings.knowledge
    local = knowledge.qdrant_url is None
    if local and not kb_build.is_built(settings.data_dir, knowledge.collection):
        return None

    key = knowledge.qdrant_api_key.get_secret_value() if knowledge.qdrant_api_key else None
    kb = kb_build.open_knowledge_base(
        data_dir=settings.data_dir,
        url=knowledge.qdrant_url,
        api_key=key,
        collection=knowledge.collection,
    )
    return KnowledgeRetriever(kb, patterns=load_patterns(), records=load_records(settings.data_dir))


def build_model_lookup(settings: Settings) -> RegistryCatalog:
    """Models outside the curated catalog: cached in the data directory, read from the registries.

    The OCI registry (``knowledge.oci_registry``), when set, is asked before the Hub or
    Hub-compatible endpoint (``knowledge.hf_endpoint``). Registry clients are imported on the
    first lookup only.

    Args:
        settings: Preflight's settings (``knowledge.*``, ``data_dir``).

    Returns:
        The lookup; with no registry configured it answers from the cache only.
    """

    knowledge = settings.knowledge
    cache_dir = settings.data_dir / "models"
    if not knowledge.hf_endpoint and not knowledge.oci_registry:
        return RegistryCatalog(registry=None, cache_dir=cache_dir)

    def connect() -> ModelRegistry:

        registries: list[ModelRegistry] = []
        if knowledge.oci_registry:
            from knowledge.oci_registry import OciRegistry

            password = knowledge.oci_password
            registries.append(
                OciRegistry(
                    base=knowledge.oci_registry,
                    username=knowledge.oci_username,
                    password=password.get_secret_value() if password else None,
                    timeout_s=knowledge.registry_timeout_s,
                )
            )
        if knowledge.hf_endpoint:
            from knowledge.hf_registry import HubRegistry

            token = knowledge.hf_token.get_secret_value() if knowledge.hf_token else None
            registries.append(
                HubRegistry(
                    endpoint=knowledge.hf_endpoint,
                    token=token,
                    cache_dir=settings.data_dir / "hub-cache",
                    timeout_s=knowledge.registry_timeout_s,
                )
            )
        return registries[0] if len(registries) == 1 else RegistryChain(registries)

    return RegistryCatalog(registry=None, connect=connect, cache_dir=cache_dir)


def build_store(settings: Settings) -> StateStore:
    """Redis when a URL is configured, else the in-process store.

    Args:
        settings: Preflight's settings.

    Returns:
        The state store.
    """
    if settings.state.redis_url is None:
        return InMemoryStateStore(ttl_s=settings.state.ttl_s)
    from bot.adapters.redis_store import RedisStateStore

    return RedisStateStore(
        url=settings.state.redis_url.get_secret_value(), ttl_s=settings.state.ttl_s
    )


def build_tracer(settings: Settings) -> Tracer:
    """Spans to an OTLP/HTTP collector when ``tracing.otlp_endpoint`` is set, else none.

    Args:
        settings: Preflight's settings.

    Returns:
        The tracer.

    Raises:
        ConfigurationError: When an endpoint is set and the tracing extra is not installed.
    """
    endpoint = settings.tracing.otlp_endpoint
    if endpoint is None:
        return NO_TRACING
    try:
        from bot.adapters.otel_tracer import otlp_tracer
    except ImportError as exc:
        raise ConfigurationError(
            "PREFLIGHT_TRACING__OTLP_ENDPOINT is set but OpenTelemetry is not installed: "
            "pip install 'preflight[tracing]'"
        ) from exc
    return otlp_tracer(endpoint, service_name=settings.tracing.service_name)


def build_inbox(settings: Settings) -> Inbox:
    """The durable inbox: a Redis stream beside the state when a URL is configured, else in-process.

    Args:
        settings: Preflight's settings.

    Returns:
        The inbox.
    """
    if settings.state.redis_url is None:
        return InMemoryInbox(lease_s=settings.state.lease_s)
    from bot.adapters.redis_inbox import RedisInbox

    return RedisInbox(
        url=settings.state.redis_url.get_secret_value(), lease_s=settings.state.lease_s
    )


def build_understander(settings: Settings, models: Mapping[str, ModelSpec]) -> Understander:
    """Understanding bound to the model catalog (and the LLM client when configured).

    Args:
        settings: Preflight's settings.
        models: The model catalog.

    Returns:
        The understander.
    """
    from bot.understanding.reader import TextUnderstander

    if not settings.llm.url:
        return TextUnderstander(models=models)
    from bot.understanding.llm_client import LlmClient

    return TextUnderstander(models=models, extractor=LlmClient(settings.llm))
