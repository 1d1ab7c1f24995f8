"""The pre-flight check: named rules that the rendered objects would start on their cluster.

Each rule reads the rendered objects (so the same check runs when a request is made, before
anything is shown or written, and again just before an approved apply) and the cluster profile,
and encodes one thing vLLM or KServe would refuse, each citing where that is decided:

======================  ==========================================================================
checkpoint-quantization  no ``--quantization`` for a pre-quantized checkpoint
                         (vllm/config/model.py ``ModelConfig._verify_quantization``)
platform-quantization    the method in effect exists on the platform (``supported_quantization``
                         of vllm/platforms/rocm.py, vllm/platforms/xpu.py, vllm-gaudi platform.py)
tp-divides-heads         tensor parallelism divides the attention heads
                         (vllm/config/model.py ``ModelConfig.verify_with_parallel_config``)
speculative-method       an MTP ``--speculative-config`` only for a checkpoint that ships an MTP
                         module (vllm/config/speculative.py ``MTPModelTypes``)
image-platform           an image is set, and it is on the allow-list of the GPU's platform
image-architecture       arm64 (Grace) nodes get an image the operator lists as arm64
node-architecture        the pod is pinned to nodes of the image's architecture
gpu-resource             the device plugin's resource of the platform is requested
gpus-match-parallelism   a pod requests one GPU per vLLM rank (tensor × data parallel)
kv-transfer              both pools of a prefill/decode pair ship the KV cache (NixlConnector)
restricted-pod           Pod Security "restricted" and random UIDs: non-root, no escalation,
                         RuntimeDefault seccomp, caches under HOME on a writable volume
kserve-version           the API and features used exist in the cluster's KServe
keda-tls                 KEDA's Prometheus triggers trust an in-cluster HTTPS querier through a CA
                         (kedacore/keda prometheus_scaler.go ``unsafeSsl``, ``ca``)
gated-model-credentials  a gated Hub model has a token the storage-initializer can read
======================  ==========================================================================

Every workload that runs vLLM is checked, a disaggregated LLMInferenceService's prefill pool as
well as its decode pool (:func:`deploy.preflight_subject.subjects_of`), each reason said once.
:func:`check` returns every finding; :func:`enforce` refuses with each rule's name, reason and
source. Models outside the catalog cannot be checked against their architecture; that is said
in a finding of kind ``unchecked``, never silently skipped.

This module must not render, read settings or talk to a cluster.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from deploy.catalog_view import catalog_models
from deploy.checkpoints import checkpoint_of
from deploy.gpus import Arch, Platform, arch_of, gpu_spec, platform_of, resource_of
from deploy.preflight_subject import Subject, subjects_of
from deploy.profile import ClusterProfile
from deploy.render import Manifest
from deploy.validate import image_repository
from domain.base import Frozen
from domain.errors import PolicyViolationError

# Quantization methods each non-CUDA platform implements; CUDA declares no list (all methods).
PLATFORM_QUANTIZATION: dict[Platform, frozenset[str]] = {
    # vllm-project/vllm@001eda31 vllm/platforms/rocm.py RocmPlatform.supported_quantization
    Platform.ROCM: frozenset(
        {"awq", "awq_marlin", "gptq", "gptq_marlin", "fp8", "compressed-tensors", "fbgemm_fp8"}
        | {"gguf", "quark", "mxfp4", "petit_nvfp4", "torchao", "bitsandbytes"}
    ),
    # vllm-project/vllm-gaudi vllm_gaudi/platform.py HpuPlatform.supported_quantization
    # (the release paired with vLLM 0.11)
    Platform.HPU: frozenset({"compressed-tensors", "fp8", "inc", "awq_hpu", "gptq_hpu"}),
    # vllm-project/vllm@00540f9d vllm/platforms/xpu.py XPUPlatform.supported_quantization
    Platform.XPU: frozenset(
        {"awq", "gptq", "auto_awq", "auto_gptq", "inc", "fp8", "mxfp4", "mxfp8", "modelopt"}
        | {"fp8_per_tensor", "fp8_per_block", "gpt_oss_mxfp4", "compressed-tensors"}
    ),
}
# --speculative-config methods that draft with the target checkpoint's MTP module.
MTP_METHODS = frozenset({"deepseek_mtp", "mtp"})
# Hub organisations whose repositories are gated (a licence must be accepted; downloads need a
# token): the Llama and Gemma licences (huggingface.co/meta-llama, huggingface.co/google).
GATED_PREFIXES = ("meta-llama/", "google/gemma")
# Set by the plan for a checkpoint its registry reports gated (a model outside the catalog).
GATED_ANNOTATION = "preflight.dev/gated"
# v1alpha2 from 0.17; VLLM_ADDITIONAL_ARGS in config-llm-template.yaml, and the WVA controller
# acting on spec.scaling (pkg/controller/v1alpha2/llmisvc/scaling.go), from 0.18.
LLMISVC_MIN_KSERVE = "0.18"
# config/llmisvcconfig/config-llm-template.yaml passes spec.parallelism.tensor from v0.20.0.
LLMISVC_TENSOR_FROM_SPEC_KSERVE = "0.20"
AUTOSCALER_NONE_MIN_KSERVE = "0.16"
# config/configmap/inferenceservice.yaml: storageInitializer enableModelcar false at v0.15.0,
# true from v0.16.0 (pkg/controller/v1alpha2/llmisvc/workload_storage.go refuses oci:// without).
MODELCAR_MIN_KSERVE = "0.16"
# pkg/constants/constants.go v0.16.0: Standard; RawDeployment "deprecated: use Standard".
STANDARD_MODE_MIN_KSERVE = "0.16"
CACHE_ENV = ("HOME", "XDG_CACHE_HOME", "VLLM_CACHE_ROOT")


class Finding(Frozen):
    """What one rule found."""

    rule: str
    kind: Literal["refused", "unchecked"]
    reason: str
    source: str


@dataclass(frozen=True)
class Rule:
    """A named check with the source it encodes; ``check`` returns a reason to refuse, or None."""

    name: str
    source: str
    check: Callable[[Subject, ClusterProfile], str | None]


def _checkpoint_quantization(s: Subject, _: ClusterProfile) -> str | None:
    declared = checkpoint_of(s.model).quant_method
    passed = s.flag("--quantization")
    if declared and passed:
        return (
            f"{s.model} is a pre-quantized checkpoint ({declared}); vLLM refuses "
            f"--quantization={passed} because it differs from the checkpoint's method"
        )
    return None


def _platform_quantization(s: Subject, _: ClusterProfile) -> str | None:
    platform = platform_of(gpu_spec(s.gpu))
    method = s.flag("--quantization") or checkpoint_of(s.model).quant_method
    supported = PLATFORM_QUANTIZATION.get(platform)
    if method and supported is not None and method not in supported:
        return (
            f"{method} quantization ({s.model}) is not supported by vLLM on {platform.value} "
            f"({s.gpu}); it supports {', '.join(sorted(supported))}"
        )
    return None


def _tp_divides_heads(s: Subject, _: ClusterProfile) -> str | None:
    spec = catalog_models().get(s.model)
    if spec is not None and spec.heads % s.tensor_parallel:
        return (
            f"{s.model} has {spec.heads} attention heads, which tensor parallel size "
            f"{s.tensor_parallel} does not divide"
        )
    return None


def _speculative_method(s: Subject, _: ClusterProfile) -> str | None:
    raw = s.flag("--speculative-config")
    if raw is None:
        return None
    try:
        config = json.loads(raw.strip("'"))
    except ValueError:
        return f"--speculative-config is not a JSON object: {raw}"
    method = config.get("method") if isinstance(config, dict) else None
    spec = catalog_models().get(s.model)
    if method in MTP_METHODS and spec is not None and not spec.mtp_modules:
        return (
            f"--speculative-config method {method} drafts with the checkpoint's own MTP module, "
            f"and {s.model} ships none (config.json num_nextn_predict_layers)"
        )
    return None


def _keda_tls(s: Subject, _: ClusterProfile) -> str | None:
    if s.keda_ca and not s.keda_auth_modes:
        return (
            "KEDA reads the TriggerAuthentication's 'ca' only for triggers that set authModes; "
            "without one the CA is ignored"
        )
    in_cluster = [a for a in s.keda_https if _svc(a)]
    if in_cluster and not s.keda_ca:
        return (
            f"KEDA verifies {in_cluster[0]}'s certificate (unsafeSsl false) against its own "
            "trust store, which holds no in-cluster service CA: set "
            "PREFLIGHT_CLUSTER__KEDA_CA_CONFIG_MAP (OpenShift: openshift-service-ca.crt, key "
            "service-ca.crt)"
        )
    return None


def _svc(address: str) -> bool:
    host = urlsplit(address).hostname or ""
    return host.endswith((".svc", ".svc.cluster.local"))


def _image_platform(s: Subject, profile: ClusterProfile) -> str | None:
    platform = platform_of(gpu_spec(s.gpu))
    if not s.image:
        return f"no vLLM image is configured for {platform.value} ({s.gpu})"
    repository = image_repository(s.image)
    allowed = profile.allowed_images.get(platform.value, ())
    if repository not in allowed:
        owner = [p for p, repos in profile.allowed_images.items() if repository in repos]
        made_for = f" (it is listed for {', '.join(owner)})" if owner else ""
        return (
            f"image {s.image} is not allowed for {platform.value} ({s.gpu}){made_for}; allowed: "
            + (", ".join(allowed) or "none")
        )
    return None


def _image_architecture(s: Subject, profile: ClusterProfile) -> str | None:
    if arch_of(gpu_spec(s.gpu)) is not Arch.ARM64:
        return None
    listed = set(profile.arm64_images)
    if s.image not in listed and image_repository(s.image) not in listed:
        return f"{s.gpu} nodes are arm64 (Grace CPU) and {s.image} is not listed as built for arm64"
    return None


def _node_architecture(s: Subject, _: ClusterProfile) -> str | None:
    arch = arch_of(gpu_spec(s.gpu)).value
    if s.node_selector.get("kubernetes.io/arch") != arch:
        return f"{s.gpu} nodes are {arch}, and the pod is not pinned to kubernetes.io/arch={arch}"
    return None


def _gpu_resource(s: Subject, profile: ClusterProfile) -> str | None:
    platform = platform_of(gpu_spec(s.gpu))
    wanted = resource_of(platform, intel_gpu_resource=profile.intel_gpu_resource)
    if wanted not in s.resources:
        asked = ", ".join(k for k in s.resources if "/" in k) or "none"
        return f"{s.gpu} is advertised as {wanted}, but the pod requests {asked}"
    return None


def _restricted_pod(s: Subject, _: ClusterProfile) -> str | None:
    problems = [p for c in s.containers for p in _container_problems(c, s.mounts)]
    return "; ".join(problems) or None


def _container_problems(container: dict[str, Any], mounts: dict[str, str]) -> list[str]:
    name = container.get("name", "?")
    ctx = container.get("securityContext") or {}
    out = []
    if ctx.get("runAsNonRoot") is not True:
        out.append(f"container {name} lacks runAsNonRoot: true")
    if ctx.get("allowPrivilegeEscalation") is not False:
        out.append(f"container {name} lacks allowPrivilegeEscalation: false")
    if "ALL" not in ((ctx.get("capabilities") or {}).get("drop") or []):
        out.append(f"container {name} does not drop ALL capabilities")
    if (ctx.get("seccompProfile") or {}).get("type") not in ("RuntimeDefault", "Localhost"):
        out.append(f"container {name} has no RuntimeDefault seccompProfile")
    env = {e.get("name"): e.get("value", "") for e in container.get("env") or []}
    for key in CACHE_ENV:
        if not any(str(env.get(key, "")).startswith(path) for path in mounts.values()):
            out.append(f"container {name}: {key} is not on a writable volume")
    return out


def _gpus_match_parallelism(s: Subject, profile: ClusterProfile) -> str | None:
    wanted = s.tensor_parallel * s.data_parallel
    resource = resource_of(
        platform_of(gpu_spec(s.gpu)), intel_gpu_resource=profile.intel_gpu_resource
    )
    asked = s.resources.get(resource)
    if asked is not None and asked != str(wanted):
        return (
            f"{s.kind} requests {asked} × {resource}, but vLLM starts tensor {s.tensor_parallel} "
            f"× data-parallel {s.data_parallel} = {wanted} ranks, one GPU each"
        )
    return None


def _kv_transfer(s: Subject, _: ClusterProfile) -> str | None:
    if s.disaggregated and s.flag("--kv-transfer-config") is None:
        return (
            f"the {s.kind} of a prefill/decode pair passes vLLM no --kv-transfer-config, so "
            "no KV cache reaches the decode pool"
        )
    return None


def _kserve_version(s: Subject, profile: ClusterProfile) -> str | None:
    version = profile.kserve_version
    if s.kind.startswith("LLMInferenceService"):
        return _llm_isvc_version(s, profile)
    if s.autoscaler_class == "none" and not profile.kserve_at_least(AUTOSCALER_NONE_MIN_KSERVE):
        return f"KServe {version} has no autoscalerClass 'none' (from {AUTOSCALER_NONE_MIN_KSERVE})"
    if s.storage_uri.startswith("oci://") and not profile.kserve_at_least(MODELCAR_MIN_KSERVE):
        return (
            f"KServe {version} does not enable modelcars (oci://) by default: enableModelcar is "
            f"false before {MODELCAR_MIN_KSERVE}"
        )
    if s.deployment_mode == "Standard" and not profile.kserve_at_least(STANDARD_MODE_MIN_KSERVE):
        return (
            f"KServe {version} has no deploymentMode 'Standard' (from {STANDARD_MODE_MIN_KSERVE}; "
            "before it the mode is RawDeployment)"
        )
    return None


def _llm_isvc_version(s: Subject, profile: ClusterProfile) -> str | None:
    version = profile.kserve_version
    if not profile.kserve_at_least(LLMISVC_MIN_KSERVE):
        return (
            f"KServe {version} cannot serve this LLMInferenceService: v1alpha2 exists from 0.17, "
            f"and extra vLLM arguments (VLLM_ADDITIONAL_ARGS), and the controller that acts on "
            f"spec.scaling, from {LLMISVC_MIN_KSERVE}"
        )
    if s.scaling and not profile.wva_autoscaling:
        return (
            "spec.scaling is acted on only by KServe's Workload Variant Autoscaler, which this "
            "cluster does not have set up (wva_autoscaling)"
        )
    from_spec = profile.kserve_at_least(LLMISVC_TENSOR_FROM_SPEC_KSERVE)
    if s.tensor_parallel > 1 and not s.tensor_in_args and not from_spec:
        return (
            f"KServe {version}'s LLMInferenceService template does not pass "
            f"spec.parallelism.tensor to vLLM (from {LLMISVC_TENSOR_FROM_SPEC_KSERVE}), and "
            "--tensor-parallel-size is not among the extra arguments: vLLM would use 1 GPU"
        )
    return None


def _gated_model_credentials(s: Subject, profile: ClusterProfile) -> str | None:
    named = s.model.startswith(GATED_PREFIXES) or s.annotations.get(GATED_ANNOTATION) == "true"
    gated = named and s.storage_uri.startswith("hf://")
    if gated and not s.annotations.get(profile.storage_secret_annotation):
        return (
            f"{s.model} is gated on the Hub, and the storage-initializer that downloads it reads "
            f"a token only from the {profile.storage_secret_annotation} secret or the "
            "ServiceAccount's secrets, not from the model container's env"
        )
    return None


RULES: tuple[Rule, ...] = (
    Rule(
        "checkpoint-quantization",
        "vllm/config/model.py ModelConfig._verify_quantization (vLLM 0.11)",
        _checkpoint_quantization,
    ),
    Rule(
        "platform-quantization",
        "supported_quantization of vllm/platforms/rocm.py, vllm/platforms/xpu.py and "
        "vllm-gaudi vllm_gaudi/platform.py; Platform.verify_quantization",
        _platform_quantization,
    ),
    Rule(
        "tp-divides-heads",
        "vllm/config/model.py ModelConfig.verify_with_parallel_config (vLLM 0.11)",
        _tp_divides_heads,
    ),
    Rule(
        "image-platform",
        "vLLM images are built per platform (vllm/vllm-openai is CUDA-only; vLLM "
        "docker/Dockerfile.rocm, docker/Dockerfile.xpu; vllm-gaudi); KServe's llm-d default "
        "image is CUDA",
        _image_platform,
    ),
    Rule(
        "speculative-method",
        "vllm/config/speculative.py SpeculativeConfig (MTPModelTypes: an MTP method drafts with "
        "the target checkpoint's num_nextn_predict_layers modules, hf_config_override)",
        _speculative_method,
    ),
    Rule(
        "image-architecture",
        "vLLM docs/deployment/docker.md 'Building for Arm64/aarch64'; vllm-project/vllm#22206 "
        "(Docker Hub's vllm/vllm-openai is linux/amd64 only)",
        _image_architecture,
    ),
    Rule(
        "node-architecture",
        "kubernetes.io/arch well-known node label (kubernetes.io/docs/reference/labels-annotations"
        "-taints)",
        _node_architecture,
    ),
    Rule(
        "gpu-resource",
        "device plugins: NVIDIA k8s-device-plugin, ROCm k8s-device-plugin, Habana device plugin, "
        "intel-device-plugins-for-kubernetes (gpu.intel.com/i915, gpu.intel.com/xe)",
        _gpu_resource,
    ),
    Rule(
        "gpus-match-parallelism",
        "vllm/config/parallel.py ParallelConfig (world size = tensor × pipeline, one GPU per "
        "rank; data-parallel ranks on the node each take theirs)",
        _gpus_match_parallelism,
    ),
    Rule(
        "kv-transfer",
        "kserve docs/samples/llmisvc/single-node-gpu/llm-inference-service-pd-qwen2-7b-gpu.yaml "
        "(v0.18.0: NixlConnector, kv_both on both pools); "
        "vLLM docs/features/nixl_connector_usage.md",
        _kv_transfer,
    ),
    Rule(
        "restricted-pod",
        "Kubernetes Pod Security Standards 'restricted'; vllm/envs.py VLLM_CACHE_ROOT "
        "(default $XDG_CACHE_HOME/vllm, else ~/.cache/vllm)",
        _restricted_pod,
    ),
    Rule(
        "kserve-version",
        "kserve pkg/constants/constants.go (v0.16.0: Standard, RawDeployment deprecated); "
        "config/configmap/inferenceservice.yaml (enableModelcar true from v0.16.0); "
        "pkg/apis/serving/v1alpha2 (v0.17.0); config/llmisvcconfig/config-llm-template.yaml "
        "(v0.18.0 VLLM_ADDITIONAL_ARGS, v0.20.0 spec.parallelism.tensor); "
        "pkg/controller/v1alpha2/llmisvc/scaling.go (v0.18.0); KServe release notes v0.16",
        _kserve_version,
    ),
    Rule(
        "keda-tls",
        "kedacore/keda pkg/scalers/prometheus_scaler.go (unsafeSsl, default false); "
        "pkg/scalers/authentication/authentication_helpers.go GetAuthConfigs (v2.20: 'ca' read "
        "with an authMode; none without); OpenShift service CA: openshift-service-ca.crt "
        "ConfigMap in every namespace",
        _keda_tls,
    ),
    Rule(
        "gated-model-credentials",
        "kserve pkg/webhook/admission/pod/storage_initializer_injector.go, "
        "pkg/credentials/service_account_credentials.go, pkg/credentials/hf/hf_secret.go",
        _gated_model_credentials,
    ),
)


def check(manifests: Sequence[Manifest], profile: ClusterProfile) -> list[Finding]:
    """Run every rule over one deployment's rendered objects.

    Args:
        manifests: The rendered objects of one plan.
        profile: The cluster they are meant for.

    Returns:
        One finding per rule that refuses, plus ``unchecked`` notes.
    """
    subjects = subjects_of(manifests)
    subject = subjects[0]
    found = [
        Finding(rule=rule.name, kind="refused", reason=reason, source=rule.source)
        for rule in RULES
        for reason in _reasons(rule, subjects, profile)
    ]
    if subject.model not in catalog_models():
        found.append(
            Finding(
                rule="tp-divides-heads",
                kind="unchecked",
                reason=f"{subject.model} is not in the catalog: its attention heads are unknown",
                source=_rule("tp-divides-heads").source,
            )
        )
    return found


def _reasons(rule: Rule, subjects: Sequence[Subject], profile: ClusterProfile) -> list[str]:
    """A rule's reasons over every workload, each said once."""
    found = (rule.check(subject, profile) for subject in subjects)
    return list(dict.fromkeys(reason for reason in found if reason is not None))


def _rule(name: str) -> Rule:
    return next(rule for rule in RULES if rule.name == name)


def enforce(manifests: Sequence[Manifest], profile: ClusterProfile) -> list[Finding]:
    """Refuse objects that would not start; return what could not be checked.

    Args:
        manifests: The rendered objects of one plan.
        profile: The cluster they are meant for.

    Returns:
        The ``unchecked`` findings (nothing refused).

    Raises:
        PolicyViolationError: Naming each refusing rule, its reason and its source.
    """
    findings = check(manifests, profile)
    refused = [f for f in findings if f.kind == "refused"]
    if refused:
        raise PolicyViolationError(
            "pre-flight check refused: " + "; ".join(f"[{f.rule}] {f.reason}" for f in refused),
            hint="sources: " + "; ".join(f"{f.rule}: {f.source}" for f in refused),
        )
    return [f for f in findings if f.kind == "unchecked"]
