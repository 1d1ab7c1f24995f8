"""Cards the flow sends: questions, a recommendation read at a glance, nothing fits, what-ifs."""

from __future__ import annotations

import pytest

from bot.conversation.cards import (
    DETAILS_VALUE,
    format_ms,
    format_usd,
    recommendation_card,
    summarise,
)
from bot.conversation.comparison import comparison_card
from bot.conversation.questions import question
from bot.conversation.replies import Align, ChoiceRole, ChoiceStyle, ReplyKind, Tone
from bot.conversation.thread_state import Essential
from bot.conversation.wording import format_ms_range, short_gpu, short_model
from domain.recommendation import Evidence, NearMiss, Recommendation
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


def test_recommendation_card_leads_with_what_to_run_and_the_target_it_meets() -> None:
    requirements = Requirements(
        task=Task.CHATBOT, concurrent_users=500, slo=[SloTarget(metric=SloMetric.TTFT, ms=1000)]
    )
    reply = recommendation_card(make_recommendation(), requirements)
    assert reply.kind is ReplyKind.RECOMMENDATION and reply.tone is Tone.GOOD
    assert reply.text == (
        "Run Llama-3.1-8B on 2×L4 (fp8): $1,168/month · TTFT p95 310 ms, target ≤ 1 s ✅"
    )
    assert reply.summary_text() == reply.text
    assert reply.reasons == ("cheapest option that meets TTFT p95 ≤ 500 ms",)
    table = reply.tables[0]
    assert table.columns == ("#", "Model", "GPUs", "Prec", "TTFT", "$/mo", "SLO")
    assert table.title == "Options (TTFT p95 predicted)"
    assert table.rows[0] == ("1", "Llama-3.1-8B", "2×L4", "fp8", "310 ms", "$1,168", "✓")
    assert table.alignment(4) is Align.RIGHT and table.alignment(1) is Align.LEFT
    deploys = [c for c in reply.choices if c.value.startswith("deploy")]
    assert [c.style for c in deploys] == [ChoiceStyle.PRIMARY, ChoiceStyle.DEFAULT]


def test_assumptions_fold_into_one_line_and_the_details() -> None:
    assumptions = [
        "Prompts of ~512 tokens assumed (chatbot default); state input_tokens to change it.",
        "Peak load: 2,000 people × 10% active at the peak = 200 at once × 1 requests per minute "
        "each (chatbot defaults) = 3.33 requests/s; state concurrent_users to change it.",
        "Where the chatbot defaults come from: Token shape: GuideLLM 'chat' scenario (" + "x" * 400,
        "Priority not stated: balanced between cost, latency and quality.",
        "Monthly cost = on-demand price per GPU-hour × GPUs × 730 h.",
    ]
    recommendation = make_recommendation(assumptions=assumptions)
    reply = recommendation_card(recommendation, Requirements(task=Task.CHATBOT))
    (assumed,) = [field.value for field in reply.fields if field.label == "Assumed"]
    assert assumed == (
        "prompts of ~512 tokens; peak load 3.33 requests/s (+3 more under “How was this computed?”)"
    )
    assert [field.value for field in reply.details][: len(assumptions)] == assumptions
    assert DETAILS_VALUE in [choice.value for choice in reply.choices]


def test_nothing_fits_card_says_why_in_plain_words_with_fixes_as_buttons() -> None:
    nothing = Recommendation(
        feasible=False,
        why_nothing_fits="70B at FP8 needs 71 GB but one L4 has 24 GB. Budget: all too dear.",
        closest=[
            NearMiss(what="Llama 70B on 4 × L4", change="allow 4 GPUs"),
            NearMiss(what="Llama 8B on 1 × L4", change="another model: Llama-3.1-8B"),
        ],
    )
    reply = recommendation_card(nothing, Requirements(task=Task.CHATBOT))
    assert reply.tone is Tone.WARNING
    assert reply.text.startswith("Nothing fits these requirements yet.")
    assert reply.reasons == (
        "70B at FP8 needs 71 GB but one L4 has 24 GB.",
        "Budget: all too dear.",
    )
    assert reply.tables[0].rows == (
        ("Llama 70B on 4 × L4", "allow 4 GPUs"),
        ("Llama 8B on 1 × L4", "another model: Llama-3.1-8B"),
    )
    fixes = [c for c in reply.choices if c.role is ChoiceRole.WHAT_IF]
    assert [(c.label, c.value) for c in fixes] == [
        ("Allow 4 GPUs", "allow 4 GPUs"),
        ("Another model: Llama-3.1-8B", "another model: Llama-3.1-8B"),
    ]
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
    assert rows["GPUs"] == ("2×L4", "4×L4")
    assert "traffic × 2" in reply.tables[0].title
    assert reply.text.startswith("With traffic × 2: run Llama-3.1-8B on 4×L4")


def test_comparison_to_nothing_fits_says_so() -> None:
    after = Recommendation(feasible=False, why_nothing_fits="The budget is too small.")
    reply = comparison_card(
        make_recommendation(), after, changes=["budget → 100"], requirements=Requirements()
    )
    assert reply.text == "With budget → 100, nothing fits: the budget is too small."
    assert reply.tone is Tone.WARNING
    assert {row[2] for row in reply.tables[0].rows} == {"nothing fits"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(320.4, "320 ms", id="ms"),
        pytest.param(1840.0, "1.8 s", id="seconds"),
        pytest.param(1000.0, "1 s", id="whole-seconds"),
        pytest.param(999.7, "1 s", id="rounds-up-to-a-second"),
        pytest.param(None, "–", id="unknown"),
    ],
)
def test_format_ms(value: float | None, expected: str) -> None:
    assert format_ms(value) == expected


def test_format_usd() -> None:
    assert format_usd(12345.6) == "$12,346"
    assert format_usd(None) == "no price"


@pytest.mark.parametrize(
    ("requirements", "expected"),
    [
        pytest.param(Requirements(max_gpus=1), "≤ 1 GPU", id="one-gpu"),
        pytest.param(Requirements(max_gpus=4), "≤ 4 GPUs", id="gpus"),
        pytest.param(Requirements(concurrent_users=1), "1 user at once", id="one-user"),
        pytest.param(Requirements(user_population=1), "1 person", id="one-person"),
    ],
)
def test_summary_counts_in_the_right_number(requirements: Requirements, expected: str) -> None:
    assert summarise(requirements) == expected


@pytest.mark.parametrize(
    ("model", "short"),
    [
        pytest.param("openai/gpt-oss-20b", "gpt-oss-20b", id="org"),
        pytest.param(
            "nvidia/Llama-4-Scout-17B-16E-Instruct-FP8", "Llama-4-Scout-17B", id="suffixes"
        ),
        pytest.param("Qwen/Qwen2.5-Coder-32B-Instruct-AWQ", "Qwen2.5-Coder-32B", id="awq"),
    ],
)
def test_short_model_names(model: str, short: str) -> None:
    assert short_model(model) == short


def test_short_gpu_names_keep_form_factor_and_memory() -> None:
    assert short_gpu("A100-PCIe-40GB") == "A100-PCIe-40G"
    assert short_gpu("RTX-PRO-6000-Blackwell") == "RTX-PRO-6000"
    assert short_gpu("L40S") == "L40S"


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
    assert assumed == ["512 prompt and 256 output tokens a request", "TTFT p95 ≤ 1 s"]


@pytest.mark.parametrize(
    "families",
    [
        pytest.param([GpuFamily.L40S], id="only-l40s"),
        pytest.param([GpuFamily.L40S, GpuFamily.A100], id="l40s-among-two"),
    ],
)
def test_what_if_buttons_skip_a_gpu_already_allowed(families: list[GpuFamily]) -> None:
    requirements = Requirements(task=Task.CHATBOT, gpu_families=families)
    reply = recommendation_card(make_recommendation(), requirements)
    assert "what about L40S" not in [choice.value for choice in reply.choices]


def test_no_fp8_what_if_when_option_1_is_fp8_already() -> None:
    fp8 = recommendation_card(make_recommendation(), Requirements(task=Task.CHATBOT))
    bf16 = recommendation_card(
        make_recommendation(make_option(precision="bf16")), Requirements(task=Task.CHATBOT)
    )
    assert "fp8?" not in [choice.value for choice in fp8.choices]
    assert "fp8?" in [choice.value for choice in bf16.choices]


def test_a_stated_target_leads_the_headline_and_the_table_before_assumed_ones() -> None:
    # Only "ITL p99 ≤ 50 ms" was stated; the task's TTFT default must not take the headline.
    requirements = Requirements(
        task=Task.TRANSLATION, slo=[SloTarget(metric=SloMetric.ITL, ms=50, percentile=99)]
    )
    defaults = TaskDefaults(
        task=Task.TRANSLATION,
        input_tokens=256,
        output_tokens=256,
        slo=[SloTarget(metric=SloMetric.TTFT, ms=1000), SloTarget(metric=SloMetric.ITL, ms=100)],
        requests_per_user_per_min=1,
        source="test",
    )
    predicted = make_option().predicted.model_copy(update={"itl_ms_p99": 47.0})
    option = make_option(predicted=predicted)
    card = recommendation_card(make_recommendation(option), requirements, defaults=defaults)
    assert "ITL p99 47 ms" in card.text and "target ≤ 50 ms" in card.text
    assert "TTFT" not in card.text
    assert "ITL p99" in card.tables[0].title
    assert card.tables[0].columns[4] == "ITL"


def test_the_headline_shows_the_predictions_interval_and_the_details_its_basis() -> None:
    predicted = make_option().predicted.model_copy(
        update={
            "intervals": {"ttft_ms_p95": (250.0, 420.0), "itl_ms_p95": (31.0, 1400.0)},
            "engine_basis": "vllm 0.10+",
            "engine_version": "vllm 0.11.0",
        }
    )
    evidence = Evidence(kind="prediction", summary="Predicted for vllm 0.11.0 (the deploy image).")
    option = make_option(predicted=predicted, evidence=[evidence])
    requirements = Requirements(
        task=Task.CHATBOT, concurrent_users=500, slo=[SloTarget(metric=SloMetric.TTFT, ms=1000)]
    )
    reply = recommendation_card(make_recommendation(option), requirements)
    assert reply.text == (
        "Run Llama-3.1-8B on 2×L4 (fp8): $1,168/month · TTFT p95 310 ms (250–420 ms), "
        "target ≤ 1 s ✅"
    )
    (basis,) = [f.value for f in reply.details if f.label == "Predicted"]
    assert basis.startswith("Predicted for vllm 0.11.0 (the deploy image).")
    assert "80% intervals TTFT p95 250–420 ms, ITL p95 31 ms–1.4 s" in basis


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [
        pytest.param(15.2, 23.4, "15–23 ms", id="ms"),
        pytest.param(700.0, 1200.0, "700 ms–1.2 s", id="mixed"),
        pytest.param(1200.0, 3000.0, "1.2–3 s", id="seconds"),
    ],
)
def test_an_interval_names_its_unit_once_where_both_ends_share_it(
    low: float, high: float, text: str
) -> None:
    assert format_ms_range(low, high) == text
