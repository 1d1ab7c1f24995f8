"""Builds the deployment side from :class:`~bot.settings.Settings`: plan, checks, cluster, records,
audit trail and the deployment service — shared by ``preflight deploy`` and the chat flow.

Tenants (``settings.tenants``, one per Slack workspace or Teams tenant): :func:`settings_for`
gives a tenant's settings (its namespaces, approvers, GPUs and audit trail in place of the
install's), and :func:`deployment_service` with a workspace keeps the tenant's records under its
own prefix (:mod:`deploy.tenancy`).

It only wires; deployment logic lives in ``deploy``. Deploy modules are imported inside the
builders so commands that need none of them start fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.settings import Settings
from deploy.audit import JsonlAuditLog
from deploy.file_records import FileRecords
from domain.errors import ConfigurationError, InvalidInputError, PolicyViolationError
from domain.recommendation import RecommendedOption
from knowledge.model_registry import RegistryCatalog
from recommend.techniques import ALL_TECHNIQUES, WITHOUT_LLM_D

if TYPE_CHECKING:
    from deploy.audit import AuditLog
    from deploy.cluster import Cluster
    from deploy.option_gate import OptionGate
    from deploy.plan import Autoscaler, DeploymentPlan, Target
    from deploy.profile import ClusterProfile
    from deploy.records import RecordStore
    from deploy.service import DeploymentService
    from deploy.validate import PlanChecks


def build_plan(
    settings: Settings,
    option: RecommendedOption,
    *,
    namespace: str | None,
    name: str | None,
    autoscaler: str | None,
    target: str | None = None,
    requester: str = "cli",
    thread: str = "",
) -> DeploymentPlan:
    """Turn an option and command-line choices into a validated plan.

    Args:
        settings: Preflight's settings.
        option: The chosen option.
        namespace: Target namespace (the first allowed one when None).
        name: Deployment name (derived when None).
        autoscaler: keda, hpa or none (settings when None).
        target: inferenceservice or llminferenceservice (settings when None).
        requester: Who asks.
        thread: The chat thread, if any.

    Returns:
        The plan.

    Raises:
        InvalidInputError: When a value is unusable.
    """
    from deploy.plan import plan_for

    cluster = settings.cluster
    scaler, api = _scaler_and_target(autoscaler or cluster.autoscaler, target or cluster.target)
    return plan_for(
        option,
        namespace=namespace or (cluster.allowed_namespaces or ["default"])[0],
        requester=requester,
        name=name,
        thread_id=thread,
        autoscaler=scaler,
        target=api,
        profile=cluster_profile(settings),
        prometheus_url=cluster.prometheus_url,
        hf_token_secret=cluster.hf_token_secret,
        gated=gated_on_registry(settings)(option.model),
    )


def gated_on_registry(settings: Settings) -> Callable[[str], bool]:
    """Whether a model outside the catalog is gated on the registry it was read from.

    Reads the specs the model lookup cached in the data directory (a recommendation looked the
    model up first); never asks a registry. Catalog models are not in that cache: the pre-flight
    check knows the catalog's gated organisations itself.

    Args:
        settings: Preflight's settings (``data_dir``).

    Returns:
        A predicate on model ids.
    """
    cache = RegistryCatalog(registry=None, cache_dir=settings.data_dir / "models")

    def gated(model: str) -> bool:
        return any(
            spec.hf_id == model and spec.origin is not None and spec.origin.gated
            for spec in cache.cached()
        )

    return gated


def _scaler_and_target(autoscaler: str, target: str) -> tuple[Autoscaler, Target]:
    from deploy.plan import Autoscaler, Target

    try:
        return Autoscaler(autoscaler), Target(target)
    except ValueError as exc:
        raise InvalidInputError(
            f"unknown autoscaler {autoscaler!r} or target {target!r}",
            hint="keda, hpa or none; inferenceservice or llminferenceservice",
        ) from exc


def deploy_check(settings: Settings) -> OptionGate:
    """The pre-flight check asked of every option before it is offered (recommend's
    ``deploy_check``), for the cluster, target, autoscaler and token secret of the settings.

    Args:
        settings: Preflight's settings.

    Returns:
        The gate.

    Raises:
        ConfigurationError: When a cluster setting is malformed.
    """
    from deploy.option_gate import OptionGate

    cluster = settings.cluster
    mode = cluster.option_screen
    if mode not in ("auto", "exclude", "note"):
        raise ConfigurationError(f"cluster.option_screen {mode!r}: auto, exclude or note")
    try:
        scaler, api = _scaler_and_target(cluster.autoscaler, cluster.target)
    except InvalidInputError as exc:
        raise ConfigurationError(f"cluster settings: {exc}") from exc
    return OptionGate(
        profile=cluster_profile(settings),
        target=api,
        autoscaler=scaler,
        hf_token_secret=cluster.hf_token_secret,
        is_gated=gated_on_registry(settings),
        exclude_setup=mode == "exclude" or (mode == "auto" and cluster.mode == "api"),
    )


def serving_techniques(settings: Settings) -> frozenset[str]:
    """The serving techniques options may add on the cluster the settings describe.

    Those the operator allows (``cluster.serving_techniques``) of what the cluster can run:
    expert parallelism and speculative decoding are vLLM flags any target serves; a
    prefill/decode split needs an LLMInferenceService, so it is proposed only where the
    cluster's KServe version serves one (:func:`deploy.option_gate.serves_disaggregated`).

    Args:
        settings: Preflight's settings.

    Returns:
        Technique names of :mod:`recommend.techniques`.

    Raises:
        ConfigurationError: When a named technique is not one of them.
    """
    from deploy.option_gate import serves_disaggregated

    allowed = frozenset(settings.cluster.serving_techniques)
    unknown = sorted(allowed - ALL_TECHNIQUES)
    if unknown:
        raise ConfigurationError(
            f"cluster.serving_techniques: unknown {', '.join(unknown)}; known: "
            + ", ".join(sorted(ALL_TECHNIQUES))
        )
    runnable = ALL_TECHNIQUES if serves_disaggregated(cluster_profile(settings)) else WITHOUT_LLM_D
    return allowed & runnable


def settings_for(settings: Settings, workspace: str | None) -> Settings:
    """The settings a workspace deploys with: its tenant's, or the install's when it has none.

    A tenant's namespaces replace ``cluster.allowed_namespaces`` (the first is where chat
    deploys go); its approvers (for its namespaces), required approvals and allowed GPUs replace
    the install's when given; its audit trail is its own stream or file.

    Args:
        settings: The install's settings.
        workspace: The workspace asking (``slack:<team>``, ``teams:<tenant>``); None for the
            terminal and the CLI without ``--tenant``.

    Returns:
        The settings to deploy with.

    Raises:
        PolicyViolationError: Tenants are configured and this workspace is not one of them.
    """
    from deploy.tenancy import audit_path, audit_stream

    if workspace is None or not settings.tenants:
        return settings
    tenant = settings.tenants.get(workspace)
    if tenant is None:
        raise PolicyViolationError(
            f"deployments are not set up for this workspace ({workspace})",
            hint="an operator adds it to PREFLIGHT_TENANTS with its namespace and approvers",
        )
    shared = settings.cluster
    cluster = shared.model_copy(
        update={
            "allowed_namespaces": list(tenant.namespaces),
            "approvers": (
                {namespace: list(tenant.approvers) for namespace in tenant.namespaces}
                if tenant.approvers
                else shared.approvers
            ),
            "required_approvals": tenant.required_approvals or shared.required_approvals,
            "allowed_gpus": list(tenant.allowed_gpus or shared.allowed_gpus),
        }
    )
    audit = settings.audit.model_copy(
        update={
            "path": audit_path(settings.audit.path, workspace),
            "stream": audit_stream(settings.audit.stream, workspace),
        }
    )
    return settings.model_copy(update={"cluster": cluster, "audit": audit})


def cluster_profile(settings: Settings) -> ClusterProfile:
    """Return what the settings say about the target cluster (images, KServe, placement ...).

    Args:
        settings: Preflight's settings.

    Returns:
        The profile every plan and pre-flight check uses.

    Raises:
        ConfigurationError: When a cluster setting is malformed.
    """

    from deploy.profile import ClusterProfile

    c = settings.cluster
    try:
        return ClusterProfile.model_validate(
            {
                "images": {"cuda": c.image, **c.images},
                "allowed_images": {k: tuple(v) for k, v in c.allowed_images.items()},
                "arm64_images": tuple(c.arm64_images),
                "kserve_version": c.kserve_version,
                "node_labels": c.node_labels,
                "tolerations": tuple(c.tolerations),
                "intel_gpu_resource": c.intel_gpu_resource,
                "monitoring_labels": c.monitoring_labels,
                "llm_probe_scheme": c.llm_probe_scheme,
                "storage_secret_annotation": c.storage_secret_annotation,
                "model_cache_pvc": c.model_cache_pvc,
                "model_oci_repository": c.model_oci_repository,
                "model_oci_tags": c.model_oci_tags,
                "run_as_user": c.run_as_user,
                "keda_auth_secret": c.keda_auth_secret,
                "keda_ca_config_map": c.keda_ca_config_map,
                "keda_ca_key": c.keda_ca_key,
                "wva_autoscaling": c.wva_autoscaling,
            }
        )
    except ValidationError as exc:
        raise ConfigurationError(f"invalid cluster settings: {exc}") from exc


def plan_checks(settings: Settings) -> PlanChecks:
    """Return the operator policy (namespaces, GPU inventory) and cluster profile from the
    settings."""
    from deploy.validate import PlanChecks

    cluster = settings.cluster
    return PlanChecks(
        allowed_namespaces=tuple(cluster.allowed_namespaces),
        gpu_inventory=cluster.gpu_inventory,
        allowed_gpus=tuple(cluster.allowed_gpus),
        profile=cluster_profile(settings),
    )


def make_cluster(settings: Settings) -> Cluster:
    """Build the cluster the settings name: a folder (dry-run) or the Kubernetes API.

    Args:
        settings: Preflight's settings.

    Returns:
        The cluster.

    Raises:
        ConfigurationError: Unknown mode or no usable kubeconfig.
    """
    cluster = settings.cluster
    if cluster.mode == "dry-run":
        from deploy.dryrun_cluster import DryRunCluster

        return DryRunCluster(cluster.output_dir)
    if cluster.mode == "api":
        from deploy.k8s_cluster import KubernetesCluster

        return KubernetesCluster.from_kubeconfig(cluster.kubeconfig, context=cluster.context)
    raise ConfigurationError(f"unknown cluster.mode {cluster.mode!r} (dry-run or api)")


def make_records(settings: Settings) -> RecordStore:
    """Build the deployment records from ``settings``: Redis when set, else a file."""
    if settings.state.redis_url is not None:
        from deploy.redis_records import RedisRecords

        return RedisRecords.from_url(settings.state.redis_url.get_secret_value())

    return FileRecords(settings.data_dir / "deploy-records.json")


def make_audit(settings: Settings) -> AuditLog:
    """Build the audit trail from ``settings``: a Redis stream when a Redis URL is set (the audit's
    own, else the state store's), else JSON lines."""
    redis_url = settings.audit.redis_url or settings.state.redis_url
    if redis_url is not None:
        from deploy.audit_redis import RedisAuditLog

        return RedisAuditLog.from_url(redis_url.get_secret_value(), stream=settings.audit.stream)

    return JsonlAuditLog(settings.audit.path)


def deployment_service(
    settings: Settings,
    *,
    cluster: Cluster | None = None,
    records: RecordStore | None = None,
    workspace: str | None = None,
) -> DeploymentService:
    """Wire the deployment service from the settings (for the CLI and the chat bot).

    Args:
        settings: Preflight's settings (the install's; a workspace's are derived here).
        cluster: A cluster to use instead of the one the settings name.
        records: The install's record store to use instead of the one the settings name.
        workspace: The tenant to serve: its settings (:func:`settings_for`) and its records
            under its own prefix; None = the install's.

    Returns:
        A :class:`deploy.service.DeploymentService`.

    Raises:
        PolicyViolationError: Tenants are configured and ``workspace`` is not one of them.
    """
    from deploy.approval import ApprovalPolicy, IdentityMap
    from deploy.cluster import Identity
    from deploy.service import DeploymentService
    from deploy.tenancy import ScopedRecords

    scoped = settings_for(settings, workspace)
    store = records or make_records(settings)
    if scoped is not settings and workspace is not None:
        store = ScopedRecords(store, workspace=workspace)
    settings = scoped
    conf = settings.cluster
    users = {
        chat: Identity(user=user, groups=tuple(conf.identity_groups.get(chat, [])))
        for chat, user in conf.identities.items()
    }
    return DeploymentService(
        cluster=cluster or make_cluster(settings),
        records=store,
        audit=make_audit(settings),
        policy=ApprovalPolicy(
            approvers=conf.approvers,
            allow_self_approval=conf.allow_self_approval,
            required_approvals=conf.required_approvals,
            expiry_s=conf.approval_expiry_s,
        ),
        identities=IdentityMap(users=users, unmapped_prefix=conf.unmapped_user_prefix),
        checks=plan_checks(settings),
        impersonate_approver=conf.impersonate_approver,
        grafana_url=conf.grafana_url,
    )


class TenantServices:
    """The install's deployment service and, built on first use, each tenant's over the same
    cluster and record store: what the chat deployer, the measurer and the Day-2 watch route a
    thread's requests through.

    Args:
        settings: The install's settings.
        shared: The install's service (threads without a tenant, and when none is configured).
    """

    def __init__(self, settings: Settings, *, shared: DeploymentService) -> None:
        import threading

        self.settings = settings
        self.shared = shared
        self._tenants: dict[str, DeploymentService] = {}
        self._lock = threading.Lock()

    def for_thread(self, thread: str) -> DeploymentService:
        """The service of a thread's tenant.

        Args:
            thread: The thread key (its workspace picks the tenant).

        Returns:
            The tenant's service, or the install's.

        Raises:
            PolicyViolationError: Tenants are configured and the thread's workspace is not one.
        """
        from bot.conversation.thread_keys import workspace_of

        workspace = workspace_of(thread)
        if workspace is None or settings_for(self.settings, workspace) is self.settings:
            return self.shared
        with self._lock:
            if workspace not in self._tenants:
                self._tenants[workspace] = deployment_service(
                    self.settings,
                    cluster=self.shared.cluster,
                    records=self.shared.records,
                    workspace=workspace,
                )
            return self._tenants[workspace]
