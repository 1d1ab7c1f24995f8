"""What-if edits read against the current requirements, with the real understanding."""

from __future__ import annotations

import pytest

from bot.conversation.thread_state import Pin
from bot.conversation.whatif import WhatIf, interpret, load_factor
from bot.understanding.reader import TextUnderstander
from domain.requirements import (
    GpuFamily,
    QuantizationStance,
    Requirements,
    SloMetric,
    SloTarget,
    Task,
    TaskDefaults,
)

UNDERSTANDER = TextUnderstander()
CHAT = Requirements(
    task=Task.CHATBOT,
    concurrent_users=1000,
    gpu_families=[GpuFamily.A100, GpuFamily.H100, GpuFamily.L4],
    slo=[SloTarget(metric=SloMetric.TTFT, ms=500)],
)
CHAT_DEFAULTS = TaskDefaults(
    task=Task.CHATBOT,
    input_tokens=500,
    output_tokens=250,
    slo=[SloTarget(metric=SloMetric.TTFT, ms=1000), SloTarget(metric=SloMetric.ITL, ms=50)],
    requests_per_user_per_min=1,
    source="test",
)


def _edit(text: str, requirements: Requirements = CHAT, pin: Pin | None = None) -> WhatIf:
    whatif = interpret(
        text,
        requirements=requirements,
        pin=pin or Pin(),
        understander=UNDERSTANDER,
        defaults_of=lambda task: CHAT_DEFAULTS if task is Task.CHATBOT else None,
    )
    assert whatif is not None, text
    return whatif


@pytest.mark.parametrize(
    ("text", "factor"),
    [
        pytest.param("double the traffic", 2.0, id="double"),
        pytest.param("what if traffic doubles?", 2.0, id="doubles"),
        pytest.param("3x the load", 3.0, id="3x"),
        pytest.param("half the users", 0.5, id="half"),
        pytest.param("traffic × 10", 10.0, id="times-sign"),
        pytest.param("what about L40S", None, id="none"),
    ],
)
def test_load_factor(text: str, factor: float | None) -> None:
    assert load_factor(text) == factor


def test_double_the_traffic_scales_every_load_field() -> None:
    whatif = _edit("double the traffic", CHAT.model_copy(update={"requests_per_day": 50_000}))
    assert whatif.requirements.concurrent_users == 2000
    assert whatif.requirements.requests_per_day == 100_000
    assert whatif.changes == ("traffic × 2",)


def test_a_stated_load_replaces_the_earlier_one() -> None:
    whatif = _edit("what about 20 requests per second")
    assert (whatif.requirements.requests_per_second, whatif.requirements.concurrent_users) == (
        20.0,
        None,
    )


@pytest.mark.parametrize(
    ("text", "families"),
    [
        pytest.param("what about L40S", [GpuFamily.L40S], id="replace"),
        pytest.param(
            "also H200", [GpuFamily.A100, GpuFamily.H100, GpuFamily.L4, GpuFamily.H200], id="add"
        ),
        pytest.param("no H100s", [GpuFamily.A100, GpuFamily.L4], id="narrow"),
    ],
)
def test_gpu_what_ifs(text: str, families: list[GpuFamily]) -> None:
    assert _edit(text).requirements.gpu_families == families


@pytest.mark.parametrize(
    "text", [pytest.param("budget 5k", id="bare"), pytest.param("budget $5k", id="dollars")]
)
def test_budget_what_if(text: str) -> None:
    whatif = _edit(text)
    assert whatif.requirements.budget_usd_month == 5000
    assert whatif.changes == ("budget → $5,000/month",)


def test_p99_instead_moves_stated_slos() -> None:
    whatif = _edit("p99 instead")
    assert whatif.requirements.slo == [SloTarget(metric=SloMetric.TTFT, ms=500, percentile=99)]


def test_p99_without_stated_slos_moves_the_task_defaults() -> None:
    whatif = _edit("p99 instead", CHAT.model_copy(update={"slo": []}))
    assert [(t.metric, t.ms, t.percentile) for t in whatif.requirements.slo] == [
        (SloMetric.TTFT, 1000, 99),
        (SloMetric.ITL, 50, 99),
    ]


@pytest.mark.parametrize(
    ("stance", "expected"),
    [
        pytest.param(None, None, id="unstated-stays"),
        pytest.param(QuantizationStance.FORBIDDEN, QuantizationStance.EIGHT_BIT, id="lifted"),
    ],
)
def test_fp8_pins_the_precision(
    stance: QuantizationStance | None, expected: QuantizationStance | None
) -> None:
    whatif = _edit("fp8?", CHAT.model_copy(update={"quantization": stance}))
    assert whatif.pin == Pin(precision="fp8")
    assert whatif.requirements.quantization == expected


def test_replicas_pin() -> None:
    whatif = _edit("3 replicas", pin=Pin(precision="fp8"))
    assert whatif.pin == Pin(precision="fp8", replicas=3)
    assert whatif.requirements == CHAT


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("hmm ok", id="chatter"),
        pytest.param("", id="empty"),
        pytest.param("thanks!", id="thanks"),
    ],
)
def test_a_message_without_a_change_is_none(text: str) -> None:
    assert interpret(text, requirements=CHAT, pin=Pin(), understander=UNDERSTANDER) is None
