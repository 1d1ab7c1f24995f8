"""Latency targets from a sentence: which metric and percentile each latency number is for.

A latency takes the metric word nearest before it ("first token", "ITL", "end-to-end"), else
the one just after it ("200 ms TTFT"), else the previous target's; a bare "latency" or
"response time" means TTFT for chat and streaming uses and end-to-end otherwise (the conventions
of ``shared/eval/README.md``). Percentiles bind the same way; none named means p95. This module
reads roles that :mod:`bot.understanding.number_roles` found and must not look for numbers itself.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

from bot.understanding import lexicon
from bot.understanding.number_roles import Role
from domain.requirements import SloMetric, SloTarget, Task

_WORD_PERCENTILE_REACH = 40
_STREAMING = re.compile(r"\bstream\w*|\bchat\w*")
_CHAT_LIKE = {Task.CHATBOT, Task.RAG, Task.CODE_COMPLETION}


def _cue(text: str, *, last: bool) -> tuple[int, SloMetric] | None:
    found = [
        (match.start(), metric)
        for metric, pattern in lexicon.SLO_CUES
        for match in pattern.finditer(text)
    ]
    if not found:
        return None
    return max(found) if last else min(found)


def _bare_metric(task: Task | None, text: str) -> SloMetric:
    """A bare "latency" means TTFT for chat and streaming uses and end-to-end otherwise."""
    if task in _CHAT_LIKE or task is None or _STREAMING.search(text):
        return SloMetric.TTFT
    return SloMetric.E2E


def latency_targets(
    sentence: str, roles: list[Role], task: Task | None, text: str
) -> list[SloTarget]:
    """Latency targets of one sentence: each latency takes the metric and percentile nearest it.

    Args:
        sentence: The sentence, prepared as :mod:`bot.understanding.number_roles` expects.
        roles: The roles of its numbers (``latency`` and ``itl_rate`` ones are read).
        task: The message's task, for what a bare "latency" means.
        text: The whole message, for whether it is a streaming use.

    Returns:
        The targets in the order written.
    """
    items = [role for role in roles if role.kind in ("latency", "itl_rate")]
    percentiles = lexicon.find_percentiles(sentence)
    used: set[int] = set()
    targets: list[SloTarget] = []
    metric: SloMetric | None = None
    claimed = 0
    for index, item in enumerate(items):
        if item.value <= 0:
            continue
        low = max(items[index - 1].end if index else 0, claimed)
        high = items[index + 1].start if index + 1 < len(items) else len(sentence)
        before, after = sentence[low : item.start], sentence[item.end : high]
        named_before = _cue(before, last=True)
        named_after = None if named_before else _cue(after, last=False)
        cue = named_before or named_after
        if item.kind == "itl_rate":
            metric = SloMetric.ITL
        elif cue is not None:
            metric = cue[1]
        elif metric is None:
            if not (
                lexicon.BARE_LATENCY.search(before + after) or lexicon.COMPARATOR.search(before)
            ):
                continue
            metric = _bare_metric(task, text)
        from_after = named_after is not None and item.kind != "itl_rate"
        if from_after and named_after is not None:
            claimed = item.end + named_after[0] + 1
        reach = _percentile_reach(after, from_after=from_after)
        percentile = _percentile(percentiles, used, (low, item.start), (item.end, item.end + reach))
        targets.append(SloTarget(metric=metric, ms=item.value, percentile=percentile))
    return targets


def _percentile_reach(after: str, *, from_after: bool) -> int:
    """How far after a latency its percentile may be: up to the next metric word not its own.

    A latency whose metric is named after it ("10 s for a full answer at p90") looks past that
    word; otherwise the first metric word after it starts the next target's words.
    """
    cues = sorted(
        match.start() for _, pattern in lexicon.SLO_CUES for match in pattern.finditer(after)
    )
    skip = 1 if from_after else 0
    return cues[skip] if len(cues) > skip else len(after)


def _percentile(
    found: list[tuple[int, int]], used: set[int], before: tuple[int, int], after: tuple[int, int]
) -> Any:
    """The percentile named just before a latency, else just after it; 95 when none is."""
    nearby = found[bisect_left(found, (before[0], 0)) : bisect_left(found, (after[1], 0))]
    preceding = [
        (offset, value)
        for offset, value in nearby
        if offset < before[1]
        and offset not in used
        and (value != 50 or before[1] - offset <= _WORD_PERCENTILE_REACH)
    ]
    following = [(o, v) for o, v in nearby if after[0] <= o and o not in used]
    chosen = preceding[-1] if preceding else following[0] if following else None
    if chosen is None:
        return 95
    used.add(chosen[0])
    return chosen[1]
