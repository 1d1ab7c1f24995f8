"""Numbers as written in chat, and unit conversions."""

from __future__ import annotations

import pytest

from bot.understanding import quantities
from bot.understanding.quantities import Number


@pytest.mark.parametrize(
    ("text", "values"),
    [
        pytest.param("~5k users", [5000.0], id="k"),
        pytest.param("1.5m requests", [1_500_000.0], id="decimal-m"),
        pytest.param("2,500 tokens and 1,200,000 more", [2500.0, 1_200_000.0], id="commas"),
        pytest.param("5 million reviews", [5_000_000.0], id="word-scale"),
        pytest.param("$3.2k per month", [3200.0], id="money"),
        pytest.param("h100 a10g p95 qwen3 int4 v0.3", [], id="glued-to-letters"),
        pytest.param("700ms", [700.0], id="unit-glued"),
    ],
)
def test_find_numbers(text: str, values: list[float]) -> None:
    assert [number.value for number in quantities.find_numbers(text)] == values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a dozen users", "12 users", id="dozen"),
        pytest.param("only one gpu", "only 1 gpu", id="one"),
        pytest.param("a single l40s", "1 l40s", id="single"),
        pytest.param("within half a second", "within 500 ms", id="half-second"),
        pytest.param("under a second", "under 1 second", id="a-second"),
        pytest.param("30 requests a second", "30 requests a second", id="rate-untouched"),
        pytest.param("someone", "someone", id="inside-words"),
    ],
)
def test_spell_out(text: str, expected: str) -> None:
    assert quantities.spell_out(text) == expected


@pytest.mark.parametrize(
    ("value", "unit", "ms"),
    [
        pytest.param(250, "ms", 250.0, id="ms"),
        pytest.param(1.5, "s", 1500.0, id="s"),
        pytest.param(2, "seconds", 2000.0, id="seconds"),
        pytest.param(1, "minute", 60_000.0, id="minute"),
    ],
)
def test_duration_ms(value: float, unit: str, ms: float) -> None:
    assert quantities.duration_ms(value, unit) == ms


@pytest.mark.parametrize(
    ("value", "period", "month"),
    [
        pytest.param(5, "hour", 3650.0, id="hour"),
        pytest.param(120_000, "year", 10_000.0, id="year"),
        pytest.param(3000, "quarter", 1000.0, id="quarter"),
        pytest.param(12_000, "month", 12_000.0, id="month"),
    ],
)
def test_monthly(value: float, period: str, month: float) -> None:
    assert quantities.monthly(value, period) == pytest.approx(month)


@pytest.mark.parametrize(
    ("number", "tokens"),
    [
        pytest.param(Number(32_000, 0, 3, "k"), 32_768, id="32k"),
        pytest.param(Number(128_000, 0, 4, "k"), 131_072, id="128k"),
        pytest.param(Number(1_000_000, 0, 2, "m"), 1_048_576, id="1m"),
        pytest.param(Number(8192, 0, 4, ""), 8192, id="plain"),
    ],
)
def test_context_tokens(number: Number, tokens: int) -> None:
    assert quantities.context_tokens(number) == tokens


def test_per_second() -> None:
    assert quantities.per_second(900, "minute") == 15.0
    assert quantities.per_second(7200, "hour") == 2.0
