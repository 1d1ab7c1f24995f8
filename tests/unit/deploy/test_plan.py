"""Tests of deploy.plan: only validated values become a plan; sizing rules per option."""

from __future__ import annotations

import pytest

from deploy.gpus import GpuVendor
from deploy.plan import (
    Autoscaler,
    default_name,
    option_from_json,
    plan_for,
    thread_label,
)
from deploy.profile import ClusterProfile
from deploy.sizing import startup_failure_threshold
from domain.errors import InvalidInputError
from domain.serving import Precision
from tests.unit.deploy.factories import make_option


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"namespace": "Prod"}, "namespace 'Prod'", id="namespace-with-capitals"),
        pytest.param({"namespace": "llm_serving"}, "namespace", id="namespace-underscore"),
        pytest.param({"namespace": "a" * 64}, "namespace", id="namespace-too-long"),
        pytest.param({"name": "Bad Name"}, "name 'Bad Name'", id="name-with-space"),
        pytest.param({"name": "9lives"}, "name", id="name-starting-with-digit"),
        pytest.param(
            {"profile": ClusterProfile(images={"cuda": "evil image; rm -rf"})},
            "image",
            id="image-with-spaces",
        ),
    ],
)
def test_bad_names_are_refused_with_the_field_named(kwargs: dict[str, object], field: str) -> None:
    arguments = {"namespace": "llm-serving", "requester": "U1", **kwargs}
    with pytest.raises(InvalidInputError) as caught:
        plan_for(make_option(), **arguments)  # type: ignore[arg-type]
    assert field in caught.value.message
    assert "refused before anything reached a cluster" in caught.value.message


def test_a_model_id_with_spaces_is_refused() -> None:
    option = make_option().model_copy(update={"model": "meta-llama/Llama 3.1 8B"})
    with pytest.raises(InvalidInputError, match=r"model 'meta-llama/Llama 3\.1 8B'"):
        plan_for(option, namespace="llm-serving", requester="U1")


def test_inconsistent_tensor_parallel_is_refused() -> None:
    option = make_option(tensor_parallel=2).model_copy(update={"tensor_parallel": 4})
    with pytest.raises(InvalidInputError, match="tensor_parallel 4"):
        plan_for(option, namespace="llm-serving", requester="U1")


@pytest.mark.parametrize(
    ("family", "vendor", "resource", "label"),
    [
        pytest.param(
            "H100", GpuVendor.NVIDIA, "nvidia.com/gpu", "nvidia.com/gpu.product", id="h100"
        ),
        pytest.param("L4", GpuVendor.NVIDIA, "nvidia.com/gpu", "nvidia.com/gpu.product", id="l4"),
        pytest.param(
            "MI300X", GpuVendor.AMD, "amd.com/gpu", "amd.com/gpu.product-name", id="mi300x"
        ),
        pytest.param("Gaudi3", GpuVendor.INTEL, "habana.ai/gaudi", None, id="gaudi3"),
        pytest.param(
            "Intel-Max-1550", GpuVendor.INTEL, "gpu.intel.com/i915", None, id="intel-max-1550"
        ),
    ],
)
def test_gpu_resource_and_node_selector_follow_the_vendor(
    family: str, vendor: GpuVendor, resource: str, label: str | None
) -> None:
    plan = plan_for(make_option(gpu_family=family), namespace="llm-serving", requester="U1")
    assert plan.gpu_vendor is vendor
    assert plan.gpu_resource == resource
    product = {k: v for k, v in plan.node_selector.items() if k != "kubernetes.io/arch"}
    assert (label in product) if label else product == {}
    assert plan.node_selector["kubernetes.io/arch"] == "amd64"


def test_shared_memory_only_for_tensor_parallel() -> None:
    single = plan_for(make_option(tensor_parallel=1), namespace="llm-serving", requester="U")
    multi = plan_for(make_option(tensor_parallel=4), namespace="llm-serving", requester="U")
    assert single.shm_gib == 0
    assert multi.shm_gib > 0


def test_startup_probe_grows_with_model_size() -> None:
    small = startup_failure_threshold(8e9 * Precision.BF16.bytes_per_param, 1)
    large = startup_failure_threshold(70e9 * Precision.BF16.bytes_per_param, 4)
    quantized = startup_failure_threshold(70e9 * Precision.FP8.bytes_per_param, 4)
    assert small < quantized < large
    # 70B in bf16 is 140 GB: at 0.25 GB/s that is > 9 minutes before the engine starts.
    assert large * 10 > 2 * 140 / 0.25


def test_autoscaler_none_keeps_the_sized_replicas() -> None:
    option = make_option(replicas=3)
    plan = plan_for(option, namespace="llm-serving", requester="U", autoscaler=Autoscaler.NONE)
    assert plan.replicas == 3


def test_default_name_is_a_dns_label() -> None:
    assert default_name("meta-llama/Llama-3.1-8B", "H100") == "llama-3-1-8b-h100"
    assert default_name("Qwen/3B", "L4") == "m-3b-l4"
    assert len(default_name("org/" + "x" * 80, "H100")) <= 45


def test_thread_label_is_label_safe_and_stable() -> None:
    label = thread_label("C0123/1700000000.000100")
    assert label == thread_label("C0123/1700000000.000100")
    assert label.startswith("t-") and "/" not in label
    assert thread_label("") == ""


def test_option_from_json_reads_an_option_or_a_recommendation() -> None:
    option = make_option()
    assert option_from_json(option.model_dump_json()) == option
    whole = '{"feasible": true, "options": [' + option.model_dump_json() + "]}"
    assert option_from_json(whole, index=0) == option
    with pytest.raises(InvalidInputError, match="1 options, not #3"):
        option_from_json(whole, index=3)
    with pytest.raises(InvalidInputError, match="not a recommended option"):
        option_from_json('{"model": "x"}')
