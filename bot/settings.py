"""Preflight's configuration, built once by the entry point and passed down.

Environment variables use the prefix ``PREFLIGHT_`` and ``__`` between nested names, e.g.
``PREFLIGHT_STATE__REDIS_URL`` or ``PREFLIGHT_KNOWLEDGE__QDRANT_URL``. Secrets are ``SecretStr``
and may also come from files in ``PREFLIGHT_SECRETS_DIR`` (how the Helm chart mounts them).

No module reads the environment on import; :func:`load_settings` is called by entry points only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.errors import ConfigurationError

_WORKSPACE = re.compile(r"^(slack|teams):[A-Za-z0-9._@-]{1,128}$")


class KnowledgeSettings(BaseModel):
    """The knowledge base and catalogs."""

    qdrant_url: str | None = Field(default=None, description="Qdrant server; None = local mode.")
    qdrant_api_key: SecretStr | None = None
    collection: str = "preflight"
    price_file: Path | None = Field(
        default=None,
        description="Operator's own GPU prices (CSV); when set it is the whole price basis.",
    )
    price_basis: str = Field(
        default="aws",
        description=(
            "Which shipped list prices every GPU is priced on: one provider (aws, lambda, "
            "runpod, dstack) or a comma-separated set tried in order; GPUs it has no price "
            "for show 'no price'."
        ),
    )
    inventory_file: Path | None = Field(default=None, description="Operator's GPU inventory.")
    hf_endpoint: str | None = Field(
        default="https://huggingface.co",
        description="Hugging Face Hub or Hub-compatible registry (a mirror, a company registry) "
        "that models outside the curated catalog are read from; empty = looked-up models come "
        "from the cache in the data directory only.",
    )
    hf_token: SecretStr | None = Field(
        default=None, description="Token for private and gated models on that registry."
    )
    oci_registry: str | None = Field(
        default=None,
        description="OCI registry and path holding models as KServe modelcar images or OCI "
        "artifacts (https://host/models; org/name@tag is <path>/org/name:tag), asked before the "
        "Hub; None = none.",
    )
    oci_username: str | None = Field(default=None, description="OCI registry user, if any.")
    oci_password: SecretStr | None = Field(default=None, description="Its password or token.")
    registry_timeout_s: float = Field(default=10.0, gt=0, description="Per request, seconds.")


class StateSettings(BaseModel):
    """Per-thread conversation state."""

    redis_url: SecretStr | None = Field(default=None, description="None = in-process store.")
    ttl_s: int = Field(default=30 * 24 * 3600, ge=60, description="How long a thread is kept.")
    lease_s: float = Field(
        default=60.0,
        gt=0,
        description=(
            "Seconds a worker holds a message from the inbox before another worker may take it "
            "(its replica died); longer than the slowest turn."
        ),
    )
    workers: int = Field(
        default=4, ge=1, le=64, description="Worker threads per replica answering the inbox."
    )


class TracingSettings(BaseModel):
    """Optional OpenTelemetry traces of turns and deploy steps (``pip install
    'preflight[tracing]'``)."""

    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces URL (e.g. http://otel-collector:4318/v1/traces); None = off.",
    )
    service_name: str = Field(default="preflight", description="The service.name of the spans.")


class LlmSettings(BaseModel):
    """An optional OpenAI-compatible endpoint that helps understanding."""

    url: str | None = None
    model: str = "default"
    api_key: SecretStr | None = None
    timeout_s: float = Field(default=8.0, gt=0)


class SlackSettings(BaseModel):
    """Slack app credentials."""

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = Field(default=None, description="Socket Mode token (xapp-).")
    api_url: str | None = Field(default=None, description="Web API base URL override.")


class TeamsSettings(BaseModel):
    """Microsoft Teams (Bot Framework) credentials."""

    app_id: str | None = None
    app_password: SecretStr | None = None
    tenant_id: str | None = None
    openid_metadata_url: str | None = Field(
        default=None, description="Bot Framework OpenID metadata override (sovereign clouds)."
    )


class ClusterSettings(BaseModel):
    """Where deployments go."""

    mode: str = Field(default="dry-run", description="dry-run (write a folder) or api.")
    kubeconfig: Path | None = None
    context: str | None = None
    output_dir: Path = Path(".preflight/manifests")
    allowed_namespaces: list[str] = Field(default_factory=lambda: ["llm-serving"])
    allowed_images: dict[str, list[str]] = Field(
        default_factory=lambda: {"cuda": ["vllm/vllm-openai"]},
        description="Image repositories (no tag) allowed per platform (cuda, rocm, hpu, xpu); "
        "a plain list is the CUDA list.",
    )
    impersonate_approver: bool = False
    image: str = Field(
        default="vllm/vllm-openai:v0.11.0", description="vLLM image for NVIDIA GPUs (CUDA, amd64)."
    )
    images: dict[str, str] = Field(
        default_factory=dict,
        description="vLLM images of the other platforms: rocm (AMD), hpu (Gaudi), xpu (Intel "
        "GPU), cuda-arm64 (GH200/GB200 nodes); a platform without one is refused.",
    )
    arm64_images: list[str] = Field(
        default_factory=list, description="Image repositories or references built for arm64."
    )
    kserve_version: str = Field(default="0.15", description="KServe minor version, e.g. 0.18.")
    node_labels: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Catalog GPU name or family → node labels (GKE, MIG, Azure label differently).",
    )
    tolerations: list[dict[str, str]] = Field(
        default_factory=list,
        description="Extra tolerations of model pods: key, operator, value, effect.",
    )
    intel_gpu_resource: str = Field(
        default="gpu.intel.com/i915", description="gpu.intel.com/i915 or gpu.intel.com/xe."
    )
    monitoring_labels: dict[str, str] = Field(
        default_factory=dict,
        description="Labels Prometheus' podMonitorSelector needs (kube-prometheus-stack: "
        "release: <release name>).",
    )
    llm_probe_scheme: str = Field(
        default="HTTP",
        description="HTTPS only when KServe's enableLLMInferenceServiceTLS is on.",
    )
    storage_secret_annotation: str = Field(
        default="serving.kserve.io/storageSecretName",
        description="KServe's storageSecretNameAnnotation (Helm installs: "
        "serving.kserve.io/secretName).",
    )
    model_oci_repository: str = Field(
        default="",
        description="Registry and path of KServe modelcar images (host/path, no scheme): a model "
        "org/name is pulled as oci://<this>/org/name (lower-cased) at its pinned tag or digest "
        "(model_oci_tags); empty = none.",
    )
    model_oci_tags: dict[str, str] = Field(
        default_factory=dict,
        description="Model id → tag or sha256:<digest> of its modelcar image (JSON); a model "
        "without one is downloaded from the Hub, never pulled at ':latest'.",
    )
    model_cache_pvc: str = Field(
        default="", description="PVC with the weights under /<model id>; empty = download."
    )
    run_as_user: int = Field(
        default=1001, ge=0, description="UID of vLLM; 0 = assigned by the platform (OpenShift)."
    )
    autoscaler: str = Field(default="keda", description="keda, hpa or none.")
    target: str = Field(
        default="inferenceservice", description="inferenceservice or llminferenceservice (llm-d)."
    )
    prometheus_url: str = Field(
        default="http://prometheus-operated.monitoring.svc:9090",
        description="Prometheus the KEDA triggers query.",
    )
    grafana_url: str | None = Field(default=None, description="Grafana base URL for links.")
    name: str = Field(
        default="",
        description="The cluster's name in measured runs' provenance ('observed: <name>/…'); "
        "empty = the kubeconfig context, else the mode.",
    )
    guidellm_image: str = Field(
        default="ghcr.io/vllm-project/guidellm:v0.8.1",
        description="GuideLLM's image for the measuring Job (github.com/vllm-project/guidellm).",
    )
    watch_interval_s: float = Field(
        default=0,
        ge=0,
        description="Seconds between Day-2 watch polls in `preflight serve` (vLLM's metrics read "
        "from prometheus_url); 0 = no watch.",
    )
    watch_sustain: int = Field(
        default=3, ge=1, le=100, description="Polls in a row a drift (or recovery) must last."
    )
    watch_window: str = Field(
        default="5m", pattern=r"^\d+[smh]$", description="Range of the watch's rates and p95s."
    )
    watch_selector: str = Field(
        default='namespace="{namespace}",pod=~"{name}-predictor-.*"',
        description="PromQL label matchers of a deployment's vLLM pods ({namespace}, {name}).",
    )
    hf_token_secret: str = Field(
        default="", description="Secret with key HF_TOKEN for gated models; empty = none."
    )
    wva_autoscaling: bool = Field(
        default=False,
        description="KServe's Workload Variant Autoscaler is set up: LLMInferenceService scales "
        "through spec.scaling (autoscaler keda or hpa as its actuator).",
    )
    keda_auth_secret: str = Field(
        default="",
        description="Secret (key 'token') with the bearer token KEDA sends Prometheus, through a "
        "rendered TriggerAuthentication, asking per namespace (OpenShift's Thanos querier, e.g. "
        "prometheus_url https://thanos-querier.openshift-monitoring.svc:9092); empty = none.",
    )
    keda_ca_config_map: str = Field(
        default="",
        description="ConfigMap whose key keda_ca_key holds the CA of an HTTPS Prometheus/Thanos "
        "querier, passed to KEDA as its 'ca' (OpenShift: openshift-service-ca.crt, injected in "
        "every namespace); empty = none.",
    )
    keda_ca_key: str = Field(
        default="service-ca.crt", description="Key of keda_ca_config_map holding the PEM CA."
    )
    serving_techniques: list[str] = Field(
        default_factory=lambda: ["expert_parallel", "speculative", "disaggregated"],
        description="Serving techniques options may use (JSON list): expert_parallel (with "
        "data-parallel attention), speculative (MTP), disaggregated (prefill/decode split, also "
        "needs kserve_version 0.18+); drop one the platform has not validated.",
    )
    option_screen: str = Field(
        default="auto",
        description="What the pre-flight check does with an option this cluster lacks something "
        "for (an image, a token secret): exclude (not offered), note (offered, saying what it "
        "needs) or auto (exclude in api mode, note in dry-run). Options no cluster could run are "
        "never offered.",
    )
    gpu_inventory: dict[str, int] | None = Field(
        default=None, description="GPUs per catalog name or family; None = not checked."
    )
    allowed_gpus: list[str] = Field(
        default_factory=list,
        description="Catalog GPU names or families that may be recommended and deployed; empty = "
        "any (a tenant's own list replaces it for that tenant).",
    )
    approvers: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Namespace ('*' any) → 'user:<chat id>'/'group:<chat group>'; empty = anyone "
        "(the cluster's RBAC check decides).",
    )
    allow_self_approval: bool = False
    required_approvals: int = Field(default=1, ge=1, le=10)
    approval_expiry_s: int = Field(default=24 * 3600, ge=60)
    identities: dict[str, str] = Field(
        default_factory=dict, description="Chat user id → Kubernetes user."
    )
    identity_groups: dict[str, list[str]] = Field(
        default_factory=dict, description="Chat user id → Kubernetes groups."
    )
    unmapped_user_prefix: str | None = Field(
        default="chat:", description="Kubernetes user of unmapped chat users; None refuses them."
    )

    @field_validator("allowed_images", mode="before")
    @classmethod
    def _per_platform(cls, value: Any) -> Any:
        return {"cuda": value} if isinstance(value, list) else value


class TenantSettings(BaseModel):
    """One Slack workspace or Teams tenant: where its deployments go and who approves them.

    Keyed in :attr:`Settings.tenants` by workspace id: ``slack:<team id>`` or ``teams:<tenant
    id>``. Its threads, requests, approvals and audit are kept apart from every other tenant's.
    """

    namespaces: list[str] = Field(
        min_length=1,
        description="Namespaces its deployments go to (the first is the default); no two "
        "tenants share one.",
    )
    approvers: list[str] = Field(
        default_factory=list,
        description="'user:<chat id>' / 'group:<chat group>' who approve and roll back in its "
        "namespaces; empty = cluster.approvers.",
    )
    required_approvals: int | None = Field(
        default=None, ge=1, le=10, description="Distinct approvers; None = the cluster's."
    )
    allowed_gpus: list[str] = Field(
        default_factory=list,
        description="Catalog GPU names or families it may be recommended and deploy; empty = "
        "cluster.allowed_gpus.",
    )


class AuditSettings(BaseModel):
    """The append-only audit trail."""

    path: Path = Path(".preflight/audit.jsonl")
    redis_url: SecretStr | None = Field(
        default=None, description="Audit to a Redis stream instead of the file when set."
    )
    stream: str = Field(default="preflight:audit", description="Redis stream key.")


class Settings(BaseSettings):
    """Everything Preflight can be configured with."""

    model_config = SettingsConfigDict(
        env_prefix="PREFLIGHT_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Field(default=Path(".preflight"), description="Where local state lives.")
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    state: StateSettings = Field(default_factory=StateSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    teams: TeamsSettings = Field(default_factory=TeamsSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    tenants: dict[str, TenantSettings] = Field(
        default_factory=dict,
        description="Workspace id (slack:<team id>, teams:<tenant id>) → its namespaces, "
        "approvers and GPUs. Empty: one shared set-up. Set: a workspace not listed may talk and "
        "get recommendations but not deploy.",
    )

    @model_validator(mode="after")
    def _tenants_apart(self) -> Settings:
        owner: dict[str, str] = {}
        for workspace, tenant in self.tenants.items():
            if not _WORKSPACE.match(workspace):
                raise ValueError(
                    f"tenant {workspace!r}: key it by workspace, slack:<team id> or "
                    "teams:<tenant id>"
                )
            for namespace in tenant.namespaces:
                if namespace in owner:
                    raise ValueError(
                        f"namespace {namespace!r} is given to tenants {owner[namespace]!r} and "
                        f"{workspace!r}; each namespace belongs to one tenant"
                    )
                owner[namespace] = workspace
        return self


def load_settings(secrets_dir: Path | None = None) -> Settings:
    """Build the settings from the environment (and secret files).

    Args:
        secrets_dir: A folder of secret files, one per setting, as Kubernetes mounts them.

    Returns:
        The settings.

    Raises:
        ConfigurationError: When a setting is malformed.
    """
    try:
        if secrets_dir is not None:
            return Settings(_secrets_dir=secrets_dir)
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from exc
