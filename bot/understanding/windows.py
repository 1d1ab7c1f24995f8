"""Batch windows: "must finish in 6 hours", "done within 90 minutes", "a 4-hour window".

The time a batch of work must be finished in (``window_hours`` of ``shared/eval/README.md``) is
read where a finishing word ("finish", "done", "complete", "wrap up", "window", "deadline") comes
with a duration in hours, or in minutes when the message is about batch work (a nightly or daily
volume, a job or a run). "Overnight" or "nightly" alone is no number and gives nothing. The
duration is masked so that it is not read again as a latency target. Pure string work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AMOUNT = r"(\d+(?:\.\d+)?)\s*-?\s*(hours?|hrs?|h|minutes?|mins?)\b"
_AFTER_VERB = re.compile(
    r"\b(?:finish\w*|done|complete\w*|wrap(?:ped)? up|be through|deadline|turnaround)\b[^.;]{0,25}?"
    r"\b(?:in|within|under|inside|by)\s+(?:less than |at most |about |~)?" + _AMOUNT
)
_BEFORE_WINDOW = re.compile(_AMOUNT + r"\s*(?:batch\s+)?window\b")
_WINDOW_OF = re.compile(r"\bwindow (?:of|is)\s+(?:about |~)?" + _AMOUNT)
_BATCH_WORK = re.compile(
    r"\bbatch\w*|\bjob\b|\brun\b|\bnightly\b|\bovernight\b|\bevery night\b|\bper (?:day|night)\b"
    r"|\ba (?:day|night)\b|\bdaily\b|\boffline\b"
)


@dataclass(frozen=True)
class Window:
    """A batch window found in text.

    Attributes:
        hours: The window in hours.
        start: Offset of its number.
        end: Offset just past its unit.
    """

    hours: float
    start: int
    end: int


def find_window(text: str) -> Window | None:
    """The batch window ``text`` states, if any.

    Args:
        text: Lower-cased text with number words spelled as digits.

    Returns:
        The first window stated, or None.
    """
    batch = _BATCH_WORK.search(text) is not None
    for pattern in (_AFTER_VERB, _BEFORE_WINDOW, _WINDOW_OF):
        for match in pattern.finditer(text):
            value, unit = float(match.group(1)), match.group(2)
            minutes = unit.startswith("m")
            if minutes and not batch:
                continue
            return Window(value / 60 if minutes else value, match.start(1), match.end(2))
    return None


def masked(text: str, window: Window | None) -> str:
    """``text`` with the window's duration replaced by the word ``window``.

    Args:
        text: The text the window was found in.
        window: What :func:`find_window` returned.

    Returns:
        The text, unchanged when there is no window.
    """
    if window is None:
        return text
    return f"{text[: window.start]} window {text[window.end :]}"
