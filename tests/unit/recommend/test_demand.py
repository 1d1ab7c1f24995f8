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
        slo=[SloTarget(metric="ttft", ms=2000)],
    )
    demand = plan_demand(requirements, context.task_defaults)
    assert demand.peak_rps == 2.0
    assert (demand.input_tokens, demand.output_tokens) == (3000, 250)
    assert demand.slo == (SloTarget(metric="ttft", ms=2000),)
    assert demand.context_tokens == 3250
    assert demand.assumptions == ()


def test_users_become_a_rate_with_the_assumption_stated(context: RecommendContext) -> None:
    demand = plan_demand(
        Requirements(task=Task.CHATBOT, concurrent_users=60), context.task_defaults
    )
    per_min = context.task_defaults[Task.CHATBOT].requests_per_user_per_min
    assert demand.peak_rps == pytest.approx(60 * per_min / 60)
    assert any("60 users" in note for note in demand.assumptions)


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
