"""The deterministic reading of one message: every Requirements field it states.

A message goes through these steps, each its own module: key/value specs written out
(:mod:`~bot.understanding.key_values`), German, French and Spanish requirement words in English
(:mod:`~bot.understanding.languages`), number words and locale formats as digits
(:mod:`~bot.understanding.quantities`), typos corrected (:mod:`~bot.understanding.spelling`),
past-only clauses blanked (:mod:`~bot.understanding.past_context`); then model names
(:mod:`~bot.understanding.model_names`) and GPU names (:mod:`~bot.understanding.lexicon`,
exact models by :mod:`~bot.understanding.gpu_names`) are found and masked, names that cannot be
placed are reported (:mod:`~bot.understanding.unplaced`), a batch window is read
(:mod:`~bot.understanding.windows`), each sentence's numbers get a role
(:mod:`~bot.understanding.number_roles`) and latencies their metric and percentile
(:mod:`~bot.understanding.latency_targets`). The task comes from rules that name it, else from a
classifier by meaning (:class:`TaskReader`, the shipped MiniLM one by default) that is asked only
when the rules are unsure. What the text does not state stays empty.

No I/O beyond the packaged catalogs; the MiniLM model loads only the first time a message's task
is not named.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import astuple, dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from bot.understanding import (
    key_values,
    languages,
    lexicon,
    past_context,
    quantities,
    spelling,
    unplaced,
    windows,
)
from bot.understanding.gpu_names import pinned_models
from bot.understanding.latency_targets import latency_targets
from bot.understanding.model_names import find_models, find_repo_ids
from bot.understanding.number_roles import Role, role_of
from domain.catalog import ModelSpec
from domain.errors import ConfigurationError
from domain.requirements import GpuFamily, Task

if TYPE_CHECKING:
    from knowledge.task_classifier import TaskGuess

MAX_CHARS = 20_000
"""Longer messages are read up to this many characters."""

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+|[•·]")
_SPACES = str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-", "×": "x", "\u00a0": " "})
_DAILY_WORDS = re.compile(
    r"\b(?:nightly|daily|overnight|(?:a|per|each|every) (?:day|night))\b|/\s*(?:day|night)\b"
)
_COUNTED_NOUN = re.compile(r"^\s+(?!(?:gpu|model|and|or|to|of|in|is|are|per|a|an|the)\b)[a-z]")
_WORDS = re.compile(r"(?<![\w.])[a-z]+(?![\w.])")
_FILLER_WORDS = """
    the and for with our their this that these those are was were has
    have had will would can could should must need needs want wants like from
    into over than then them they what which who when where how about around
    some any all each every per one two also just only very please yes
    not but its it's we us you your bot assistant model gpu gpus hardware
    window users people staff employees team tops max min ttft itl tokens token batch
    nightly cheap
"""
_FILLER = frozenset(_FILLER_WORDS.split())
_DESCRIPTION_WORDS = 3
"""Fewer words than this that describe the use, and the classifier is not asked."""
_FILL_MARGIN = 0.05
_OVERRIDE_SCORE = 0.45
_OVERRIDE_MARGIN = 0.04
_GPU_LIST = re.compile(r"\s*x?\s*gpu'?s?\s*(?:gpus?\s*)?(?:and|&|\+|plus)\s*")
_INT_FIELDS = {
    "concurrent": "concurrent_users",
    "users": "user_population",
    "rpd": "requests_per_day",
    "input": "input_tokens",
    "output": "output_tokens",
    "context": "min_context_tokens",
    "gpus": "max_gpus",
}
_FLOAT_FIELDS = {
    "budget": "budget_usd_month",
    "rps": "requests_per_second",
    "min_params": "min_params_b",
    "max_params": "max_params_b",
}


class TaskReader(Protocol):
    """Something that reads the task a message describes by meaning (see
    :mod:`knowledge.task_classifier`)."""

    def classify(self, text: str) -> TaskGuess | None:
        """The task ``text`` describes, or None when no task is close enough."""
        ...


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_SPACES).lower()


def _masked(text: str, spans: list[tuple[int, int]], word: str) -> str:
    """``text`` with each span replaced by `` word ``."""
    parts, done = [], 0
    for start, end in sorted(spans):
        parts += [text[done:start], f" {word} "]
        done = end
    return "".join([*parts, text[done:]])


def _plain_english(text: str) -> str:
    """A message in the words and number formats the rules read: specs written out, German,
    French and Spanish requirement words in English, locale numbers as plain digits, typos and
    shorthand corrected."""
    text = languages.to_english(key_values.rewrite(text))
    return spelling.correct(quantities.plain_digits(quantities.spell_out(text)))


@dataclass(frozen=True)
class Reading:
    """What one message states, before it is validated as Requirements.

    Attributes:
        fields: Requirements fields by name (empty ones None or []).
        excluded: GPU families the message only ruled out.
        guessed: Fields read by meaning (the task from the classifier).
        unplaced: What could not be placed, said for the user.
    """

    fields: dict[str, Any]
    excluded: frozenset[GpuFamily]
    guessed: frozenset[str]
    unplaced: tuple[str, ...]


def read(
    text: str, catalog: Mapping[str, ModelSpec], classifier: TaskReader | None = None
) -> Reading:
    """The deterministic reading of ``text``.

    Args:
        text: The chat message.
        catalog: The model catalog.
        classifier: Reads the task by meaning when the rules are unsure (shipped MiniLM if None).

    Returns:
        Its fields, GPUs only ruled out, what was guessed and what could not be placed.
    """
    lowered = _normalise(text)
    cased = unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_SPACES)
    repos = find_repo_ids(cased, catalog) if len(cased) == len(lowered) else []
    lowered = _masked(lowered, [(r.start, r.end) for r in repos], "model")
    lowered = past_context.blank_history(_plain_english(lowered))
    mentions = find_models(lowered, catalog)
    odd_models = unplaced.unknown_models(lowered, mentions, catalog)
    spans = [(m.start, m.end) for m in mentions] + [(u.start, u.end) for u in odd_models]
    masked = _masked(lowered, _outermost(spans), "model")
    gpus = lexicon.find_gpus(masked)
    pins = [(g, pinned_models(g.family, masked[g.start : g.end])) for g in gpus if not g.negated]
    odd_pins = [
        unplaced.unknown_pin(p.unknown, p.closest, g.start, g.end) for g, p in pins if p.unknown
    ]
    masked = _masked(masked, [(g.start, g.end) for g in gpus], "gpu")
    odd_gpus = unplaced.unknown_gpus(masked)
    masked = _masked(masked, [(u.start, u.end) for u in odd_gpus], "hardware")
    window = windows.find_window(masked)
    masked = windows.masked(masked, window)
    task, task_guessed = _task(masked, classifier)
    fields: dict[str, Any] = {
        "task": task,
        "models": list(
            dict.fromkeys(
                [*(m.model_id for m in mentions if m.model_id), *(r.model_id for r in repos)]
            )
        ),
        "gpu_families": lexicon.allowed_families(gpus),
        "priority": lexicon.find_priority(masked),
        "quantization": lexicon.find_quantization(masked),
        "license": lexicon.find_license(masked),
        "slo": [],
        "gpus": list(dict.fromkeys(model for _, pin in pins for model in pin.models)),
        "window_hours": window.hours if window else None,
    }
    roles: list[Role] = []
    for sentence in _SENTENCE.split(masked):
        found = _sentence_roles(sentence)
        roles += found
        fields["slo"] += latency_targets(sentence, found, task, masked)
    fields["slo"] = list(dict.fromkeys(fields["slo"]))
    fields.update(_numbers(roles))
    ruled_out = frozenset(g.family for g in gpus if g.negated)
    language = languages.other_language(lowered)
    notes = [u.message for u in (*odd_models, *odd_pins, *odd_gpus)]
    if language is not None:
        notes.append(f"this looks like {language}; I read English, German, French and Spanish")
    return Reading(
        fields,
        ruled_out if all(g.negated for g in gpus) else frozenset(),
        frozenset({"task"}) if task_guessed else frozenset(),
        tuple(dict.fromkeys(notes)),
    )


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans without those inside an earlier, longer one."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if kept and start < kept[-1][1]:
            kept[-1] = (kept[-1][0], max(end, kept[-1][1]))
        else:
            kept.append((start, end))
    return kept


def _task(text: str, classifier: TaskReader | None) -> tuple[Task | None, bool]:
    """The task, and whether it was read by meaning: a rule that names the task wins; a generic
    hint ("bot") or none asks the classifier.

    The classifier's answer replaces a generic hint only when it is clearly better (a score of
    at least ``_OVERRIDE_SCORE`` and ``_OVERRIDE_MARGIN`` ahead of the next task), and fills an
    empty task when it is ``_FILL_MARGIN`` ahead (of the other tasks and of describing none).
    """
    found = lexicon.find_task_rule(text)
    if found is not None and found[1]:
        return found[0], False
    if len(_description_words(text)) < _DESCRIPTION_WORDS:
        return (None, False) if found is None else (found[0], False)
    guess = _classify(text, classifier)
    if found is None:
        if guess is not None and guess.margin >= _FILL_MARGIN:
            return guess.task, True
        return None, False
    if guess is None or guess.task == found[0]:
        return found[0], False
    if guess.score >= _OVERRIDE_SCORE and guess.margin >= _OVERRIDE_MARGIN:
        return guess.task, True
    return found[0], False


def _description_words(text: str) -> list[str]:
    """The words that describe the use: not numbers, units, requirement vocabulary or filler.

    A message made only of numbers and requirement words ("assistant for 4200 staff, TTFT under
    0.9 s") has nothing for a classifier by meaning to read, so it is not asked (and the MiniLM
    forward pass is saved).
    """
    return [
        word
        for word in _WORDS.findall(text)
        if word not in _FILLER and word not in spelling.VOCABULARY and len(word) > 2
    ]


def _classify(text: str, classifier: TaskReader | None) -> TaskGuess | None:
    reader = classifier if classifier is not None else _shipped_classifier()
    if reader is None:
        return None
    return reader.classify(text)


@cache
def _shipped_classifier() -> TaskReader | None:
    """The shipped MiniLM classifier, or None where the model cannot load (rules alone then)."""
    from knowledge.task_classifier import shipped_classifier

    try:
        classifier = shipped_classifier()
        classifier.classify("a chat assistant")
    except ConfigurationError:
        return None
    return classifier


def _sentence_roles(sentence: str) -> list[Role]:
    """The roles of a sentence's numbers; a daily word gives an otherwise bare count a role."""
    roles: list[Role] = []
    unclaimed = []
    region_start = 0
    for number in quantities.find_numbers(sentence):
        if number.start < region_start:
            continue
        role = role_of(sentence, number, region_start)
        if role is None:
            unclaimed.append(number)
        elif role.kind:
            roles.append(role)
        region_start = role.end if role is not None and role.kind else number.end
    roles = _summed_gpu_counts(sentence, roles)
    if _DAILY_WORDS.search(sentence) and not any(role.kind == "rpd" for role in roles):
        for number in unclaimed:
            if _COUNTED_NOUN.match(sentence[number.end :]):
                roles.append(Role("rpd", number.value, number.start, number.end))
                break
    return roles


def _summed_gpu_counts(sentence: str, roles: list[Role]) -> list[Role]:
    """GPU counts listed together ("8 H100s and 4 A100s") as one count of all of them (12)."""
    merged: list[Role] = []
    for role in roles:
        last = merged[-1] if merged else None
        joined = last is not None and _GPU_LIST.fullmatch(sentence[last.end : role.start])
        if last is not None and joined and last.kind == role.kind == "gpus":
            merged[-1] = Role("gpus", last.value + role.value, last.start, role.end)
        else:
            merged.append(role)
    return merged


def _numbers(roles: list[Role]) -> dict[str, Any]:
    """Numeric fields from roles; a later statement of the same kind wins.

    The size of the whole organisation is the user population only when no other number says
    who uses it ("we're 15,000 people; the 250 in finance will use it" → 250).
    """
    if not any(role.kind == "users" for role in roles):
        roles = [
            Role("users", *astuple(role)[1:]) if role.kind == "organisation" else role
            for role in roles
        ]
    fields: dict[str, Any] = {}
    for kind in dict.fromkeys(("users", "concurrent", *_INT_FIELDS, *_FLOAT_FIELDS)):
        values = [role.value for role in roles if role.kind == kind]
        if not values or values[-1] <= 0:
            continue
        if kind in _INT_FIELDS:
            if round(values[-1]) >= 1:
                fields[_INT_FIELDS[kind]] = round(values[-1])
        else:
            fields[_FLOAT_FIELDS[kind]] = values[-1]
    return fields
