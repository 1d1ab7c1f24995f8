"""Chat messages → :class:`~domain.requirements.Requirements`, deterministically.

The message is lower-cased; model names (:mod:`bot.model_names`) and GPU names
(:mod:`bot.lexicon`) are found and replaced by the words ``model`` and ``gpu``; number words are
spelled as digits; then each sentence's numbers get a role (:mod:`bot.number_roles`) and the
vocabulary of :mod:`bot.lexicon` gives task, priority, precision and license. Latencies take the
metric and percentile named nearest to them. What the text does not state stays empty.

An optional :class:`RequirementsExtractor` (an LLM, see :mod:`bot.llm_client`) may fill fields the
deterministic reading left empty; the deterministic value wins on every field it stated, and any
failure of the extractor (:class:`~domain.errors.BackendUnavailableError`) falls back to the
deterministic result. Understanding is pure and fast: no I/O beyond the packaged catalog, no
embeddings, no heavy imports.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from bot import lexicon, quantities
from bot.model_names import find_models, resolve_name
from bot.number_roles import Role, role_of
from domain.catalog import ModelSpec
from domain.errors import BackendUnavailableError
from domain.requirements import Requirements, SloMetric, SloTarget, Task
from knowledge.catalog import load_models

MAX_CHARS = 20_000
"""Longer messages are read up to this many characters."""

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+|[•·]")
_SPACES = str.maketrans({"’": "'", "‘": "'", "–": "-", "—": "-", "×": "x", "\u00a0": " "})
_DAILY_WORDS = re.compile(
    r"\b(?:nightly|daily|overnight|(?:a|per|each|every) (?:day|night))\b|/\s*(?:day|night)\b"
)
_COUNTED_NOUN = re.compile(r"^\s+(?!(?:gpu|model|and|or|to|of|in|is|are|per|a|an|the)\b)[a-z]")
_WORD_PERCENTILE_REACH = 40
_STREAMING = re.compile(r"\bstream\w*|\bchat\w*")
_CHAT_LIKE = {Task.CHATBOT, Task.RAG, Task.CODE_COMPLETION}
_INT_FIELDS = {
    "concurrent": "concurrent_users",
    "users": "concurrent_users",
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


@dataclass(frozen=True)
class Understood:
    """What one message states.

    Attributes:
        requirements: The requirements the message states (everything else empty).
        stated: Names of the ``Requirements`` fields the message states.
        suggested: The subset of ``stated`` that an LLM extractor filled in.
    """

    requirements: Requirements
    stated: frozenset[str]
    suggested: frozenset[str] = frozenset()


class RequirementsExtractor(Protocol):
    """Something that reads requirements from text (an LLM endpoint)."""

    def extract(self, *, text: str) -> Requirements:
        """Read requirements from ``text``.

        Args:
            text: The message.

        Returns:
            The requirements it found.

        Raises:
            BackendUnavailableError: When it cannot answer (down, slow, malformed answer).
        """
        ...


@cache
def _default_catalog() -> Mapping[str, ModelSpec]:
    return load_models()


def understand_message(
    text: str,
    *,
    models: Mapping[str, ModelSpec] | None = None,
    extractor: RequirementsExtractor | None = None,
) -> Understood:
    """Understand one message on its own.

    Args:
        text: The chat message.
        models: The model catalog (the packaged one when None).
        extractor: An optional LLM extractor that fills fields the rules left empty.

    Returns:
        The requirements the message states and which fields it states.
    """
    catalog = _default_catalog() if models is None else models
    requirements = Requirements.model_validate(_read(text, catalog))
    own = Understood(requirements, _stated(requirements))
    if extractor is None:
        return own
    try:
        suggestion = extractor.extract(text=text)
    except BackendUnavailableError:
        return own
    return _with_suggestion(own, suggestion, catalog)


def understand(
    text: str,
    *,
    models: Mapping[str, ModelSpec] | None = None,
    previous: Requirements | None = None,
    extractor: RequirementsExtractor | None = None,
) -> Requirements:
    """Understand a message, applied on top of what earlier messages said.

    Args:
        text: The chat message.
        models: The model catalog (the packaged one when None).
        previous: Requirements from earlier messages; what this message states replaces them.
        extractor: An optional LLM extractor (see :func:`understand_message`).

    Returns:
        The requirements after this message.
    """
    understood = understand_message(text, models=models, extractor=extractor)
    return understood.requirements if previous is None else merge(previous, understood)


def merge(previous: Requirements, understood: Understood) -> Requirements:
    """Apply a message's statements to earlier requirements.

    Every field the message states replaces the earlier value (lists as a whole: GPU families,
    models); latency targets are replaced per metric, so a new TTFT target keeps an earlier ITL one.

    Args:
        previous: The requirements so far.
        understood: What the new message states.

    Returns:
        The merged requirements.
    """
    updates: dict[str, Any] = {}
    for name in understood.stated:
        updates[name] = getattr(understood.requirements, name)
    if "slo" in updates:
        restated = {target.metric for target in understood.requirements.slo}
        kept = [target for target in previous.slo if target.metric not in restated]
        updates["slo"] = kept + list(understood.requirements.slo)
    return Requirements.model_validate({**previous.model_dump(), **updates})


class TextUnderstander:
    """Understanding bound to a catalog and an optional extractor, as the conversation uses it.

    Args:
        models: The model catalog (the packaged one when None).
        extractor: An optional LLM extractor.
    """

    def __init__(
        self,
        *,
        models: Mapping[str, ModelSpec] | None = None,
        extractor: RequirementsExtractor | None = None,
    ) -> None:
        self._models = models
        self._extractor = extractor

    def message(self, text: str) -> Understood:
        """Understand one message on its own (see :func:`understand_message`)."""
        return understand_message(text, models=self._models, extractor=self._extractor)

    def merge(self, text: str, *, previous: Requirements) -> Requirements:
        """Apply a message to earlier requirements (see :func:`merge`)."""
        return merge(previous, self.message(text))


def _stated(requirements: Requirements) -> frozenset[str]:
    return frozenset(
        name for name in Requirements.model_fields if getattr(requirements, name) not in (None, [])
    )


def _with_suggestion(
    own: Understood, suggestion: Requirements, catalog: Mapping[str, ModelSpec]
) -> Understood:
    """Fill the fields the rules left empty from an extractor's suggestion."""
    updates: dict[str, Any] = {}
    for name in Requirements.model_fields:
        value = getattr(suggestion, name)
        if name == "models":
            value = list(dict.fromkeys(filter(None, (resolve_name(m, catalog) for m in value))))
        if name in own.stated or value in (None, []):
            continue
        updates[name] = value
    requirements = Requirements.model_validate({**own.requirements.model_dump(), **updates})
    return Understood(requirements, own.stated | frozenset(updates), frozenset(updates))


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text[:MAX_CHARS]).translate(_SPACES).lower()


def _masked(text: str, spans: list[tuple[int, int]], word: str) -> str:
    """``text`` with each span replaced by `` word ``."""
    parts, done = [], 0
    for start, end in sorted(spans):
        parts += [text[done:start], f" {word} "]
        done = end
    return "".join([*parts, text[done:]])


def _read(text: str, catalog: Mapping[str, ModelSpec]) -> dict[str, Any]:
    """The deterministic reading of ``text`` as Requirements fields."""
    lowered = _normalise(text)
    mentions = find_models(lowered, catalog)
    masked = _masked(lowered, [(m.start, m.end) for m in mentions], "model")
    gpus = lexicon.find_gpus(masked)
    masked = quantities.spell_out(_masked(masked, [(g.start, g.end) for g in gpus], "gpu"))
    task = lexicon.find_task(masked)
    fields: dict[str, Any] = {
        "task": task,
        "models": list(dict.fromkeys(m.model_id for m in mentions if m.model_id)),
        "gpu_families": lexicon.allowed_families(gpus),
        "priority": lexicon.find_priority(masked),
        "quantization": lexicon.find_quantization(masked),
        "license": lexicon.find_license(masked),
        "slo": [],
    }
    roles: list[Role] = []
    for sentence in _SENTENCE.split(masked):
        found = _sentence_roles(sentence)
        roles += found
        fields["slo"] += _slos(sentence, found, task, masked)
    fields["slo"] = list(dict.fromkeys(fields["slo"]))
    fields.update(_numbers(roles))
    return fields


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
    if _DAILY_WORDS.search(sentence) and not any(role.kind == "rpd" for role in roles):
        for number in unclaimed:
            if _COUNTED_NOUN.match(sentence[number.end :]):
                roles.append(Role("rpd", number.value, number.start, number.end))
                break
    return roles


def _numbers(roles: list[Role]) -> dict[str, Any]:
    """Numeric fields from roles; a later statement wins, stated concurrency beats a population."""
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


def _slos(sentence: str, roles: list[Role], task: Task | None, text: str) -> list[SloTarget]:
    """Latency targets of one sentence: each latency takes the metric and percentile nearest it."""
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
