"""Builds the deployment side from :class:`~bot.settings.Settings`: plan, checks, cluster, records,
audit trail and the deployment service — shared by ``preflight deploy`` and the chat flow.

It only wires; deployment logic lives in ``deploy``. Deploy modules are imported inside the
builders so commands that need none of them start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.settings import Settings
from deploy.audit import JsonlAuditLog
from deploy.file_records import FileRecords
from domain.errors import ConfigurationError, InvalidInputError
from domain.recommendation import RecommendedOption

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
    )


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
        exclude_setup=mode == "exclude" or (mode == "auto" and cluster.mode == "api"),
    )


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
                "run_as_user": c.run_as_user,
                "keda_auth_secret": c.keda_auth_secret,
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


def deployment_service(settings: Settings, *, cluster: Cluster | None = None) -> DeploymentService:
    """Wire the deployment service from the settings (for the CLI and the chat bot).

    Args:
        settings: Preflight's settings.
        cluster: A cluster to use instead of the one the settings name.

    Returns:
        A :class:`deploy.service.DeploymentService`.
    """
    from deploy.approval import ApprovalPolicy, IdentityMap
    from deploy.cluster import Identity
    from deploy.service import DeploymentService

    conf = settings.cluster
    users = {
        chat: Identity(user=user, groups=tuple(conf.identity_groups.get(chat, [])))
        for chat, user in conf.identities.items()
    }
    return DeploymentService(
        cluster=cluster or make_cluster(settings),
        records=make_records(settings),
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
