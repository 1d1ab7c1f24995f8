"""Numbers as people write them in chat: ``~5k``, ``1.5M``, ``2,500``, ``$3.2k``, ``a dozen``.

This module finds numbers in (already lower-cased) text and converts the units that requirements
use: durations to milliseconds, money periods to months, request rates to per second. It knows
nothing about which requirement a number belongs to (that is :mod:`bot.understanding.reader`), and
it must not import anything heavier than :mod:`re`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
_NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
    r"(?:\s?(k|mm|mn|m|bn|b)(?![a-z])|\s(thousand|million|billion)\b)?"
)
_WORD_NUMBERS = {
    "a dozen": 12,
    "dozen": 12,
    "a single": 1,
    "single": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "a hundred": 100,
    "one hundred": 100,
    "a thousand": 1000,
}
_WORD_NUMBER = re.compile(
    r"(?<![\w-])("
    + "|".join(sorted((re.escape(word) for word in _WORD_NUMBERS), key=len, reverse=True))
    + r")(?![\w-])"
)
_PHRASES = (
    (re.compile(r"\bhalf an? (?:second|sec)\b"), "500 ms"),
    (re.compile(r"\b(within|under|in|below|than) an? (second|minute)\b"), r"\1 1 \2"),
    (re.compile(r"\b(within|under|in|below|than) an hour\b"), r"\1 1 hour"),
)

_SPACE_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u202f]\d{3})+(?![\d.,]?\d|[a-z])")
_DOT_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:\.\d{3})+(?![\d.,]?\d)")
_DECIMAL_COMMA = re.compile(r"(?<![\d.,])(\d+),(\d{1,2})(?![\d])")
_GRAND = re.compile(r"\$?\s*(\d+(?:\.\d+)?)\s*(?:grand|g's)\b")

DURATION_UNIT = re.compile(
    r"\s*(ms|msecs?|millis(?:econds?)?|milliseconds?|s|secs?|seconds?|minutes?|mins?)(?![a-z/])"
)

PERIOD_MONTHS = {"hour": 1 / 730, "day": 1 / (730 / 24), "week": 1 / (730 / 168), "month": 1.0}
"""A month in other periods (730 hours a month, the convention of cloud price sheets)."""


@dataclass(frozen=True)
class Number:
    """A number found in text.

    Attributes:
        value: The value with its scale applied (``5k`` → 5000).
        start: Offset of its first character.
        end: Offset just past it, scale word included.
        scale: The scale as written (``k``, ``m``, ``b``, ``thousand`` …) or empty.
    """

    value: float
    start: int
    end: int
    scale: str


def spell_out(text: str) -> str:
    """Rewrite number words and set phrases as digits ("a dozen" → "12", "half a second").

    Args:
        text: Lower-cased text.

    Returns:
        The text with number words replaced; offsets may change.
    """
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    return _WORD_NUMBER.sub(lambda match: str(_WORD_NUMBERS[match.group(1)]), text)


def plain_digits(text: str) -> str:
    """Numbers in other locales' formats written the way :func:`find_numbers` reads them.

    "12.500" and "3 000" (a dot or space between groups of three digits) are thousands,
    "1,5" (a comma before one or two digits) is a decimal, and "five grand" is $5k. A dot before
    exactly three digits is read as a thousands separator: nobody writes a latency as "1.500 s".

    Args:
        text: Lower-cased text, number words already spelled as digits.

    Returns:
        The text with those numbers rewritten; offsets may change.
    """
    text = _SPACE_THOUSANDS.sub(lambda match: re.sub(r"[ \u202f]", "", match.group()), text)
    text = _DOT_THOUSANDS.sub(lambda match: match.group().replace(".", ""), text)
    text = _DECIMAL_COMMA.sub(r"\1.\2", text)
    return _GRAND.sub(r"$\1k", text)


def find_numbers(text: str) -> list[Number]:
    """Every number in ``text``, with thousands separators and scale suffixes understood.

    Digits glued to letters before them (``h100``, ``p95``, ``qwen3``) are not numbers.

    Args:
        text: Lower-cased text.

    Returns:
        The numbers in order of appearance.
    """
    numbers = []
    for match in _NUMBER.finditer(text):
        whole, fraction, short, long = match.groups()
        value = float(whole.replace(",", "") + (fraction or ""))
        scale = short or long or ""
        if not math.isfinite(value):
            continue
        numbers.append(Number(value * _SCALES.get(scale, 1.0), match.start(), match.end(), scale))
    return numbers


def duration_ms(value: float, unit: str) -> float:
    """Convert a duration to milliseconds.

    Args:
        value: The number.
        unit: The unit as written (``ms``, ``s``, ``seconds``, ``min`` …).

    Returns:
        Milliseconds.
    """
    if unit.startswith(("ms", "msec", "milli")):
        return value
    if unit.startswith("min"):
        return value * 60_000.0
    return value * 1000.0


def per_second(value: float, period: str) -> float:
    """Convert a rate per ``period`` (second, minute, hour, day) to a rate per second.

    Args:
        value: Events per period.
        period: ``second``, ``minute``, ``hour`` or ``day``.

    Returns:
        Events per second.
    """
    seconds = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}[period]
    return value / seconds


def monthly(value: float, period: str) -> float:
    """Convert money per ``period`` to money per month (an hour × 730, a year / 12).

    Args:
        value: Amount per period.
        period: ``hour``, ``day``, ``week``, ``month``, ``quarter`` or ``year``.

    Returns:
        Amount per month.
    """
    if period == "year":
        return value / 12
    if period == "quarter":
        return value / 3
    return value / PERIOD_MONTHS[period]


def context_tokens(number: Number) -> int:
    """A context length in tokens: ``k`` means 1024 as context windows are counted ("32k" → 32768).

    Args:
        number: The number as found.

    Returns:
        Tokens.
    """
    if number.scale == "k":
        return round(number.value / 1000 * 1024)
    if number.scale in ("m", "mm", "mn"):
        return round(number.value / 1e6 * 1024 * 1024)
    return int(number.value)
