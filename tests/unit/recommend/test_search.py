"""Tests of recommend.search: rules rule out with reasons, survivors are sized best-first."""

from __future__ import annotations

from domain.requirements import GpuFamily, Requirements, SloTarget, Task
from domain.serving import Precision
from recommend.candidates import enumerate_candidates, model_families, option_quality
from recommend.context import RecommendContext
from recommend.demand import plan_demand
from recommend.search import SearchResult, search
from recommend.sizing import serving_config


def _search(
    context: RecommendContext, requirements: Requirements, named: list[str], limit: int = 5
) -> SearchResult:
    demand = plan_demand(requirements, context.task_defaults)
    return search(requirements, demand, named, context, limit=limit)


def test_every_sized_option_keeps_the_rules(context: RecommendContext) -> None:
    requirements = Requirements(
        task=Task.CHATBOT,
        gpu_families=[GpuFamily.L4, GpuFamily.L40S],
        max_gpus=2,
        license="permissive",
        concurrent_users=40,
    )
    found = _search(context, requirements, [])
    assert found.sized
    for option in found.sized:
        assert option.candidate.gpu.family in (GpuFamily.L4, GpuFamily.L40S)
        assert option.total_gpus <= 2
        assert option.candidate.model.license in ("apache-2.0", "mit")
        assert option.meets_slo
        assert option.replicas * option.per_replica_rps >= 40 / 60 - 1e-9


def test_exclusions_name_rule_and_reason(context: RecommendContext) -> None:
    requirements = Requirements(
        models=["meta-llama/Llama-3.1-70B"],
        gpu_families=[GpuFamily.L4],
        max_gpus=1,
        slo=[SloTarget(metric="ttft", ms=2000)],
    )
    found = _search(context, requirements, ["meta-llama/Llama-3.1-70B"])
    assert not found.sized
    rules = {e.rule for e in found.exclusions}
    assert {"gpu_family", "memory"} <= rules
    memory = next(e for e in found.exclusions if e.rule == "memory")
    assert "L4" in memory.what and "GiB" in memory.why


def test_idle_slo_miss_is_reported_with_the_number(context: RecommendContext) -> None:
    requirements = Requirements(
        models=["meta-llama/Llama-3.1-70B"],
        gpu_families=[GpuFamily.L4],
        max_gpus=8,
        quantization="forbidden",
        slo=[SloTarget(metric="itl", ms=10)],
    )
    found = _search(context, requirements, ["meta-llama/Llama-3.1-70B"])
    assert not found.sized
    slo = [e for e in found.exclusions if e.rule == "slo"]
    assert slo and "ITL p95 would be" in slo[0].why and "target 10 ms" in slo[0].why


def test_serving_config_covers_the_longest_request(context: RecommendContext) -> None:
    requirements = Requirements(min_context_tokens=20_000)
    demand = plan_demand(requirements, context.task_defaults)
    family = model_families(context.models, ["Qwen/Qwen3-8B"])
    candidate = enumerate_candidates(family, [context.gpus["L40S"]], requirements, Task.CHATBOT)[0]
    config = serving_config(candidate, demand.context_tokens)
    assert config.max_model_len is not None and config.max_model_len >= 20_000
    assert config.max_model_len <= candidate.model.max_context


def test_quantized_options_carry_a_quality_penalty(context: RecommendContext) -> None:
    families = model_families(context.models, ["meta-llama/Llama-3.1-8B"])
    candidates = enumerate_candidates(
        families, [context.gpus["H100-SXM-80GB"]], Requirements(), Task.CHATBOT
    )
    quality = {c.precision: option_quality(c) for c in candidates if c.tensor_parallel == 1}
    assert quality[Precision.BF16] > quality[Precision.FP8] > quality[Precision.INT4]


def test_dominated_families_are_excluded_with_the_better_one_named(
    context: RecommendContext,
) -> None:
    found = _search(context, Requirements(task=Task.CHATBOT), [])
    dominated = [e for e in found.exclusions if e.rule == "dominated"]
    assert dominated
    assert all("is no larger, no slower and scores at least as well" in e.why for e in dominated)
    sized_models = {s.candidate.model.hf_id for s in found.sized}
    assert not any(e.what.split(", ")[0] in sized_models for e in dominated)


def test_named_models_are_never_dominated(context: RecommendContext) -> None:
    named = ["meta-llama/Meta-Llama-3-8B"]
    found = _search(context, Requirements(task=Task.CHATBOT, models=named), named)
    assert not [e for e in found.exclusions if e.rule == "dominated"]
    assert found.sized
