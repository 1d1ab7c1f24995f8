"""The validated deployment plan: the only values that ever reach a manifest template.

A chosen :class:`~domain.recommendation.RecommendedOption` plus where and how to deploy it
(namespace, name, autoscaler, who asked) becomes a :class:`DeploymentPlan`. Every field is
checked here — names are DNS-1123, numbers are numbers, enums are enums — so chat text can never
reach YAML unchecked. Sizing rules that depend on the option (GPU resource per vendor, node
selection, startup probe from model size) live here too, each in its own small function.

This module must not render, talk to a cluster or read settings; it only builds values.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationError, field_validator

from deploy.adaptations import (
    PrefillPlan,
    autoscaler_for,
    disaggregated_target,
    prefill_plan,
    quantization_flag,
)
from deploy.checkpoints import checkpoint_of
from deploy.gpus import (
    NODE_PRODUCT_LABELS,
    Arch,
    GpuVendor,
    Platform,
    arch_of,
    gpu_spec,
    platform_of,
    resource_of,
    vendor_of,
)
from deploy.profile import DEFAULT_CUDA_IMAGE, ClusterProfile, Toleration
from deploy.serving_choice import Autoscaler as Autoscaler  # re-exported: plans are built with it
from deploy.serving_choice import Target as Target
from deploy.sizing import (
    STARTUP_PERIOD_S,
    checkpoint_weight_bytes,
    cpu_cores,
    ephemeral_gib,
    host_memory_gib,
    shm_gib,
    startup_failure_threshold,
)
from domain.base import Frozen
from domain.catalog import GpuSpec
from domain.errors import InvalidInputError
from domain.recommendation import RecommendedOption, VllmArgs
from domain.serving import Precision

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
RESOURCE_NAME = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"  # DNS-1035: KServe turns it into a Service name
MODEL_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$"
IMAGE_REF = r"^[a-z0-9]+([._/:-][a-zA-Z0-9]+)*(@sha256:[a-f0-9]{64})?$"
LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
LABEL_KEY = r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"

Namespace = Annotated[str, StringConstraints(pattern=DNS1123_LABEL, min_length=1, max_length=63)]
ResourceName = Annotated[str, StringConstraints(pattern=RESOURCE_NAME, min_length=1, max_length=45)]
ModelId = Annotated[str, StringConstraints(pattern=MODEL_ID, min_length=1, max_length=128)]
ImageRef = Annotated[str, StringConstraints(pattern=f"^$|{IMAGE_REF}", max_length=255)]
LabelValue = Annotated[str, StringConstraints(pattern=LABEL_VALUE, max_length=63)]
LabelKey = Annotated[str, StringConstraints(pattern=LABEL_KEY, max_length=253)]
Principal = Annotated[str, StringConstraints(min_length=1, max_length=256)]

DEFAULT_IMAGE = DEFAULT_CUDA_IMAGE


class DeploymentPlan(Frozen):
    """Everything a manifest template may use, each value checked."""

    name: ResourceName = Field(description="InferenceService name (DNS-1035, at most 45).")
    namespace: Namespace = Field(description="Target namespace (DNS-1123 label).")
    model: ModelId = Field(description="Hugging Face model id.")
    served_model_name: ModelId = Field(description="Name clients send as `model`.")
    image: ImageRef = Field(description="vLLM container image; empty = none configured.")
    gpu: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    gpu_family: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")
    gpu_vendor: GpuVendor
    platform: Platform = Field(description="cuda, rocm, hpu (Gaudi) or xpu (Intel GPU).")
    arch: Arch = Field(description="CPU architecture of the GPU's nodes.")
    gpu_resource: str = Field(description="Extended resource name, e.g. nvidia.com/gpu.")
    gpus_per_replica: int = Field(ge=1, le=64, description="Tensor × data-parallel size.")
    data_parallel: int = Field(default=1, ge=1, le=64, description="Data-parallel ranks.")
    expert_parallel: bool = Field(default=False, description="--enable-expert-parallel.")
    prefill: PrefillPlan | None = Field(
        default=None, description="Prefill pool of a disaggregated deployment; None = none."
    )
    replicas: int = Field(ge=1, le=1000, description="Replicas sized for the peak load.")
    min_replicas: int = Field(ge=1, le=1000)
    max_replicas: int = Field(ge=1, le=1000)
    precision: Precision
    serving_args: VllmArgs
    checkpoint_quantization: str | None = Field(
        default=None, description="quant_method the checkpoint declares; None = 16-bit."
    )
    quantization_flag: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_-]+$",
        description="--quantization passed to vLLM (load-time only; never for a pre-quantized "
        "checkpoint).",
    )
    weight_precision: Precision = Field(description="Precision of the weights as downloaded.")
    notes: tuple[str, ...] = Field(default=(), description="What was adapted, and why.")
    node_selector: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    tolerations: tuple[Toleration, ...] = ()
    cpu_request: int = Field(ge=1, le=256, description="CPU cores per replica.")
    memory_gib: int = Field(ge=4, le=4096, description="Host memory per replica, GiB.")
    shm_gib: int = Field(ge=0, le=512, description="/dev/shm size; 0 = none (TP 1).")
    ephemeral_gib: int = Field(ge=1, le=16384, description="Ephemeral storage per replica, GiB.")
    storage_uri: str = Field(
        pattern=r"^((hf|pvc)://[A-Za-z0-9._/-]+|oci://[a-z0-9._/:-]+"
        r"(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|@sha256:[a-f0-9]{64}))$",
        description="hf://, pvc://, or an oci:// modelcar image pinned to a tag (not latest) or "
        "a digest.",
    )
    startup_failure_threshold: int = Field(ge=1, le=10_000)
    startup_period_s: int = Field(default=STARTUP_PERIOD_S, ge=1, le=600)
    autoscaler: Autoscaler = Autoscaler.KEDA
    target: Target = Target.INFERENCE_SERVICE
    kserve_version: str = Field(default="0.15", pattern=r"^0\.[0-9]{2}$")
    probe_scheme: str = Field(default="HTTP", pattern=r"^HTTPS?$")
    monitoring_labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    storage_secret_annotation: LabelKey = "serving.kserve.io/storageSecretName"
    run_as_user: int = Field(default=1001, ge=0, description="0 = assigned by the platform.")
    prometheus_url: str = Field(
        default="http://prometheus-operated.monitoring.svc:9090",
        pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._/-]*)?$",
    )
    keda_auth_secret: str = Field(
        default="",
        pattern=r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$",
        max_length=253,
        description="Secret with KEDA's bearer token for Prometheus (key 'token'); empty = none.",
    )
    keda_ca_config_map: str = Field(
        default="",
        pattern=r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$",
        max_length=253,
        description="ConfigMap with the CA KEDA verifies Prometheus' certificate with; empty = "
        "none.",
    )
    keda_ca_key: str = Field(default="service-ca.crt", pattern=r"^[-._a-zA-Z0-9]{1,253}$")
    queue_target: int = Field(default=5, ge=1, le=10_000, description="Waiting requests/replica.")
    kv_cache_target: float = Field(default=0.8, gt=0, le=1, description="KV-cache share to scale.")
    option_hash: str = Field(pattern=r"^[a-f0-9]{12}$", description="Short hash of the option.")
    thread_id: str = Field(default="", max_length=256, description="Chat thread (annotation).")
    thread_label: LabelValue = Field(default="", description="Hash of the thread id (label).")
    requester: Principal = Field(description="Chat identity that asked for it (annotation).")
    hf_token_secret: str = Field(
        default="",
        pattern=r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)?$",
        max_length=253,
        description="Secret holding HF_TOKEN for gated models; empty = none.",
    )
    gated: bool = Field(
        default=False,
        description="The checkpoint is gated on the registry it was read from (annotated so the "
        "pre-flight check asks for a token the downloader can read).",
    )

    @field_validator("storage_uri")
    @classmethod
    def _pinned_image(cls, value: str) -> str:
        # A moving tag lets the weights change under an approved manifest; Kubernetes also
        # re-pulls ':latest' on every start (kubernetes.io/docs/concepts/containers/images).
        if value.startswith("oci://") and value.endswith(":latest"):
            raise ValueError("a modelcar image must be pinned to a tag or digest, not ':latest'")
        return value

    @property
    def total_gpus(self) -> int:
        """GPUs at the sized replicas of every pool (the prefill pool's too)."""
        prefill = self.prefill.replicas * self.prefill.gpus if self.prefill is not None else 0
        return self.replicas * self.gpus_per_replica + prefill


def option_hash(option: RecommendedOption) -> str:
    """Return a short, stable hash of an option's content.

    Args:
        option: The chosen option.

    Returns:
        The first 12 hex digits of the sha256 of its canonical JSON.
    """
    canonical = json.dumps(option.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def thread_label(thread_id: str) -> str:
    """Return a label-safe stand-in for a chat thread id (which may hold '/', ':' ...).

    Args:
        thread_id: The chat thread id as the channel gives it.

    Returns:
        "" for no thread, else "t-" and 16 hex digits of its sha256.
    """
    if not thread_id:
        return ""
    return "t-" + hashlib.sha256(thread_id.encode()).hexdigest()[:16]


def plan_for(
    option: RecommendedOption,
    *,
    namespace: str,
    requester: str,
    name: str | None = None,
    thread_id: str = "",
    autoscaler: Autoscaler = Autoscaler.KEDA,
    target: Target = Target.INFERENCE_SERVICE,
    profile: ClusterProfile | None = None,
    min_replicas: int | None = None,
    max_replicas: int | None = None,
    hf_token_secret: str = "",
    prometheus_url: str | None = None,
    gated: bool = False,
) -> DeploymentPlan:
    """Turn a chosen option into a validated plan for one cluster.

    Args:
        option: The recommended option to deploy.
        namespace: Target namespace.
        requester: Chat identity asking for the deployment.
        name: InferenceService name; derived from the model and GPU when None.
        thread_id: Chat thread the request came from.
        autoscaler: keda, hpa or none; for the LLMInferenceService target the actuator of its
            native ``spec.scaling`` (WVA), none where the profile has no WVA.
        target: InferenceService + ServingRuntime, or LLMInferenceService (llm-d).
        profile: The cluster (images per platform, KServe version, placement, monitoring);
            the upstream defaults when None.
        min_replicas: Floor for the autoscaler; the option's off-peak floor when None, else 1
            (the option was sized for the peak; off-peak the autoscaler may scale down).
        max_replicas: Ceiling for the autoscaler; twice the sized replicas when None.
        hf_token_secret: Secret (key ``HF_TOKEN``) for gated models; none when empty.
        prometheus_url: Prometheus the KEDA triggers query; the plan's default when None.
        gated: The checkpoint is gated on the registry it was read from (a model outside the
            catalog; the catalog's gated organisations are known to the pre-flight check).

    Returns:
        The plan (which :mod:`deploy.preflight` checks before anything is rendered).

    Raises:
        InvalidInputError: When any value is not usable, naming the field and the rule.
    """
    site = profile or ClusterProfile()
    args = option.serving_args
    precision = _precision(option.precision)
    gpu = gpu_spec(option.gpu)
    platform, arch = platform_of(gpu), arch_of(gpu)
    checkpoint = checkpoint_of(option.model)
    flag, notes = quantization_flag(option, checkpoint.quant_method, checkpoint.source)
    prefill = prefill_plan(option)
    target, pool_notes = disaggregated_target(prefill, target)
    scaler, scaling_notes = autoscaler_for(autoscaler, target, site)
    notes += pool_notes + scaling_notes
    dp = args.data_parallel_size
    weights = checkpoint.precision if checkpoint.quant_method else precision
    tp = option.tensor_parallel
    stored = checkpoint_weight_bytes(option.model, option.params_b, weights)
    uri = _storage_uri(option.model, site)
    if site.model_oci_repository and uri.startswith("hf://"):
        notes += (
            f"No modelcar tag or digest is pinned for {option.model} "
            "(PREFLIGHT_CLUSTER__MODEL_OCI_TAGS): the weights are downloaded from the Hub, never "
            "pulled at a moving ':latest'.",
        )
    fields: dict[str, object] = {
        "name": name or default_name(option.model, option.gpu_family),
        "namespace": namespace,
        "model": option.model,
        "served_model_name": option.model,
        "image": site.image_for(platform, arm64=arch is Arch.ARM64),
        "gpu": option.gpu,
        "gpu_family": option.gpu_family,
        "gpu_vendor": vendor_of(gpu),
        "platform": platform,
        "arch": arch,
        "gpu_resource": resource_of(platform, intel_gpu_resource=site.intel_gpu_resource),
        "gpus_per_replica": tp * dp,
        "data_parallel": dp,
        "expert_parallel": args.enable_expert_parallel,
        "prefill": prefill,
        "replicas": option.replicas,
        "min_replicas": min_replicas or option.min_replicas or 1,
        "max_replicas": max_replicas or max(2, option.replicas * 2),
        "precision": precision,
        "serving_args": args,
        "checkpoint_quantization": checkpoint.quant_method,
        "quantization_flag": flag,
        "weight_precision": weights,
        "notes": notes,
        "node_selector": _node_selector(gpu, arch, site),
        "tolerations": site.tolerations,
        "cpu_request": cpu_cores(tp * dp),
        "memory_gib": host_memory_gib(stored),
        "shm_gib": shm_gib(tp * dp),
        "ephemeral_gib": ephemeral_gib(stored, cached=not uri.startswith("hf://")),
        "storage_uri": uri,
        "startup_failure_threshold": startup_failure_threshold(stored, tp * dp),
        "autoscaler": scaler,
        "target": target,
        "kserve_version": site.kserve_version,
        "probe_scheme": site.llm_probe_scheme,
        "monitoring_labels": site.monitoring_labels,
        "storage_secret_annotation": site.storage_secret_annotation,
        "run_as_user": site.run_as_user,
        "keda_auth_secret": site.keda_auth_secret,
        "keda_ca_config_map": site.keda_ca_config_map,
        "keda_ca_key": site.keda_ca_key,
        "option_hash": option_hash(option),
        "thread_id": thread_id,
        "thread_label": thread_label(thread_id),
        "requester": requester,
        "hf_token_secret": hf_token_secret,
        "gated": gated,
    }
    if prometheus_url is not None:
        fields["prometheus_url"] = prometheus_url
    if args.tensor_parallel_size != tp:
        raise InvalidInputError(
            f"tensor_parallel {tp} differs from --tensor-parallel-size {args.tensor_parallel_size}",
            hint="the option is inconsistent; recompute it",
        )
    return _validated(fields)


def _node_selector(gpu: GpuSpec, arch: Arch, site: ClusterProfile) -> dict[str, str]:
    labels = site.node_labels.get(gpu.name) or site.node_labels.get(gpu.family.value)
    chosen = dict(labels) if labels is not None else dict(NODE_PRODUCT_LABELS.get(gpu.name, {}))
    return {"kubernetes.io/arch": arch.value, **chosen}


def _storage_uri(model: str, site: ClusterProfile) -> str:
    """Where the weights come from: a PVC cache, a modelcar image (KServe mounts the image's
    /models; the weights stay in the node's image store, not the pod's scratch space), else a
    download from the Hub into the pod."""
    if site.model_cache_pvc:
        return f"pvc://{site.model_cache_pvc}/{model}"
    pinned = site.model_oci_tags.get(model)
    if site.model_oci_repository and pinned:
        separator = "@" if pinned.startswith("sha256:") else ":"
        return f"oci://{site.model_oci_repository}/{model.lower()}{separator}{pinned}"
    return f"hf://{model}"


def default_name(model: str, gpu_family: str) -> str:
    """Derive a DNS-1035 name from a model id and GPU family, e.g. ``llama-3-1-8b-h100``.

    Args:
        model: Hugging Face model id.
        gpu_family: GPU family.

    Returns:
        A lower-case name of at most 45 characters that starts with a letter.
    """
    base = model.rsplit("/", 1)[-1]
    slug = re.sub(r"[^a-z0-9]+", "-", f"{base}-{gpu_family}".lower()).strip("-")
    if not slug or not slug[0].isalpha():
        slug = "m-" + slug
    return slug[:45].rstrip("-")


def thread_scoped_name(model: str, gpu_family: str, thread_id: str) -> str:
    """Derive a deployment name unique to a chat thread, e.g. ``llama-3-1-8b-h100-3fa91c``.

    Two threads deploying the same model on the same GPUs get different names, so neither
    overwrites (or rolls back) the other's objects.

    Args:
        model: Hugging Face model id.
        gpu_family: GPU family.
        thread_id: The chat thread.

    Returns:
        :func:`default_name` cut to 38 characters, a dash and 6 hex digits of the thread's sha256.
    """
    suffix = hashlib.sha256(thread_id.encode()).hexdigest()[:6]
    return f"{default_name(model, gpu_family)[:38].rstrip('-')}-{suffix}"


def _precision(text: str) -> Precision:
    try:
        return Precision(text.lower())
    except ValueError as exc:
        known = ", ".join(p.value for p in Precision)
        raise InvalidInputError(f"unknown precision {text!r}", hint=f"one of {known}") from exc


def _validated(fields: dict[str, object]) -> DeploymentPlan:
    try:
        plan = DeploymentPlan.model_validate(fields)
    except ValidationError as exc:
        raise InvalidInputError(
            "refused before anything reached a cluster: " + describe_errors(exc),
        ) from exc
    if plan.min_replicas > plan.max_replicas:
        raise InvalidInputError(
            f"min replicas {plan.min_replicas} exceeds max replicas {plan.max_replicas}"
        )
    return plan


def option_from_json(text: str, *, index: int = 0) -> RecommendedOption:
    """Parse one recommended option from JSON text.

    Args:
        text: An option object, or a whole recommendation (``{"options": [...]}``).
        index: Which option of a recommendation.

    Returns:
        The validated option.

    Raises:
        InvalidInputError: When the text is not JSON or not an option.
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"not JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("options"), list):
        options = data["options"]
        if not 0 <= index < len(options):
            raise InvalidInputError(f"the recommendation has {len(options)} options, not #{index}")
        data = options[index]
    try:
        return RecommendedOption.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError("not a recommended option: " + describe_errors(exc)) from exc


_RULES = {
    "name": "must be a lower-case DNS-1035 label of at most 45 characters (a-z, 0-9, '-')",
    "namespace": "must be a lower-case DNS-1123 label (a-z, 0-9, '-'), at most 63 characters",
    "model": "must be a Hugging Face id like org/name, without spaces",
    "served_model_name": "must be a Hugging Face id like org/name, without spaces",
    "image": "must be an image reference like vllm/vllm-openai:v0.11.0",
}


def describe_errors(exc: ValidationError) -> str:
    """Summarise a pydantic validation error as 'field value: rule; …'.

    Args:
        exc: The validation error.

    Returns:
        One line naming each bad field, the value given (cut short) and the rule it broke.
    """
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "value"
        rule = _RULES.get(where, error["msg"])
        value = error.get("input")
        shown = f" {str(value)[:60]!r}" if isinstance(value, str | int | float) else ""
        parts.append(f"{where}{shown} {rule}" if where in _RULES else f"{where}{shown}: {rule}")
    return "; ".join(parts)
