"""Tests of deploy.option_gate: the pre-flight check asked of options before they are offered."""

from __future__ import annotations

from deploy.option_gate import OptionGate
from deploy.plan import Target
from deploy.profile import ClusterProfile
from tests.unit.deploy.factories import FULL, make_option


def test_an_option_no_cluster_could_run_is_refused_even_when_only_noting() -> None:
    gate = OptionGate(profile=FULL, exclude_setup=False)
    modelopt_on_rocm = make_option(
        model="nvidia/Llama-3.3-70B-Instruct-FP8", gpu_family="MI300X", tensor_parallel=4
    )
    screen = gate(modelopt_on_rocm)
    assert screen.refused is not None and "platform-quantization" in screen.rules
    assert "modelopt" in screen.refused


def test_what_the_cluster_lacks_is_refused_for_a_real_cluster_and_noted_for_a_dry_run() -> None:
    gated = make_option(model="meta-llama/Llama-3.1-8B")
    real = OptionGate(profile=ClusterProfile())(gated)
    assert real.refused and real.rules == ("gated-model-credentials",)
    dry = OptionGate(profile=ClusterProfile(), exclude_setup=False)(gated)
    assert dry.refused is None and dry.needs is not None
    assert "PREFLIGHT_CLUSTER__HF_TOKEN_SECRET" in dry.needs
    with_token = OptionGate(profile=ClusterProfile(), hf_token_secret="hf-token")(gated)
    assert with_token.refused is None and with_token.needs is None


def test_a_model_gated_on_its_registry_is_screened_like_a_gated_catalog_model() -> None:
    fine_tune = make_option(model="acme/llama-ft-8b")
    gated = OptionGate(profile=ClusterProfile(), is_gated=lambda model: model == fine_tune.model)
    assert gated(fine_tune).rules == ("gated-model-credentials",)
    assert OptionGate(profile=ClusterProfile())(fine_tune).refused is None


def test_the_gate_screens_the_target_the_settings_deploy_to() -> None:
    option = make_option(model="Qwen/Qwen3-8B")
    old = ClusterProfile(kserve_version="0.17")
    assert OptionGate(profile=old)(option).refused is None
    llm_d = OptionGate(profile=old, target=Target.LLM_INFERENCE_SERVICE)(option)
    assert llm_d.rules == ("kserve-version",)


def test_each_platform_without_its_image_is_refused_for_a_real_cluster() -> None:
    gate = OptionGate(profile=ClusterProfile())
    for family in ("MI300X", "Gaudi3", "Intel-Max-1550", "GH200"):
        screen = gate(make_option(model="Qwen/Qwen3-8B", gpu_family=family))
        assert screen.refused, family
        assert set(screen.rules) <= {"image-platform", "image-architecture"}, family


def test_a_verdict_is_kept_per_what_the_rules_read() -> None:
    gate = OptionGate(profile=FULL)
    first = gate(make_option(model="openai/gpt-oss-20b", replicas=2))
    assert gate(make_option(model="openai/gpt-oss-20b", replicas=7)) is first  # replicas: same
    assert len(gate._seen) == 1
    gate(make_option(model="openai/gpt-oss-20b", gpu_family="MI300X"))
    assert len(gate._seen) == 2
