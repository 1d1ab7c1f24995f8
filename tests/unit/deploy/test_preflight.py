"""Tests of deploy.preflight: each named rule refuses what vLLM or KServe would refuse.

Every item of issue 12 that the deploy side decides has a test here or in test_render.py (golden
files for ROCm, Gaudi, Intel, GH200, gated-model and model-cache variants).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from deploy.catalog_view import catalog_models
from deploy.checkpoints import checkpoint_of
from deploy.plan import Autoscaler, Target
from deploy.preflight import RULES, check, enforce
from deploy.profile import ClusterProfile
from deploy.render import Manifest, render
from deploy.sizing import ephemeral_gib, host_memory_gib
from deploy.validate import validate_objects
from domain.errors import PolicyViolationError
from domain.recommendation import PrefillPool, SpeculativeConfig
from domain.serving import Precision
from knowledge.catalog import load_gpus
from simulate.memory import weight_bytes
from tests.unit.deploy.factories import FULL, make_plan


def _rules(manifests: list[Manifest], profile: ClusterProfile) -> set[str]:
    return {f.rule for f in check(manifests, profile) if f.kind == "refused"}


def _serving(manifests: list[Manifest], kind: str = "InferenceService") -> dict[str, Any]:
    return next(m for m in manifests if m["kind"] == kind)


def test_every_rule_names_the_source_it_encodes() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names)) == 14
    for rule in RULES:
        assert rule.source.strip()
        assert "/" in rule.source or "Kubernetes" in rule.source  # a file, a page or a standard


def test_a_refusal_names_the_rule_its_reason_and_its_source() -> None:
    manifests = render(make_plan(gpu_family="MI300X"))  # no ROCm image configured
    with pytest.raises(PolicyViolationError) as caught:
        enforce(manifests, ClusterProfile())
    assert "[image-platform] no vLLM image is configured for rocm" in caught.value.message
    assert "image-platform:" in caught.value.hint


# 1. gpt-oss ships MXFP4: never --quantization for a pre-quantized checkpoint.
def test_gpt_oss_option_asking_for_fp8_renders_no_quantization_flag_and_says_why() -> None:
    plan = make_plan(model="openai/gpt-oss-120b", precision="fp8", quantization="fp8")
    assert plan.checkpoint_quantization == "mxfp4"
    assert plan.quantization_flag is None
    assert "pre-quantized checkpoint (mxfp4" in plan.notes[0]
    manifests = render(plan)
    assert not any(a.startswith("--quantization") for a in _args(manifests))
    assert "checkpoint-quantization" not in _rules(manifests, FULL)


def test_a_quantization_flag_on_a_pre_quantized_checkpoint_is_refused() -> None:
    manifests = render(make_plan(model="openai/gpt-oss-20b"))
    _args(manifests).append("--quantization=fp8")
    assert "checkpoint-quantization" in _rules(manifests, FULL)


def test_load_time_quantization_of_16_bit_weights_keeps_its_flag() -> None:
    manifests = render(make_plan(precision="fp8", quantization="fp8"))
    assert "--quantization=fp8" in _args(manifests)
    assert _rules(manifests, FULL) == set()


@pytest.mark.parametrize(
    ("model", "method"),
    [
        pytest.param("openai/gpt-oss-120b", "mxfp4", id="gpt-oss"),
        pytest.param("nvidia/Llama-3.3-70B-Instruct-FP8", "modelopt", id="modelopt-fp8"),
        pytest.param("nvidia/Llama-3.3-70B-Instruct-FP4", "modelopt_fp4", id="modelopt-fp4"),
        pytest.param("deepseek-ai/DeepSeek-V3", "fp8", id="deepseek-fp8"),
        pytest.param("meta-llama/Llama-3.1-70B", None, id="bf16"),
    ],
)
def test_checkpoint_quantization_is_read_from_the_table(model: str, method: str | None) -> None:
    checkpoint = checkpoint_of(model)
    assert checkpoint.quant_method == method
    assert checkpoint.source


# 3. ROCm has no modelopt; Gaudi (vLLM 0.11 era) has no mxfp4.
@pytest.mark.parametrize(
    ("model", "family"),
    [
        pytest.param("nvidia/Llama-3.3-70B-Instruct-FP8", "MI300X", id="modelopt-on-rocm"),
        pytest.param("openai/gpt-oss-20b", "Gaudi3", id="mxfp4-on-gaudi"),
    ],
)
def test_a_checkpoint_the_platform_cannot_run_is_refused(model: str, family: str) -> None:
    tp = 4 if "70B" in model else 1
    manifests = render(make_plan(model=model, gpu_family=family, tensor_parallel=tp, profile=FULL))
    assert "platform-quantization" in _rules(manifests, FULL)


def test_tensor_parallel_must_divide_the_attention_heads() -> None:
    manifests = render(make_plan(model="meta-llama/Llama-3.2-3B-Instruct", tensor_parallel=16))
    found = [f for f in check(manifests, FULL) if f.rule == "tp-divides-heads"]
    assert found and "24 attention heads" in found[0].reason


MTP = SpeculativeConfig(method="deepseek_mtp", num_speculative_tokens=1)


def test_mtp_is_refused_for_a_checkpoint_without_an_mtp_module() -> None:
    manifests = render(make_plan(model="Qwen/Qwen3-8B", speculative=MTP, hf_token_secret=""))
    found = [f for f in check(manifests, FULL) if f.rule == "speculative-method"]
    assert found and "ships none" in found[0].reason


def test_mtp_on_deepseek_passes_and_reaches_vllm_as_one_json_argument() -> None:
    plan = make_plan(
        model="deepseek-ai/DeepSeek-R1",
        gpu_family="H200",
        precision="fp8",
        data_parallel=8,
        expert_parallel=True,
        speculative=MTP,
        hf_token_secret="",
    )
    manifests = render(plan)
    assert enforce(manifests, FULL) == []
    validate_objects(manifests)
    args = _serving(manifests)["spec"]["predictor"]["model"]["args"]
    assert '--speculative-config={"method":"deepseek_mtp","num_speculative_tokens":1}' in args


def test_mtp_in_an_llm_inference_service_is_quoted_like_the_kv_transfer_config() -> None:
    plan = make_plan(
        model="deepseek-ai/DeepSeek-R1",
        gpu_family="H200",
        precision="fp8",
        tensor_parallel=8,
        speculative=MTP,
        target=Target.LLM_INFERENCE_SERVICE,
        profile=FULL,
        hf_token_secret="",
    )
    manifests = render(plan)
    assert enforce(manifests, FULL) == []
    env = _serving(manifests, "LLMInferenceService")["spec"]["template"]["containers"][0]["env"]
    extra = next(e["value"] for e in env if e["name"] == "VLLM_ADDITIONAL_ARGS")
    assert '--speculative-config=\'{"method":"deepseek_mtp"' in extra


def test_a_model_outside_the_catalog_is_said_to_be_unchecked() -> None:
    manifests = render(make_plan(model="acme/private-model-7b", hf_token_secret=""))
    (note,) = [f for f in check(manifests, FULL) if f.kind == "unchecked"]
    assert note.rule == "tp-divides-heads" and "not in the catalog" in note.reason


# 2. Images per vendor, each with its allow-list.
def test_a_cuda_image_on_an_amd_gpu_is_refused_before_any_cluster_call() -> None:
    cuda_for_all = FULL.model_copy(update={"images": {**FULL.images, "rocm": FULL.images["cuda"]}})
    manifests = render(make_plan(gpu_family="MI300X", profile=cuda_for_all))
    reasons = [f.reason for f in check(manifests, cuda_for_all) if f.rule == "image-platform"]
    assert reasons and "listed for cuda" in reasons[0]


@pytest.mark.parametrize("family", ["MI300X", "Gaudi3", "Intel-Max-1550"])
def test_each_platform_gets_its_own_image(family: str) -> None:
    plan = make_plan(gpu_family=family, model="Qwen/Qwen3-8B", profile=FULL)
    assert plan.image == FULL.images[plan.platform.value]
    manifests = render(plan)
    runtime = next(m for m in manifests if m["kind"] == "ServingRuntime")
    assert runtime["spec"]["containers"][0]["image"] == plan.image
    assert _rules(manifests, FULL) == set()


def test_the_llm_inference_service_sets_the_image_so_kserve_does_not_fall_back_to_cuda() -> None:
    plan = make_plan(gpu_family="MI300X", target=Target.LLM_INFERENCE_SERVICE, profile=FULL)
    main = _serving(render(plan), "LLMInferenceService")["spec"]["template"]["containers"][0]
    assert main["image"] == FULL.images["rocm"]


# 4. Intel GPUs are gpu.intel.com/i915|xe, not habana.ai/gaudi.
def test_intel_gpus_request_the_intel_gpu_plugin_resource_and_gaudi_its_own() -> None:
    intel = make_plan(gpu_family="Intel-Max-1550", model="Qwen/Qwen3-8B")
    gaudi = make_plan(gpu_family="Gaudi3", model="Qwen/Qwen3-8B")
    assert intel.gpu_resource == "gpu.intel.com/i915"
    assert gaudi.gpu_resource == "habana.ai/gaudi"
    manifests = render(intel.model_copy(update={"gpu_resource": "habana.ai/gaudi"}))
    assert "gpu-resource" in _rules(manifests, FULL)


# 5. Gated models: the storage-initializer, not vLLM, needs the token.
def test_a_gated_model_without_a_token_for_the_downloader_is_refused() -> None:
    bare = render(make_plan(hf_token_secret=""))
    assert "gated-model-credentials" in _rules(bare, FULL)
    assert "gated-model-credentials" not in _rules(render(make_plan()), FULL)
    cached = FULL.model_copy(update={"model_cache_pvc": "weights"})
    assert _rules(render(make_plan(hf_token_secret="", profile=cached)), cached) == set()


def test_a_model_its_registry_reports_gated_needs_the_token_as_a_catalog_one_does() -> None:
    from deploy.plan import plan_for
    from tests.unit.deploy.factories import make_option

    fine_tune = make_option(model="acme/llama-ft-8b")  # outside the catalog, no gated org

    def rules(*, gated: bool, token: str) -> set[str]:
        plan = plan_for(
            fine_tune,
            namespace="team",
            requester="U1",
            profile=FULL,
            hf_token_secret=token,
            gated=gated,
        )
        return _rules(render(plan), FULL)

    assert "gated-model-credentials" in rules(gated=True, token="")
    assert "gated-model-credentials" not in rules(gated=True, token="hf-token")
    assert "gated-model-credentials" not in rules(gated=False, token="")


# 6. LLMInferenceService: HTTP unless KServe's TLS is on; the template's own probes stand.
@pytest.mark.parametrize("scheme", ["HTTP", "HTTPS"])
def test_llm_inference_service_probe_scheme_is_a_setting(scheme: str) -> None:
    profile = FULL.model_copy(update={"llm_probe_scheme": scheme})
    plan = make_plan(target=Target.LLM_INFERENCE_SERVICE, profile=profile)
    manifests = render(plan)
    main = _serving(manifests, "LLMInferenceService")["spec"]["template"]["containers"][0]
    assert main["startupProbe"]["httpGet"]["scheme"] == scheme
    assert "livenessProbe" not in main and "readinessProbe" not in main
    endpoint = _serving(manifests, "PodMonitor")["spec"]["podMetricsEndpoints"][0]
    assert endpoint.get("scheme", "http") == scheme.lower()


# 7. Pod Security "restricted" and random UIDs.
def test_every_vllm_container_is_restricted_with_its_caches_on_an_empty_dir() -> None:
    for target in Target:
        manifests = render(make_plan(target=target, profile=FULL))
        assert "restricted-pod" not in _rules(manifests, FULL)
    manifests = render(make_plan())
    runtime = _serving(manifests, "ServingRuntime")["spec"]
    runtime["containers"][0]["securityContext"].pop("seccompProfile")
    runtime["containers"][0]["env"] = runtime["containers"][0]["env"][1:]  # drop HOME
    reasons = [f.reason for f in check(manifests, FULL) if f.rule == "restricted-pod"]
    assert "seccompProfile" in reasons[0] and "HOME is not on a writable volume" in reasons[0]


def test_openshift_assigns_the_uid_when_run_as_user_is_zero() -> None:
    profile = FULL.model_copy(update={"run_as_user": 0})
    runtime = _serving(render(make_plan(profile=profile)), "ServingRuntime")
    context = runtime["spec"]["containers"][0]["securityContext"]
    assert context["runAsNonRoot"] is True and "runAsUser" not in context


# 8. GH200: arm64 nodes, an arm64 image.
def test_gh200_is_pinned_to_arm64_and_needs_an_arm64_image() -> None:
    plan = make_plan(gpu_family="GH200", profile=FULL)
    assert plan.node_selector["kubernetes.io/arch"] == "arm64"
    assert plan.image == FULL.images["cuda-arm64"]
    default = ClusterProfile()
    refused = _rules(render(make_plan(gpu_family="GH200")), default)
    assert "image-architecture" in refused
    pinned_wrong = render(plan)
    _serving(pinned_wrong)["spec"]["predictor"]["nodeSelector"]["kubernetes.io/arch"] = "amd64"
    assert "node-architecture" in _rules(pinned_wrong, FULL)


# 9. Model cache: a PVC instead of a download into unbounded scratch space.
def test_model_cache_mounts_a_pvc_and_downloads_size_ephemeral_storage() -> None:
    cached = make_plan(
        model="meta-llama/Llama-3.1-70B",
        tensor_parallel=2,
        profile=FULL.model_copy(update={"model_cache_pvc": "model-weights"}),
    )
    downloaded = make_plan(model="meta-llama/Llama-3.1-70B", tensor_parallel=2, profile=FULL)
    assert cached.storage_uri == "pvc://model-weights/meta-llama/Llama-3.1-70B"
    assert downloaded.storage_uri == "hf://meta-llama/Llama-3.1-70B"
    assert cached.ephemeral_gib == 10
    assert downloaded.ephemeral_gib > 140  # 70.55 B bf16 weights are ~131 GiB
    model = _serving(render(downloaded))["spec"]["predictor"]["model"]
    assert model["resources"]["requests"]["ephemeral-storage"] == f"{downloaded.ephemeral_gib}Gi"


def test_modelcar_images_serve_the_weights_from_the_node_without_a_download() -> None:
    profile = FULL.model_copy(
        update={
            "model_oci_repository": "registry.example.com/models",
            "model_oci_tags": {"meta-llama/Llama-3.1-70B": "2024-07-23"},
        }
    )
    plan = make_plan(
        model="meta-llama/Llama-3.1-70B", tensor_parallel=2, hf_token_secret="", profile=profile
    )
    assert plan.storage_uri == (
        "oci://registry.example.com/models/meta-llama/llama-3.1-70b:2024-07-23"
    )
    assert plan.ephemeral_gib == 10  # no weights in the pod's scratch space
    manifests = render(plan)
    assert _rules(manifests, profile) == set()  # no Hub token needed: nothing is downloaded
    validate_objects(manifests)
    old = profile.model_copy(update={"kserve_version": "0.15"})
    reasons = [f.reason for f in check(manifests, old) if f.rule == "kserve-version"]
    assert reasons and "enableModelcar" in reasons[0]


# 10. KServe versions decide what is rendered, and refuse what the version lacks.
def test_llm_inference_service_needs_kserve_0_18() -> None:
    manifests = render(make_plan(target=Target.LLM_INFERENCE_SERVICE))
    assert "kserve-version" in _rules(manifests, ClusterProfile(kserve_version="0.17"))
    assert "kserve-version" not in _rules(manifests, ClusterProfile(kserve_version="0.18"))


@pytest.mark.parametrize(("version", "mode"), [("0.15", "RawDeployment"), ("0.16", "Standard")])
def test_deployment_mode_follows_the_kserve_version(version: str, mode: str) -> None:
    profile = FULL.model_copy(update={"kserve_version": version})
    manifests = render(make_plan(profile=profile))
    notes = _serving(manifests)["metadata"]["annotations"]
    assert notes["serving.kserve.io/deploymentMode"] == mode
    assert "kserve-version" not in _rules(manifests, profile)
    standard = render(make_plan(profile=FULL))
    reasons = [f.reason for f in check(standard, ClusterProfile()) if f.rule == "kserve-version"]
    assert reasons and "no deploymentMode 'Standard'" in reasons[0]


@pytest.mark.parametrize(("version", "in_args"), [("0.18", True), ("0.19", True), ("0.20", False)])
def test_llm_d_gets_its_tensor_size_where_kserve_does_not_pass_it(
    version: str, in_args: bool
) -> None:
    profile = FULL.model_copy(update={"kserve_version": version})
    manifests = render(
        make_plan(tensor_parallel=2, target=Target.LLM_INFERENCE_SERVICE, profile=profile)
    )
    llm = _serving(manifests, "LLMInferenceService")
    env = {e["name"]: e.get("value") for e in llm["spec"]["template"]["containers"][0]["env"]}
    assert ("--tensor-parallel-size=2" in env["VLLM_ADDITIONAL_ARGS"]) is in_args
    assert llm["spec"]["parallelism"] == {"tensor": 2}
    assert "kserve-version" not in _rules(manifests, profile)
    if in_args:  # the flag removed: vLLM would run on one of the two GPUs
        stripped = copy.deepcopy(manifests)
        main = _serving(stripped, "LLMInferenceService")["spec"]["template"]["containers"][0]
        main["env"][0]["value"] = main["env"][0]["value"].replace("--tensor-parallel-size=2", "")
        assert "kserve-version" in _rules(stripped, profile)


@pytest.mark.parametrize(("version", "annotation"), [("0.15", None), ("0.16", "none")])
def test_autoscaler_class_none_only_where_kserve_has_it(
    version: str, annotation: str | None
) -> None:
    profile = FULL.model_copy(update={"kserve_version": version})
    manifests = render(make_plan(autoscaler=Autoscaler.NONE, profile=profile))
    notes = _serving(manifests)["metadata"]["annotations"]
    assert notes.get("serving.kserve.io/autoscalerClass") == annotation
    assert "kserve-version" not in _rules(manifests, profile)
    forced = copy.deepcopy(manifests)
    _serving(forced)["metadata"]["annotations"]["serving.kserve.io/autoscalerClass"] = "none"
    assert ("kserve-version" in _rules(forced, profile)) is (version == "0.15")


# 11. Monitoring that scrapes, and queries that see only this deployment's pods.
def test_monitoring_uses_labels_a_named_port_and_the_deployments_own_series() -> None:
    profile = FULL.model_copy(update={"monitoring_labels": {"release": "kube-prom"}})
    plan = make_plan(profile=profile)
    kinds = {m["kind"]: m for m in render(plan)}
    monitor = kinds["PodMonitor"]
    assert monitor["metadata"]["labels"]["release"] == "kube-prom"
    assert monitor["spec"]["podMetricsEndpoints"][0]["port"] == "http1"
    job = f'job="{plan.namespace}/{monitor["metadata"]["name"]}"'
    for trigger in kinds["ScaledObject"]["spec"]["triggers"]:
        assert job in trigger["metadata"]["query"]
    (board,) = kinds["ConfigMap"]["data"].values()
    assert "vllm:inter_token_latency_seconds_bucket" in board
    assert "time_per_output_token" not in board
    assert all(job in t["expr"] for p in json.loads(board)["panels"] for t in p["targets"])


def test_keda_authenticates_to_openshifts_thanos_querier_with_a_bearer_token() -> None:
    profile = FULL.model_copy(
        update={
            "keda_auth_secret": "thanos-token",
            "keda_ca_config_map": "openshift-service-ca.crt",
        }
    )
    plan = make_plan(
        profile=profile, prometheus_url="https://thanos-querier.openshift-monitoring.svc:9092"
    )
    manifests = render(plan)
    kinds = [m["kind"] for m in manifests]
    assert kinds.index("TriggerAuthentication") < kinds.index("ScaledObject")
    auth = _serving(manifests, "TriggerAuthentication")
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "bearerToken", "name": "thanos-token", "key": "token"}
    ]
    assert auth["spec"]["configMapTargetRef"] == [
        {"parameter": "ca", "name": "openshift-service-ca.crt", "key": "service-ca.crt"}
    ]
    for trigger in _serving(manifests, "ScaledObject")["spec"]["triggers"]:
        assert trigger["authenticationRef"] == {"name": auth["metadata"]["name"]}
        assert trigger["metadata"]["authModes"] == "bearer"
        assert trigger["metadata"]["unsafeSsl"] == "false"  # the certificate is verified
        assert trigger["metadata"]["namespace"] == plan.namespace  # Thanos tenancy
    assert enforce(manifests, profile) == []
    validate_objects(manifests)
    plain = [m["kind"] for m in render(make_plan(profile=FULL))]
    assert "TriggerAuthentication" not in plain


# 12. Node placement from settings.
def test_node_labels_and_tolerations_come_from_the_profile() -> None:
    profile = FULL.model_copy(
        update={
            "node_labels": {"H100": {"cloud.google.com/gke-accelerator": "nvidia-h100-80gb"}},
            "tolerations": ({"key": "dedicated", "operator": "Equal", "value": "llm"},),
        }
    )
    predictor = _serving(render(make_plan(profile=profile)))["spec"]["predictor"]
    assert predictor["nodeSelector"] == {
        "kubernetes.io/arch": "amd64",
        "cloud.google.com/gke-accelerator": "nvidia-h100-80gb",
    }
    assert {"key": "dedicated", "operator": "Equal", "value": "llm", "effect": "NoSchedule"} in (
        predictor["tolerations"]
    )


# 13. Autoscaling that scales down; host memory of pre-quantized checkpoints.
def test_keda_may_fall_below_the_peak_and_gpt_oss_host_memory_is_sized_from_mxfp4() -> None:
    plan = make_plan(replicas=4)
    scaled = _serving(render(plan), "ScaledObject")["spec"]
    assert scaled["minReplicaCount"] == 1 < plan.replicas <= scaled["maxReplicaCount"]
    gpt_oss = make_plan(model="openai/gpt-oss-120b", precision="bf16", hf_token_secret="")
    assert gpt_oss.memory_gib < 80  # 116.8 B params at ~4 bits, not 262 GiB of bf16
    # Counted as the recommender counts device memory: 16-bit embeddings, MXFP4 group scales.
    stored = weight_bytes(catalog_models()["openai/gpt-oss-120b"], Precision.FP4)
    assert 116.8e9 * 0.5 < stored < 116.8e9 * 0.6
    assert gpt_oss.memory_gib == host_memory_gib(stored)
    assert gpt_oss.ephemeral_gib == ephemeral_gib(stored, cached=False)


@pytest.mark.parametrize(
    ("autoscaler", "actuator"), [(Autoscaler.KEDA, "keda"), (Autoscaler.HPA, "hpa")]
)
def test_llm_inference_service_scales_natively_where_the_cluster_has_wva(
    autoscaler: Autoscaler, actuator: str
) -> None:
    profile = FULL.model_copy(update={"wva_autoscaling": True})
    plan = make_plan(
        target=Target.LLM_INFERENCE_SERVICE, autoscaler=autoscaler, replicas=3, profile=profile
    )
    manifests = render(plan)
    spec = _serving(manifests, "LLMInferenceService")["spec"]
    assert "replicas" not in spec  # exclusive with scaling (WorkloadSpec CEL rule)
    assert spec["scaling"]["minReplicas"] == 1 and spec["scaling"]["maxReplicas"] == 6
    assert set(spec["scaling"]["wva"]) == {actuator}
    assert {m["kind"] for m in manifests}.isdisjoint({"ScaledObject", "HorizontalPodAutoscaler"})
    validate_objects(manifests)
    assert _rules(manifests, profile) == set()
    assert "kserve-version" in _rules(manifests, FULL)  # the same objects where WVA is not set up


def test_without_wva_the_llm_inference_service_runs_its_sized_replicas_and_says_why() -> None:
    plan = make_plan(target=Target.LLM_INFERENCE_SERVICE, replicas=3, profile=FULL)
    spec = _serving(render(plan), "LLMInferenceService")["spec"]
    assert spec["replicas"] == 3 and "scaling" not in spec
    assert any("WVA_AUTOSCALING" in note for note in plan.notes)


# 15. Expert/data parallelism and prefill/decode disaggregation render and validate like any other.
def test_expert_and_data_parallel_options_request_a_gpu_per_rank() -> None:
    plan = make_plan(model="Qwen/Qwen3-30B-A3B", data_parallel=2, expert_parallel=True)
    assert plan.gpus_per_replica == 2 and plan.total_gpus == 2 * plan.replicas
    manifests = render(plan)
    args = _args(manifests)
    assert "--data-parallel-size=2" in args and "--enable-expert-parallel" in args
    model = _serving(manifests)["spec"]["predictor"]["model"]
    assert model["resources"]["requests"]["nvidia.com/gpu"] == "2"
    assert _rules(manifests, FULL) == set()
    validate_objects(manifests)
    model["resources"]["requests"]["nvidia.com/gpu"] = "1"  # one GPU for two ranks
    assert "gpus-match-parallelism" in _rules(manifests, FULL)


def _disaggregated(**kwargs: Any) -> dict[str, Any]:
    return {
        "model": "Qwen/Qwen3-30B-A3B",
        "expert_parallel": True,
        "prefill": PrefillPool(replicas=2, tensor_parallel=2),
        "hf_token_secret": "",
        **kwargs,
    }


def test_a_disaggregated_option_renders_decode_and_prefill_pools_of_llm_d() -> None:
    plan = make_plan(**_disaggregated(data_parallel=2), profile=FULL)  # InferenceService asked
    assert plan.target is Target.LLM_INFERENCE_SERVICE
    assert any("prefill/decode disaggregation" in note for note in plan.notes)
    assert plan.total_gpus == plan.replicas * 2 + 2 * 2
    manifests = render(plan)
    spec = _serving(manifests, "LLMInferenceService")["spec"]
    assert spec["parallelism"] == {"data": 2, "dataLocal": 2, "expert": True}
    assert spec["prefill"]["parallelism"] == {"tensor": 2, "expert": True}
    assert spec["prefill"]["replicas"] == 2
    decode = spec["template"]["containers"][0]
    prefill = spec["prefill"]["template"]["containers"][0]
    assert decode["startupProbe"]["httpGet"]["port"] == 8001  # llm-d's sidecar holds 8000
    assert prefill["startupProbe"]["httpGet"]["port"] == 8000
    for container in (decode, prefill):
        env = {e["name"]: e for e in container["env"]}
        assert "NixlConnector" in env["VLLM_ADDITIONAL_ARGS"]["value"]
        assert env["VLLM_NIXL_SIDE_CHANNEL_HOST"]["valueFrom"]["fieldRef"]["fieldPath"] == (
            "status.podIP"
        )
    monitors = [m for m in manifests if m["kind"] == "PodMonitor"]
    roles = [m["spec"]["selector"]["matchLabels"]["llm-d.ai/role"] for m in monitors]
    ports = [m["spec"]["podMetricsEndpoints"][0]["targetPort"] for m in monitors]
    assert (roles, ports) == (["decode", "prefill"], [8001, 8000])
    assert _rules(manifests, FULL) == set()
    validate_objects(manifests)


def test_each_pool_is_checked_on_its_own() -> None:
    manifests = render(make_plan(**_disaggregated(), profile=FULL))
    pool = _serving(manifests, "LLMInferenceService")["spec"]["prefill"]["template"]
    env = pool["containers"][0]["env"][0]
    env["value"] = env["value"].split(" --kv-transfer-config")[0]
    reasons = [f.reason for f in check(manifests, FULL) if f.rule == "kv-transfer"]
    assert reasons and "prefill pool" in reasons[0]
    odd = render(make_plan(**_disaggregated(prefill=PrefillPool(replicas=1, tensor_parallel=3))))
    assert "tp-divides-heads" in _rules(odd, FULL)  # 32 heads, TP 3 on the prefill pool


def test_disaggregation_needs_kserve_0_18_and_the_gate_says_so() -> None:
    from deploy.option_gate import OptionGate
    from tests.unit.deploy.factories import make_option

    option = make_option(**{k: v for k, v in _disaggregated().items() if k != "hf_token_secret"})
    screen = OptionGate(profile=ClusterProfile())(option)
    assert screen.refused and "kserve-version" in screen.rules
    assert OptionGate(profile=FULL)(option).refused is None


def _args(manifests: list[Manifest]) -> list[str]:
    args: list[str] = _serving(manifests)["spec"]["predictor"]["model"]["args"]
    return args


def _scenarios(eval_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (eval_dir / "scenarios.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    ("profile", "token"),
    [
        pytest.param(FULL, "hf-token", id="every-platform-configured"),
        pytest.param(ClusterProfile(), "", id="upstream-defaults-no-token"),
    ],
)
def test_no_scenario_is_offered_an_option_its_cluster_would_refuse(
    eval_dir: Path, profile: ClusterProfile, token: str
) -> None:
    """The recommend-time gate (as ``bot.deploy_wiring.deploy_check`` wires it for a real
    cluster) over every scenario: each option offered passes the pre-flight check as rendered
    (for both targets where KServe serves LLMInferenceService), and what was kept off the list
    says which rule refused it."""
    import dataclasses

    from deploy.option_gate import OptionGate
    from deploy.plan import plan_for
    from domain.requirements import Requirements
    from recommend.context import default_context
    from recommend.engine import recommend

    context = dataclasses.replace(
        default_context(),
        deploy_check=OptionGate(profile=profile, hf_token_secret=token),
    )
    checked, refused = 0, 0
    for scenario in _scenarios(eval_dir):
        wanted = Requirements.model_validate(scenario["requirements"])
        answer = recommend(wanted, context=context)
        refused += sum(e.rule == "preflight" for e in answer.excluded)
        for option in answer.options:
            for target in Target if profile.kserve_at_least("0.18") else [Target.INFERENCE_SERVICE]:
                plan = plan_for(
                    option,
                    namespace="llm-serving",
                    requester="U1",
                    target=target,
                    profile=profile,
                    hf_token_secret=token,
                )
                assert enforce(render(plan), profile) == [], (scenario["id"], option.model)
                checked += 1
    assert checked >= (40 if token else 20)
    if not token:  # gated Llama/Gemma checkpoints and non-CUDA GPUs were kept off the lists
        assert refused > 0


@pytest.mark.parametrize("gpu", sorted(load_gpus()))
def test_every_gpu_of_the_catalog_renders_objects_that_pass_the_pre_flight_check(gpu: str) -> None:
    from deploy.plan import plan_for
    from tests.unit.deploy.factories import make_option

    spec = load_gpus()[gpu]
    tp = 1 if spec.memory_gb >= 24 else 2
    option = make_option(model="Qwen/Qwen3-8B", gpu_family=spec.family.value, tensor_parallel=tp)
    option = option.model_copy(update={"gpu": gpu})
    plan = plan_for(option, namespace="llm-serving", requester="U1", profile=FULL)
    manifests = render(plan)
    assert enforce(manifests, FULL) == []
    validate_objects(manifests)


def test_the_keda_floor_is_the_options_off_peak_floor() -> None:
    from deploy.plan import plan_for
    from tests.unit.deploy.factories import make_option

    option = make_option(replicas=6).model_copy(update={"min_replicas": 2})
    plan = plan_for(option, namespace="llm-serving", requester="U1", hf_token_secret="hf")
    scaled = _serving(render(plan), "ScaledObject")["spec"]
    assert (scaled["minReplicaCount"], scaled["maxReplicaCount"]) == (2, 12)


def test_keda_over_https_to_an_in_cluster_querier_needs_its_ca() -> None:
    thanos = "https://thanos-querier.openshift-monitoring.svc:9092"
    without_ca = FULL.model_copy(update={"keda_auth_secret": "thanos-token"})
    found = _rules(render(make_plan(profile=without_ca, prometheus_url=thanos)), without_ca)
    assert "keda-tls" in found
    ca_only = FULL.model_copy(update={"keda_ca_config_map": "openshift-service-ca.crt"})
    manifests = render(make_plan(profile=ca_only, prometheus_url=thanos))
    reasons = [f.reason for f in check(manifests, ca_only) if f.rule == "keda-tls"]
    assert reasons and "only for triggers that set authModes" in reasons[0]
    plain_http = _rules(render(make_plan(profile=FULL)), FULL)
    assert "keda-tls" not in plain_http


def test_a_modelcar_is_pulled_at_its_pinned_digest_and_never_at_latest() -> None:
    digest = "sha256:" + "ab" * 32
    repository = {"model_oci_repository": "registry.example.com/models"}
    pinned = FULL.model_copy(update={**repository, "model_oci_tags": {"Qwen/Qwen3-8B": digest}})
    plan = make_plan(model="Qwen/Qwen3-8B", hf_token_secret="", profile=pinned)
    assert plan.storage_uri == f"oci://registry.example.com/models/qwen/qwen3-8b@{digest}"
    validate_objects(render(plan))
    unpinned = make_plan(
        model="Qwen/Qwen3-8B", hf_token_secret="", profile=FULL.model_copy(update=repository)
    )
    assert unpinned.storage_uri == "hf://Qwen/Qwen3-8B"
    assert any("MODEL_OCI_TAGS" in note for note in unpinned.notes)
    with pytest.raises(ValidationError, match="not a pinned tag"):
        ClusterProfile(**repository, model_oci_tags={"Qwen/Qwen3-8B": "latest"})
