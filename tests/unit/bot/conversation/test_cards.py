"""Cards the flow sends: one question with buttons, recommendation and before/after layouts."""

from __future__ import annotations

import pytest

from bot.conversation.cards import (
    comparison_card,
    format_ms,
    format_usd,
    question,
    recommendation_card,
    summarise,
)
from bot.conversation.replies import ReplyKind
from bot.conversation.thread_state import Essential
from domain.recommendation import NearMiss, Recommendation
from domain.requirements import GpuFamily, Requirements, SloMetric, SloTarget, Task, TaskDefaults
from tests.unit.bot.factories import make_option, make_recommendation


@pytest.mark.parametrize(
    ("essential", "requirements", "button"),
    [
        pytest.param(Essential.TASK, Requirements(), "chatbot", id="task"),
        pytest.param(
            Essential.LOAD, Requirements(task=Task.CHATBOT), "200 concurrent users", id="load"
        ),
        pytest.param(
            Essential.LOAD, Requirements(task=Task.BATCH), "1M requests a day", id="batch-load"
        ),
    ],
)
def test_question_is_one_question_with_suggested_answers(
    essential: Essential, requirements: Requirements, button: str
) -> None:
    reply = question(essential, requirements)
    assert reply.kind is ReplyKind.QUESTION
    assert reply.text.count("?") == 1
    assert button in [choice.value for choice in reply.choices]


def test_recommendation_card_shows_assumptions_options_and_deploy_buttons() -> None:
    requirements = Requirements(task=Task.CHATBOT, concurrent_users=500)
    reply = recommendation_card(make_recommendation(), requirements)
    text = reply.plain_text()
    assert reply.kind is ReplyKind.RECOMMENDATION
    assert "Assumed: 500 prompt tokens" in text
    assert [len(row) for row in reply.tables[0].rows] == [8, 8]
    assert reply.choices[0].value == "deploy option 1"
    assert "$1,168/month" in reply.text


def test_nothing_fits_card_says_why_and_lists_closest() -> None:
    nothing = Recommendation(
        feasible=False,
        why_nothing_fits="70B at FP8 needs 71 GB but one L4 has 24 GB",
        closest=[NearMiss(what="Llama 70B on 4 × L4", change="allow 4 GPUs")],
    )
    reply = recommendation_card(nothing, Requirements(task=Task.CHATBOT))
    assert reply.text.startswith("Nothing fits, because 70B at FP8 needs 71 GB")
    assert reply.tables[0].rows == (("Llama 70B on 4 × L4", "allow 4 GPUs"),)
    assert not any(choice.value.startswith("deploy") for choice in reply.choices)


def test_comparison_card_puts_before_and_after_side_by_side() -> None:
    before = make_recommendation(make_option(monthly_cost_usd=1000.0, replicas=2, total_gpus=2))
    after = make_recommendation(make_option(monthly_cost_usd=2000.0, replicas=4, total_gpus=4))
    reply = comparison_card(
        before, after, changes=["traffic × 2"], requirements=Requirements(concurrent_users=1000)
    )
    rows = {row[0]: row[1:] for row in reply.tables[0].rows}
    assert reply.kind is ReplyKind.COMPARISON
    assert rows["Per month"] == ("$1,000", "$2,000")
    assert rows["GPUs"] == ("2 × L4", "4 × L4")
    assert "traffic × 2" in reply.tables[0].title


def test_comparison_to_nothing_fits_says_so() -> None:
    after = Recommendation(feasible=False, why_nothing_fits="the budget is too small")
    reply = comparison_card(
        make_recommendation(), after, changes=["budget → 100"], requirements=Requirements()
    )
    assert "nothing fits, because the budget is too small" in reply.text
    assert {row[2] for row in reply.tables[0].rows} == {"nothing fits"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(320.4, "320 ms", id="ms"),
        pytest.param(1840.0, "1.8 s", id="seconds"),
        pytest.param(None, "–", id="unknown"),
    ],
)
def test_format_ms(value: float | None, expected: str) -> None:
    assert format_ms(value) == expected


def test_format_usd() -> None:
    assert format_usd(12345.6) == "$12,346"


def test_summary_names_what_was_stated() -> None:
    requirements = Requirements(
        task=Task.CHATBOT,
        concurrent_users=5000,
        slo=[SloTarget(metric=SloMetric.TTFT, ms=500)],
        gpu_families=[GpuFamily.A100, GpuFamily.L4],
        budget_usd_month=12000,
    )
    assert summarise(requirements) == (
        "chatbot · 5,000 users at once · TTFT p95 ≤ 500 ms · A100/L4 · ≤ $12,000/month"
    )


def test_load_question_shows_the_task_defaults_as_assumptions() -> None:
    defaults = TaskDefaults(
        task=Task.CHATBOT,
        input_tokens=512,
        output_tokens=256,
        slo=[SloTarget(metric=SloMetric.TTFT, ms=1000)],
        requests_per_user_per_min=1,
        source="test",
    )
    reply = question(Essential.LOAD, Requirements(task=Task.CHATBOT), defaults=defaults)
    assumed = [field.value for field in reply.fields if field.label == "Assumed for a chatbot"]
    assert assumed == ["512 prompt and 256 output tokens a request", "TTFT p95 ≤ 1.0 s"]


def test_what_if_buttons_skip_the_gpu_already_chosen() -> None:
    requirements = Requirements(task=Task.CHATBOT, gpu_families=[GpuFamily.L40S])
    reply = recommendation_card(make_recommendation(), requirements)
    assert "what about L40S" not in [choice.value for choice in reply.choices]
