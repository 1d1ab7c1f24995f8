"""GPUs and setups a team used to have are history, not requirements."""

from __future__ import annotations

import pytest

from bot.understanding.past_context import blank_history


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        pytest.param(
            "we used to run on a10gs but they're gone; now it's l4 only", "a10g", "l4", id="used-to"
        ),
        pytest.param("we tried t4s once, too slow. h100 only now.", "t4s", "h100", id="tried"),
        pytest.param(
            "we had a100s last year but returned them; today we only have h200s",
            "a100",
            "h200",
            id="had",
        ),
    ],
)
def test_past_gpus_are_blanked(text: str, gone: str, kept: str) -> None:
    result = blank_history(text)

    assert gone not in result
    assert kept in result


@pytest.mark.parametrize(
    "text",
    [
        "the full translation must come back in under 2.5 seconds",
        "we'd like a gaudi3-based deployment, 50 rps",
        "the run had to finish within 5 hours on 8 h100s",
    ],
)
def test_present_statements_stay(text: str) -> None:
    assert blank_history(text) == text
