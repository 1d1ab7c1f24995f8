"""Tests of recommend.engine: ranked, explained options; plain answers when nothing fits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import UnknownNameError
from domain.recommendation import Recommendation
from domain.requirements import (
    GpuFamily,
    Priority,
    QuantizationStance,
    Requirements,
    SloTarget,
    Task,
)
from recommend.context import RecommendContext
from recommend.engine import recommend

EIGHT_B_CHAT = Requirements(
    task="chatbot",
    models=["meta-llama/Llama-3.1-8B"],
    concurrent_users=100,
    slo=[SloTarget(metric="ttft", ms=1500), SloTarget(metric="itl", ms=80)],
)


@pytest.fixture(scope="module")
def eight_b(context: RecommendContext) -> Recommendation:
    """A feasible recommendation for a named 8B chatbot."""
    return recommend(EIGHT_B_CHAT, context=context)


def test_options_are_consistent_and_hold_their_slos(
    context: RecommendContext, eight_b: Recommendation
) -> None:
    assert eight_b.feasible
    assert 1 <= len(eight_b.options) <= 5
    for option in eight_b.options:
        gpu = context.gpus[option.gpu]
        assert option.total_gpus == option.tensor_parallel * option.replicas
        assert option.gpu_family == gpu.family.value
        assert gpu.price_usd_per_gpu_hr is not None
        expected = gpu.price_usd_per_gpu_hr * option.total_gpus * 730
        assert option.monthly_cost_usd == pytest.approx(expected, rel=0.01)
        assert option.serving_args.tensor_parallel_size == option.tensor_parallel
        assert option.model in {
            m.hf_id
            for m in context.models.values()
            if (m.base_id or m.hf_id) == "meta-llama/Llama-3.1-8B"
        }
    top = eight_b.options[0]
    assert top.meets_slo
    assert top.predicted.ttft_ms_p95 <= 1500 and top.predicted.itl_ms_p95 <= 80


def test_every_option_rests_on_a_measurement_or_says_it_is_a_prediction(
    eight_b: Recommendation,
) -> None:
    for option in eight_b.options:
        kinds = {e.kind for e in option.evidence}
        assert "prediction" in kinds or "measurement" in kinds
        for item in option.evidence:
            if item.kind == "measurement":
                assert item.record_id and item.source_id and item.source_path


def test_assumptions_state_the_defaults_taken(eight_b: Recommendation) -> None:
    joined = " ".join(eight_b.assumptions)
    assert "active at once" in joined and "sending a request every" in joined
    assert "Prompts of" in joined
    assert "Quantization not stated" in joined
    assert eight_b.pareto and all(0 <= i < len(eight_b.options) for i in eight_b.pareto)


def test_contradictory_requirements_get_nothing_fits_with_closest(
    context: RecommendContext,
) -> None:
    requirements = Requirements(
        models=["meta-llama/Llama-3.1-70B"],
        gpu_families=[GpuFamily.L4],
        max_gpus=1,
        quantization=QuantizationStance.FORBIDDEN,
    )
    answer = recommend(requirements, context=context)
    assert not answer.feasible
    assert not answer.options
    assert answer.why_nothing_fits and "does not fit" in answer.why_nothing_fits
    assert answer.closest
    assert any("GPUs" in miss.change or "use " in miss.change for miss in answer.closest)
    assert any(e.rule == "memory" for e in answer.excluded)


def test_unknown_model_names_the_closest(context: RecommendContext) -> None:
    with pytest.raises(UnknownNameError) as caught:
        recommend(Requirements(models=["meta-llama/Llama-3.1-9B"]), context=context)
    assert "meta-llama/Llama-3.1-8B" in caught.value.closest


def test_budget_and_gpu_ceiling_hold_for_every_option(context: RecommendContext) -> None:
    requirements = Requirements(
        task="chatbot", concurrent_users=300, budget_usd_month=4000, max_gpus=2
    )
    answer = recommend(requirements, context=context)
    assert answer.feasible
    for option in answer.options:
        assert option.monthly_cost_usd is not None and option.monthly_cost_usd <= 4000
        assert option.total_gpus <= 2


@pytest.mark.parametrize(
    "priority", [pytest.param(p, id=p.value) for p in (Priority.COST, Priority.ACCURACY)]
)
def test_priority_is_stated_in_the_assumptions(
    context: RecommendContext, priority: Priority
) -> None:
    answer = recommend(Requirements(task="rag", priority=priority), context=context)
    assert any(f"Ranked for {priority.value}" in line for line in answer.assumptions)
    scores = [option.score for option in answer.options]
    assert None not in scores
    assert scores == sorted(score for score in scores if score is not None)


def test_accuracy_priority_picks_no_worse_quality_than_cost(context: RecommendContext) -> None:
    cheap = recommend(Requirements(task="chatbot", priority=Priority.COST), context=context)
    best = recommend(Requirements(task="chatbot", priority=Priority.ACCURACY), context=context)
    top, cheapest = best.options[0], cheap.options[0]
    assert top.quality_score is not None and cheapest.quality_score is not None
    assert top.monthly_cost_usd is not None and cheapest.monthly_cost_usd is not None
    assert top.quality_score >= cheapest.quality_score
    assert top.monthly_cost_usd >= cheapest.monthly_cost_usd


def test_inventory_limits_gpus(context: RecommendContext) -> None:
    from dataclasses import replace

    owned = replace(context, inventory={"L40S": 1})
    answer = recommend(Requirements(task="chatbot", concurrent_users=10), context=owned)
    assert answer.feasible
    assert {option.gpu for option in answer.options} == {"L40S"}
    assert all(option.total_gpus == 1 for option in answer.options)


@settings(max_examples=12, deadline=None)
@given(
    task=st.sampled_from(list(Task)),
    families=st.lists(st.sampled_from(list(GpuFamily)[:10]), max_size=3, unique=True),
    max_gpus=st.one_of(st.none(), st.integers(min_value=1, max_value=16)),
    budget=st.one_of(st.none(), st.floats(min_value=100, max_value=100_000)),
    stance=st.one_of(st.none(), st.sampled_from(list(QuantizationStance))),
    rate=st.floats(min_value=0.01, max_value=200),
    ttft=st.one_of(st.none(), st.floats(min_value=20, max_value=20_000)),
)
def test_any_requirements_get_an_answer_that_keeps_them(
    context: RecommendContext,
    task: Task,
    families: list[GpuFamily],
    max_gpus: int | None,
    budget: float | None,
    stance: QuantizationStance | None,
    rate: float,
    ttft: float | None,
) -> None:
    requirements = Requirements(
        task=task,
        gpu_families=families,
        max_gpus=max_gpus,
        budget_usd_month=budget,
        quantization=stance,
        requests_per_second=rate,
        slo=[SloTarget(metric="ttft", ms=ttft)] if ttft else [],
    )
    answer = recommend(requirements, context=context, limit=3)
    if not answer.feasible:
        assert answer.why_nothing_fits
        return
    for option in answer.options:
        assert not families or option.gpu_family in families
        assert max_gpus is None or option.total_gpus <= max_gpus
        assert budget is None or (option.monthly_cost_usd or 0.0) <= budget
        assert option.evidence
    if ttft:
        assert answer.options[0].predicted.ttft_ms_p95 <= ttft


def test_code_completion_on_h100_keeps_an_option_when_small_models_trade_latencies(
    context: RecommendContext,
) -> None:
    # Three 7B code models on one H100 cost the same and each is faster on a different target,
    # all far under it: once they pruned each other and recommend raised IndexError.
    requirements = Requirements(
        task="code_completion",
        user_population=300,
        gpu_families=[GpuFamily.H100],
        slo=[SloTarget(metric="ttft", ms=300)],
    )
    answer = recommend(requirements, context=context)
    assert answer.options
    assert answer.options[0].meets_slo


def test_no_option_is_listed_at_over_four_times_the_cheapest_that_holds_the_slos(
    context: RecommendContext,
) -> None:
    # A translation service on L4 once listed 296 L4s ($174k/month) beside 10 ($5.9k).
    requirements = Requirements(
        task="translation",
        requests_per_second=30,
        gpu_families=[GpuFamily.L4],
        slo=[SloTarget(metric="itl", ms=50, percentile=99)],
    )
    answer = recommend(requirements, context=context)
    costs = [o.monthly_cost_usd for o in answer.options if o.monthly_cost_usd is not None]
    cheapest = min(o.monthly_cost_usd or 1e12 for o in answer.options if o.meets_slo)
    assert costs and max(costs) <= 4 * cheapest
    assert any(e.rule == "disproportionate cost" for e in answer.excluded)


def test_a_named_model_no_precision_serves_on_the_allowed_gpu_says_why(
    context: RecommendContext,
) -> None:
    # gpt-oss ships MXFP4 only, and vLLM's recipe does not list Ada (L4): once nothing fit
    # with no word about the named model, only "allowed GPU families: 28 ruled out".
    requirements = Requirements(
        task="chatbot",
        user_population=5,
        models=["openai/gpt-oss-20b"],
        gpu_families=[GpuFamily.L4],
        max_gpus=1,
    )
    answer = recommend(requirements, context=context)
    assert not answer.feasible
    ruled = [e for e in answer.excluded if e.rule == "precision"]
    assert ruled and "L4" in ruled[0].what and "GPT-OSS.md" in ruled[0].why
    assert answer.why_nothing_fits and "MXFP4" in answer.why_nothing_fits
