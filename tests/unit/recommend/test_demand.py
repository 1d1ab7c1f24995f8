"""Tests of recommend.demand: peak load, token shapes and SLOs, each default an assumption."""

from __future__ import annotations

import pytest

from domain.requirements import Requirements, SloTarget, Task
from recommend.context import RecommendContext
from recommend.demand import DEFAULT_PEAK_RPS, plan_demand


def test_stated_values_are_used_as_given(context: RecommendContext) -> None:
    requirements = Requirements(
        task=Task.RAG,
        requests_per_second=2.0,
        concurrent_users=500,
        input_tokens=3000,
        output_tokens=250,
        slo=[SloTarget(metric="ttft", ms=2000), SloTarget(metric="itl", ms=80)],
    )
    demand = plan_demand(requirements, context.task_defaults)
    assert demand.peak_rps == 2.0
    assert (demand.input_tokens, demand.output_tokens) == (3000, 250)
    assert demand.slo == (SloTarget(metric="ttft", ms=2000), SloTarget(metric="itl", ms=80))
    assert demand.context_tokens == 3250
    assert demand.assumptions == ()
    assert demand.load_from == "stated"


def test_users_become_a_rate_with_the_assumption_stated(context: RecommendContext) -> None:
    demand = plan_demand(
        Requirements(task=Task.CHATBOT, concurrent_users=60), context.task_defaults
    )
    per_min = context.task_defaults[Task.CHATBOT].requests_per_user_per_min
    assert demand.peak_rps == pytest.approx(60 * per_min / 60)
    assert any("60 active at once" in note for note in demand.assumptions)


def test_daily_volume_uses_the_peak_factor(context: RecommendContext) -> None:
    demand = plan_demand(
        Requirements(task=Task.TRANSLATION, requests_per_day=864_000), context.task_defaults
    )
    factor = context.task_defaults[Task.TRANSLATION].peak_factor
    assert demand.peak_rps == pytest.approx(10.0 * factor)
    assert any("peak factor" in note for note in demand.assumptions)


def test_gaps_come_from_task_defaults_and_are_assumptions(context: RecommendContext) -> None:
    demand = plan_demand(Requirements(), context.task_defaults)
    chat = context.task_defaults[Task.CHATBOT]
    assert demand.task is Task.CHATBOT
    assert demand.input_tokens == chat.input_tokens
    assert demand.slo == tuple(chat.slo)
    assert demand.peak_rps == DEFAULT_PEAK_RPS
    joined = " ".join(demand.assumptions)
    for word in ("Task not stated", "Prompts of", "Answers of", "No latency target", "No load"):
        assert word in joined
    assert f"Where the chatbot defaults come from: {chat.source}" in demand.assumptions


def test_a_population_becomes_a_peak_through_the_tasks_stated_share_and_think_time(
    context: RecommendContext,
) -> None:
    chat = context.task_defaults[Task.CHATBOT]
    demand = plan_demand(
        Requirements(task=Task.CHATBOT, user_population=2000), context.task_defaults
    )
    expected = 2000 * chat.peak_active_share * chat.requests_per_user_per_min / 60.0
    assert demand.peak_rps == pytest.approx(expected)
    assert demand.load_from == "population"
    note = next(note for note in demand.assumptions if note.startswith("Peak load"))
    assert "2,000 people × 10% active" in note and "every 60 s" in note
    assert "no peak factor is applied again" in note  # the daily 3x is not stacked on top


def test_each_task_states_where_its_load_assumptions_come_from(
    context: RecommendContext,
) -> None:
    for defaults in context.task_defaults.values():
        assert defaults.load_source, defaults.task


def test_a_batch_is_sized_to_its_window_and_costed_for_the_hours_it_runs(
    context: RecommendContext,
) -> None:
    demand = plan_demand(
        Requirements(task=Task.BATCH, requests_per_day=216_000, window_hours=6),
        context.task_defaults,
    )
    assert demand.peak_rps == pytest.approx(216_000 / (6 * 3600))
    assert demand.load_from == "window"
    assert demand.hours_per_month == pytest.approx(6 * 730 / 24)
    assert any("not 24/7" in note for note in demand.assumptions)


def test_a_stated_target_keeps_the_tasks_default_for_other_metrics(
    context: RecommendContext,
) -> None:
    demand = plan_demand(
        Requirements(task=Task.CHATBOT, slo=[SloTarget(metric="ttft", ms=500, percentile=99)]),
        context.task_defaults,
    )
    metrics = {(t.metric.value, t.percentile) for t in demand.slo}
    assert metrics == {("ttft", 99), ("itl", 95)}
    assert [t.metric.value for t in demand.slo_assumed] == ["itl"]
    assert any(note.startswith("Targets not stated: ITL p95") for note in demand.assumptions)
