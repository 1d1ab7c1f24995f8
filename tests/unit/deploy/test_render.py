"""Tests of deploy.render: golden manifests, text that cannot escape its field, the approval hash.

Golden files live in tests/unit/deploy/golden/; regenerate them after an intended change with
``PREFLIGHT_REGEN_GOLDEN=1 .venv/bin/pytest tests/unit/deploy/test_render.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.flags import vllm_flags
from deploy.plan import Autoscaler, Target
from deploy.preflight import enforce
from deploy.profile import ClusterProfile, Toleration
from deploy.render import manifest_hash, render, stamp_approval, to_yaml
from deploy.validate import validate_objects
from domain.recommendation import PrefillPool
from tests.unit.deploy.factories import make_plan

GOLDEN = Path(__file__).parent / "golden"

# Cluster profiles of the golden files. Images other than vllm/vllm-openai are operator
# settings; the registry names here are examples, not claims about published images.
ROCM = ClusterProfile(
    images={"cuda": "vllm/vllm-openai:v0.11.0", "rocm": "registry.example.com/vllm-rocm:0.11.0"},
    allowed_images={"cuda": ("vllm/vllm-openai",), "rocm": ("registry.example.com/vllm-rocm",)},
)
GAUDI = ClusterProfile(
    images={"hpu": "registry.example.com/vllm-gaudi:0.11.0"},
    allowed_images={"hpu": ("registry.example.com/vllm-gaudi",)},
)
INTEL_XE = ClusterProfile(
    images={"xpu": "registry.example.com/vllm-xpu:0.11.0"},
    allowed_images={"xpu": ("registry.example.com/vllm-xpu",)},
    intel_gpu_resource="gpu.intel.com/xe",
)
GH200 = ClusterProfile(
    images={"cuda-arm64": "registry.example.com/vllm-openai-arm64:v0.11.0"},
    allowed_images={"cuda": ("registry.example.com/vllm-openai-arm64",)},
    arm64_images=("registry.example.com/vllm-openai-arm64",),
    node_labels={"GH200": {"nvidia.com/gpu.product": "NVIDIA-GH200-480GB"}},
)
LLM_D = ClusterProfile(kserve_version="0.18", monitoring_labels={"release": "kube-prom"})
CACHED = ClusterProfile(
    model_cache_pvc="model-weights",
    tolerations=(Toleration(key="dedicated", operator="Equal", value="llm"),),
)
OPENSHIFT = ClusterProfile(
    keda_auth_secret="thanos-token", keda_ca_config_map="openshift-service-ca.crt", run_as_user=0
)
GATED_HELM = ClusterProfile(storage_secret_annotation="serving.kserve.io/secretName")

CASES = [
    pytest.param("llama8b-h100-keda", {}, id="llama8b-h100-keda"),
    pytest.param(
        "llama70b-h100-tp4-fp8-hpa",
        {
            "model": "meta-llama/Llama-3.1-70B",
            "tensor_parallel": 4,
            "precision": "fp8",
            "quantization": "fp8",
            "kv_cache_dtype": "fp8",
            "autoscaler": Autoscaler.HPA,
        },
        id="llama70b-h100-tp4-fp8-hpa",
    ),
    pytest.param(
        "llama70b-mi300x-fixed",
        {
            "model": "meta-llama/Llama-3.1-70B",
            "gpu_family": "MI300X",
            "autoscaler": Autoscaler.NONE,
            "profile": ROCM,
        },
        id="llama70b-mi300x-fixed",
    ),
    pytest.param(
        "llama70b-h100-tp2-llmisvc",
        {
            "model": "meta-llama/Llama-3.1-70B",
            "tensor_parallel": 2,
            "precision": "fp8",
            "quantization": "fp8",
            "target": Target.LLM_INFERENCE_SERVICE,
            "profile": LLM_D,
        },
        id="llama70b-h100-tp2-llmisvc",
    ),
    pytest.param(
        "qwen3-8b-h100-llmisvc-wva-keda",
        {
            "model": "Qwen/Qwen3-8B",
            "target": Target.LLM_INFERENCE_SERVICE,
            "profile": LLM_D.model_copy(update={"wva_autoscaling": True, "kserve_version": "0.20"}),
        },
        id="qwen3-8b-h100-llmisvc-wva-keda",
    ),
    pytest.param(
        "qwen3-8b-gaudi3",
        {"model": "Qwen/Qwen3-8B", "gpu_family": "Gaudi3", "profile": GAUDI},
        id="qwen3-8b-gaudi3",
    ),
    pytest.param(
        "qwen3-8b-intel-max-xe",
        {"model": "Qwen/Qwen3-8B", "gpu_family": "Intel-Max-1550", "profile": INTEL_XE},
        id="qwen3-8b-intel-max-xe",
    ),
    pytest.param(
        "llama8b-gh200-arm64",
        {"gpu_family": "GH200", "profile": GH200},
        id="llama8b-gh200-arm64",
    ),
    pytest.param(
        "gpt-oss-120b-h100-mxfp4",
        {
            "model": "openai/gpt-oss-120b",
            "precision": "fp8",
            "quantization": "fp8",
            "hf_token_secret": "",
        },
        id="gpt-oss-120b-h100-mxfp4",
    ),
    pytest.param(
        "gemma2-9b-l4-gated-helm",
        {"model": "google/gemma-2-9b-it", "gpu_family": "L4", "profile": GATED_HELM},
        id="gemma2-9b-l4-gated-helm",
    ),
    pytest.param(
        "qwen3-30b-a3b-h100-dp2-ep",
        {
            "model": "Qwen/Qwen3-30B-A3B",
            "data_parallel": 2,
            "expert_parallel": True,
            "hf_token_secret": "",
        },
        id="qwen3-30b-a3b-h100-dp2-ep",
    ),
    pytest.param(
        "deepseek-v3-h200-pd-dp8-ep",
        {
            "model": "deepseek-ai/DeepSeek-V3",
            "gpu_family": "H200",
            "precision": "fp8",
            "data_parallel": 8,
            "expert_parallel": True,
            "replicas": 1,
            "prefill": PrefillPool(replicas=2, tensor_parallel=8),
            "target": Target.LLM_INFERENCE_SERVICE,
            "hf_token_secret": "",
            "profile": ClusterProfile(kserve_version="0.20"),
        },
        id="deepseek-v3-h200-pd-dp8-ep",
    ),
    pytest.param(
        "qwen3-8b-l40s-keda-openshift-thanos",
        {
            "model": "Qwen/Qwen3-8B",
            "gpu_family": "L40S",
            "profile": OPENSHIFT,
            "prometheus_url": "https://thanos-querier.openshift-monitoring.svc:9092",
        },
        id="qwen3-8b-l40s-keda-openshift-thanos",
    ),
    pytest.param(
        "llama70b-h100-tp2-modelcar",
        {
            "model": "meta-llama/Llama-3.1-70B",
            "tensor_parallel": 2,
            "hf_token_secret": "",
            "profile": ClusterProfile(
                kserve_version="0.16",
                model_oci_repository="registry.example.com/models",
                model_oci_tags={"meta-llama/Llama-3.1-70B": "2024-07-23"},
            ),
        },
        id="llama70b-h100-tp2-modelcar",
    ),
    pytest.param(
        "llama70b-a100-tp2-model-cache",
        {
            "model": "meta-llama/Llama-3.1-70B",
            "gpu_family": "A100",
            "tensor_parallel": 2,
            "hf_token_secret": "",
            "profile": CACHED,
        },
        id="llama70b-a100-tp2-model-cache",
    ),
]


@pytest.mark.parametrize(("golden", "kwargs"), CASES)
def test_rendered_manifests_match_golden_files(golden: str, kwargs: dict[str, Any]) -> None:
    manifests = render(make_plan(**kwargs))
    assert enforce(manifests, kwargs.get("profile") or ClusterProfile()) == []  # pre-flight passes
    validate_objects(manifests)  # against the CRDs in deploy/crds and Kubernetes' schemas
    text = to_yaml(manifests)
    path = GOLDEN / f"{golden}.yaml"
    if os.environ.get("PREFLIGHT_REGEN_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text()


def _by_kind(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["kind"]: m for m in manifests}


def test_inference_service_references_the_runtime_and_carries_the_vllm_arguments() -> None:
    plan = make_plan(tensor_parallel=2, quantization="fp8", precision="fp8")
    kinds = _by_kind(render(plan))
    model = kinds["InferenceService"]["spec"]["predictor"]["model"]
    assert model["runtime"] == kinds["ServingRuntime"]["metadata"]["name"]
    assert model["modelFormat"] == {"name": "vLLM"}
    assert kinds["ServingRuntime"]["spec"]["supportedModelFormats"][0]["name"] == "vLLM"
    assert "--tensor-parallel-size=2" in model["args"]
    assert "--quantization=fp8" in model["args"]
    assert model["resources"]["limits"]["nvidia.com/gpu"] == "2"
    assert model["volumeMounts"] == [{"name": "dshm", "mountPath": "/dev/shm"}]
    assert model["startupProbe"]["httpGet"]["path"] == "/health"


def test_every_object_is_tied_to_thread_and_option() -> None:
    plan = make_plan()
    for manifest in render(plan):
        labels = manifest["metadata"]["labels"]
        assert labels["preflight.dev/option-hash"] == plan.option_hash
        assert labels["preflight.dev/thread"] == plan.thread_label
        assert manifest["metadata"]["annotations"]["preflight.dev/thread-id"] == plan.thread_id
        assert manifest["metadata"]["namespace"] == plan.namespace


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('x"\n  evil: true\nkind: Secret', id="yaml-break-out"),
        pytest.param("{{ 7*7 }} {% raw %}", id="template-syntax"),
        pytest.param("--- !!python/object:os.system", id="yaml-tags"),
    ],
)
def test_free_text_lands_as_one_value_and_nothing_else(text: str) -> None:
    manifests = render(make_plan(thread_id=text, requester=text))
    for manifest in manifests:
        notes = manifest["metadata"]["annotations"]
        assert notes["preflight.dev/thread-id"] == text
        assert notes["preflight.dev/requester"] == text
        assert "evil" not in manifest and manifest["kind"] != "Secret"
    assert len(list(yaml.safe_load_all(to_yaml(manifests)))) == len(manifests)


def test_autoscaler_choice_selects_the_scaling_object() -> None:
    keda = _by_kind(render(make_plan(autoscaler=Autoscaler.KEDA)))
    hpa = _by_kind(render(make_plan(autoscaler=Autoscaler.HPA)))
    fixed = _by_kind(render(make_plan(autoscaler=Autoscaler.NONE)))
    queries = [t["metadata"]["query"] for t in keda["ScaledObject"]["spec"]["triggers"]]
    assert any("vllm:num_requests_waiting" in q for q in queries)
    assert any("vllm:kv_cache_usage_perc" in q for q in queries)
    assert "HorizontalPodAutoscaler" in hpa and "ScaledObject" not in hpa
    assert not {"ScaledObject", "HorizontalPodAutoscaler"} & set(fixed)
    predictor = fixed["InferenceService"]["spec"]["predictor"]
    assert predictor["minReplicas"] == predictor["maxReplicas"] == 2


def test_dashboard_config_map_is_labelled_for_grafana() -> None:
    board = _by_kind(render(make_plan()))["ConfigMap"]
    assert board["metadata"]["labels"]["grafana_dashboard"] == "1"
    (json_text,) = board["data"].values()
    assert "vllm:time_to_first_token_seconds_bucket" in json_text


def test_hash_changes_with_any_change_and_ignores_the_approval_stamp() -> None:
    manifests = render(make_plan())
    digest = manifest_hash(manifests)
    changed = render(make_plan(replicas=3))
    assert manifest_hash(changed) != digest
    stamped = stamp_approval(manifests, approvers=["U-bob"], at="2026-01-01T00:00:00+00:00")
    assert stamped[0]["metadata"]["annotations"]["preflight.dev/approved-by"] == "U-bob"
    assert manifest_hash(stamped) == digest


def test_gated_models_give_the_downloader_the_token_through_the_storage_secret_annotation() -> None:
    isvc = _by_kind(render(make_plan(hf_token_secret="hf-token")))["InferenceService"]
    assert isvc["metadata"]["annotations"]["serving.kserve.io/storageSecretName"] == "hf-token"
    model = isvc["spec"]["predictor"]["model"]
    assert model["env"][0]["valueFrom"]["secretKeyRef"] == {"name": "hf-token", "key": "HF_TOKEN"}
    bare = _by_kind(render(make_plan(hf_token_secret="")))["InferenceService"]
    assert "env" not in bare["spec"]["predictor"]["model"]
    assert "serving.kserve.io/storageSecretName" not in bare["metadata"]["annotations"]


def test_vllm_flags_include_prefix_caching_choice() -> None:
    args = vllm_flags(make_plan())
    assert "--enable-prefix-caching" in args
    assert args[0] == "--served-model-name=meta-llama/Llama-3.1-8B"


def test_llm_inference_service_target_passes_vllm_arguments_through_the_environment() -> None:
    plan = make_plan(
        tensor_parallel=2,
        target=Target.LLM_INFERENCE_SERVICE,
        profile=ClusterProfile(kserve_version="0.20"),  # the template passes the tensor size
    )
    kinds = _by_kind(render(plan))
    assert set(kinds) == {"LLMInferenceService", "PodMonitor", "ConfigMap", "PodDisruptionBudget"}
    spec = kinds["LLMInferenceService"]["spec"]
    assert spec["model"] == {
        "uri": "hf://meta-llama/Llama-3.1-8B",
        "name": "meta-llama/Llama-3.1-8B",
    }
    assert spec["parallelism"] == {"tensor": 2}
    env = spec["template"]["containers"][0]["env"][0]
    assert env["name"] == "VLLM_ADDITIONAL_ARGS"
    assert "--max-model-len=8192" in env["value"]
    assert "--tensor-parallel-size" not in env["value"]
    assert "--served-model-name" not in env["value"]
    selector = kinds["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]
    assert selector["app.kubernetes.io/part-of"] == "llminferenceservice"
    assert kinds["PodMonitor"]["spec"]["selector"]["matchLabels"] == selector
