"""Typos and chat shorthand in requirement words ("latnecy", "thruput", "prmpt 900 tok").

A word that is not itself in the vocabulary is replaced by the one vocabulary word it is a
single edit away from (two for words of nine letters or more; an edit is an insertion, deletion,
substitution or swap of neighbours). Five-letter words are only corrected by an insertion or a
swap, never a substitution, so real words such as "taken" do not become "token". Shorthand with
no letters to spare ("tok", "ppl", "reqs") has its own table. Words holding a digit (model and
GPU names, "p95", "4k") and words of fewer than five letters are never touched, and a word close
to two vocabulary words equally (same edits, same last letter) is left alone rather than
guessed. Pure string work: no I/O.
"""

from __future__ import annotations

import re
from functools import cache


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


VOCABULARY = _words(
    """
    latency latencies throughput employees employee engineers developers users people persons
    concurrent concurrently concurrency parallel simultaneous simultaneously sessions customers
    students analysts support assistant chatbot summarization summarize summarise summaries
    summary translation translate translations extraction extract completion completions
    generation generate prompts prompt tokens token inputs input output outputs answers answer
    response responses requests request budget month monthly second seconds minutes minute
    milliseconds hours first around about under within below maximum minimum quantization
    quantized quantize context agents agent agentic retrieval documents document invoices
    tickets transcripts streaming stream percentile median average cheapest cheap priority
    accuracy quality license licence permissive weights precision allowed acceptable staff
    daily nightly overnight batch offline queries approximately roughly between
    matters important budget priority inter deploy model models chat helpdesk service
    requirement concurrent active peak finish window deadline completed translate
    """
)
SHORTHAND = {
    "tok": "tokens",
    "toks": "tokens",
    "tkns": "tokens",
    "prmpt": "prompt",
    "prmpts": "prompts",
    "ppl": "people",
    "folks": "people",
    "reqs": "requests",
    "req": "request",
    "thruput": "throughput",
    "tput": "throughput",
    "svc": "service",
    "resp": "response",
    "mins": "minutes",
    "secs": "seconds",
    "w/": "with",
    "conc": "concurrent",
}
COMMON_WORDS = _words(
    """
    taken stuff mouth later water quantity reply spend spent attend agency latent tickers
    parallels person persona prompted answered outputted employed engines develops support
    sections session suppose inputted months modern models modes analysis retrieved chart charts
    headline linter querier
    percentage percentages
    """
)
_WORD = re.compile(r"(?<![\w/.-])(?:w/(?=\s)|[a-z]+(?![\w/.-]))")
_SHORT = 5
_LONG = 9


def _edits(word: str, target: str) -> int:
    """Optimal string alignment distance (Damerau–Levenshtein without repeated edits)."""
    rows = [list(range(len(target) + 1))]
    for i, char in enumerate(word, 1):
        row = [i]
        for j, other in enumerate(target, 1):
            cost = 0 if char == other else 1
            best = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and char == target[j - 2] and word[i - 2] == other:
                best = min(best, rows[-2][j - 2] + 1)
            row.append(best)
        rows.append(row)
    return rows[-1][-1]


def _allowed(word: str, target: str) -> int:
    if len(word) >= _LONG:
        return 2
    if len(word) == _SHORT and len(target) == len(word) and sorted(word) != sorted(target):
        return 0  # a five-letter substitution is too likely a real word
    return 1


def _known(word: str) -> bool:
    """A vocabulary word, an inflection of one ("streams", "summarized"), or a common word."""
    if word in VOCABULARY or word in COMMON_WORDS or word + "s" in VOCABULARY:
        return True
    stems = (word[:-1], word[:-2], word[:-3], word[:-2] + "e", word[:-3] + "e")
    return word.endswith(("s", "ed", "ing", "ly", "es")) and any(s in VOCABULARY for s in stems)


@cache
def correct_word(word: str) -> str:
    """The vocabulary word ``word`` is a typo of, or ``word`` itself.

    Args:
        word: One lower-cased word.

    Returns:
        The correction, or the word unchanged when it is known, too short, or ambiguous.
    """
    if word in SHORTHAND:
        return SHORTHAND[word]
    if len(word) < _SHORT or _known(word):
        return word
    scored = [
        (_edits(word, target), target[-1] != word[-1], target)
        for target in VOCABULARY
        if abs(len(target) - len(word)) <= 2
    ]
    close = sorted(item for item in scored if item[0] <= _allowed(word, item[2]))
    if not close or (len(close) > 1 and close[0][:2] == close[1][:2]):
        return word
    return close[0][2]


def correct(text: str) -> str:
    """``text`` with typos and shorthand of requirement words corrected.

    Args:
        text: Lower-cased text.

    Returns:
        The corrected text.
    """
    return _WORD.sub(lambda match: correct_word(match.group()), text)
