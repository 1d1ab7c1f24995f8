"""Context that is no requirement: GPUs and setups a team used to have, or tried once.

"We used to run on A10Gs but they're gone; now it's L4 only": the A10G is history, not an
allowed GPU. A clause (split at sentence ends, "but", "now", "today", "this time") that speaks in
the past ("used to", "tried", "previously", "last year", "back in", "our old", "we had", "were
using", "returned") and says nothing about the present has its GPU names, model names and numbers
blanked, so none of them becomes a requirement. Last year's spend and company size next to the
real user count are :mod:`bot.understanding.number_roles`' business. Pure string work.
"""

from __future__ import annotations

import re

_CLAUSE = re.compile(
    r"\.(?!\d)|[;!?\n]|\s(?=but\b)|,\s*(?=(?:now|today|these days|this time|currently)\b)"
    r"|\s(?=(?:now|today|these days|this time|currently)\b)"
)
_PAST = re.compile(
    r"\bused to\b|\btried\b|\bpreviously\b|\bformerly\b|\bin the past\b|\blast (?:year|quarter"
    r"|month)\b|\bback in (?:\d{4}|the day)\b|\bour old\b|\bold (?:setup|cluster|stack)\b"
    r"|\bwe had\b(?! to)|\bwere (?:using|running|on)\b|\bwas (?:using|running|on)\b"
    r"|\breturned\b|\bgave (?:them )?back"
    r"|\bgot rid of\b|\bretired\b|\bdecommissioned\b|\bno longer\b|\bran\b(?! out)"
)
_PRESENT = re.compile(
    r"\bnow\b|\btoday\b|\bcurrently\b|\bthis time\b|\bthese days\b|\bwe (?:have|use|run|get)\b"
    r"|\bwe've got\b|\bonly\b"
)
_THING = re.compile(r"[a-z$~]*\d[\w.,$/-]*(?:'?s)?")


def blank_history(text: str) -> str:
    """``text`` with GPU names, model names and numbers of past-only clauses blanked.

    Args:
        text: Lower-cased text.

    Returns:
        The text; a past clause keeps its words but loses every token holding a digit.
    """
    pieces, done = [], 0
    for boundary in [*(m.end() for m in _CLAUSE.finditer(text)), len(text)]:
        clause = text[done:boundary]
        if _PAST.search(clause) and not _PRESENT.search(clause):
            clause = _THING.sub(lambda match: " " * len(match.group()), clause)
        pieces.append(clause)
        done = boundary
    return "".join(pieces)
