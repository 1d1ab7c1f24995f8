"""Expert parallelism, MTP and prefill/decode splits through the real recommend → deploy flow.

The context is built as ``preflight recommend`` builds it from the settings (the option gate and
the techniques the cluster allows, :func:`bot.deploy_wiring.serving_techniques`); each offered
option is planned for the same cluster, rendered, pre-flight checked and validated against the
CRDs and Kubernetes' schemas, as ``deploy render`` does.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.deploy_wiring import cluster_profile, deploy_check, serving_techniques
from bot.settings import load_settings
from deploy.plan import plan_for
from deploy.preflight import enforce
from deploy.render import render
from deploy.validate import validate_objects
from domain.errors import ConfigurationError
from domain.recommendation import Recommendation, RecommendedOption
from recommend.context import RecommendContext, default_context
from recommend.engine import recommend
from recommend.inputs import requirements_from_mapping

DEEPSEEK_AT_SCALE = {
    "task": "chatbot",
    "models": ["deepseek-ai/DeepSeek-R1"],
    "gpus": ["H200"],
    "requests_per_second": 40,
    "input_tokens": 2000,
    "output_tokens": 1000,
    "slo": [{"metric": "itl", "percentile": 95, "ms": 50}],
}
# Long prompts, a tight ITL tail: prompts riding on decode steps set the aggregated p99.
LONG_PROMPTS_TIGHT_TAIL = {
    "task": "rag",
    "models": ["meta-llama/Llama-3.1-70B-Instruct"],
    "gpus": ["H100"],
    "requests_per_second": 20,
    "input_tokens": 8000,
    "output_tokens": 300,
    "slo": [
        {"metric": "itl", "percentile": 99, "ms": 25},
        {"metric": "ttft", "percentile": 95, "ms": 3000},
    ],
}
SMALL_DENSE_LOW_LOAD = {
    "task": "chatbot",
    "models": ["meta-llama/Llama-3.1-8B-Instruct"],
    "requests_per_second": 5,
}


# A reasoning workload: short prompts, long answers (the KV cache of many long sequences).
REASONING_AT_SCALE = {
    "task": "chatbot",
    "models": ["deepseek-ai/DeepSeek-R1"],
    "gpus": ["H200"],
    "requests_per_second": 20,
    "input_tokens": 1000,
    "output_tokens": 4000,
    "slo": [{"metric": "itl", "percentile": 95, "ms": 100}],
}


def _context(
    monkeypatch: pytest.MonkeyPatch, kserve: str, techniques: str | None = None
) -> tuple[RecommendContext, Any]:
    monkeypatch.setenv("PREFLIGHT_CLUSTER__KSERVE_VERSION", kserve)
    if techniques is not None:
        monkeypatch.setenv("PREFLIGHT_CLUSTER__SERVING_TECHNIQUES", techniques)
    monkeypatch.setenv("PREFLIGHT_CLUSTER__HF_TOKEN_SECRET", "hf-token")
    settings = load_settings()
    context = default_context(
        deploy_check=deploy_check(settings), serving_techniques=serving_techniques(settings)
    )
    return context, settings


def _recommend(context: RecommendContext, wanted: dict[str, Any]) -> Recommendation:
    return recommend(requirements_from_mapping(wanted, context.models), context=context)


def _renders_and_validates(option: RecommendedOption, settings: Any) -> list[dict[str, Any]]:
    profile = cluster_profile(settings)
    plan = plan_for(
        option,
        namespace="llm-serving",
        requester="U-alice",
        profile=profile,
        hf_token_secret="hf-token",
    )
    manifests = render(plan)
    assert enforce(manifests, profile) == []  # the pre-flight check passes
    validate_objects(manifests)  # CRDs in deploy/crds and Kubernetes' schemas
    return manifests


def test_deepseek_r1_at_high_load_on_h200_drafts_with_mtp_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context, settings = _context(monkeypatch, "0.15")
    rec = _recommend(context, DEEPSEEK_AT_SCALE)
    top = rec.options[0]
    args = top.serving_args
    assert top.meets_slo and top.gpu.startswith("H200")
    assert args.speculative_config is not None
    assert args.speculative_config.method == "deepseek_mtp"
    assert args.tensor_parallel_size == 8 and args.data_parallel_size == 1  # MTP with TP only
    assert top.prefill is None  # KServe 0.15 serves no LLMInferenceService: no split proposed
    assert any("no prefill/decode split: it needs KServe 0.18" in a for a in rec.assumptions)
    why = " ".join(top.reasons)
    assert "cheaper than plain TP8" in why and "--speculative-config" in why
    assert "arXiv:2412.19437" in why  # the accepted length says where it comes from
    text = str(_renders_and_validates(top, settings))
    assert '--speculative-config={"method":"deepseek_mtp","num_speculative_tokens":1}' in text


def test_without_speculative_decoding_a_reasoning_load_spreads_experts_over_eight_h200(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context, settings = _context(monkeypatch, "0.15", techniques='["expert_parallel"]')
    top = _recommend(context, REASONING_AT_SCALE).options[0]
    args = top.serving_args
    assert top.meets_slo and args.speculative_config is None
    assert args.enable_expert_parallel and args.data_parallel_size == 8
    assert args.tensor_parallel_size == 1 and top.tensor_parallel == 1
    assert top.total_gpus == top.replicas * 8
    why = " ".join(top.reasons)
    assert "EP8 + DP-attention across 8× H200" in why and "cheaper than plain TP8" in why
    text = str(_renders_and_validates(top, settings))
    assert "--data-parallel-size=8" in text and "--enable-expert-parallel" in text


def test_an_unknown_technique_in_the_settings_stops_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PREFLIGHT_CLUSTER__SERVING_TECHNIQUES", '["eagle"]')
    with pytest.raises(ConfigurationError, match="unknown eagle"):
        serving_techniques(load_settings())


def test_a_small_dense_model_at_low_load_gets_no_technique(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context, _ = _context(monkeypatch, "0.20")
    rec = _recommend(context, SMALL_DENSE_LOW_LOAD)
    assert rec.feasible
    assert not any("Serving techniques" in a for a in rec.assumptions)
    for option in rec.options:
        args = option.serving_args
        assert args.data_parallel_size == 1 and not args.enable_expert_parallel
        assert args.speculative_config is None and option.prefill is None


def test_long_prompts_with_a_tight_itl_tail_split_prefill_from_decode_where_llm_d_serves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context, settings = _context(monkeypatch, "0.20")
    top = _recommend(context, LONG_PROMPTS_TIGHT_TAIL).options[0]
    assert top.prefill is not None and top.meets_slo
    assert top.total_gpus == (top.replicas + top.prefill.replicas) * top.tensor_parallel
    assert "llm-d" in " ".join(top.reasons)
    manifests = _renders_and_validates(top, settings)
    kinds = [m["kind"] for m in manifests]
    assert "LLMInferenceService" in kinds
    service = next(m for m in manifests if m["kind"] == "LLMInferenceService")
    assert service["spec"]["prefill"]["replicas"] == top.prefill.replicas
    assert "--kv-transfer-config" in str(service["spec"]["template"])


def test_without_llm_d_the_same_load_gets_no_split(monkeypatch: pytest.MonkeyPatch) -> None:
    context, _ = _context(monkeypatch, "0.17")
    rec = _recommend(context, LONG_PROMPTS_TIGHT_TAIL)
    assert all(option.prefill is None for option in rec.options)
