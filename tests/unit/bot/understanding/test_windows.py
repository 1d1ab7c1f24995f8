"""Batch windows in hours, and durations that are latencies, not windows."""

from __future__ import annotations

import pytest

from bot.understanding.windows import find_window, masked


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        pytest.param("100k items a night, must finish in 6 hours", 6.0, id="finish-in"),
        pytest.param("nightly run, done within 90 minutes", 1.5, id="minutes"),
        pytest.param("a batch with a 4 hour window", 4.0, id="window"),
        pytest.param("the run has to finish within 5 hours", 5.0, id="run"),
        pytest.param("completed in 3 hours at most", 3.0, id="completed"),
    ],
)
def test_windows(text: str, hours: float) -> None:
    window = find_window(text)

    assert window is not None
    assert window.hours == hours
    assert "window" in masked(text, window)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("translate 250k strings overnight", id="overnight-alone"),
        pytest.param("chatbot, the full answer within 2 minutes", id="chat-minutes"),
        pytest.param("the whole summary back within 60 s", id="seconds"),
    ],
)
def test_no_window(text: str) -> None:
    assert find_window(text) is None
