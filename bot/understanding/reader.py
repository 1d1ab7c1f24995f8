"""Chat messages → :class:`~domain.requirements.Requirements`, deterministically.

:mod:`bot.understanding.reading` reads one message (its steps are listed there); this module
is the public face: one message on its own, merged onto what earlier messages said, and bound to
a catalog for the conversation. What a message names but cannot be placed comes back in
:attr:`Understood.unplaced`, so the reply can say it.

An optional :class:`RequirementsExtractor` (an LLM, see :mod:`bot.understanding.llm_client`) may
fill fields the deterministic reading left empty; the deterministic value wins on every field it
stated, and any failure of the extractor (:class:`~domain.errors.BackendUnavailableError`) falls
back to the deterministic result. Understanding is pure and fast: no I/O beyond the packaged
catalogs; the MiniLM task classifier loads only when a message's task is not named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.understanding.model_names import resolve_name
from bot.understanding.reading import TaskReader, read
from domain.catalog import ModelSpec
from domain.errors import BackendUnavailableError
from domain.requirements import GpuFamily, Requirements
from knowledge.catalog import load_models

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class Understood:
    """What one message states.

    Attributes:
        requirements: The requirements the message states (everything else empty).
        stated: Names of the ``Requirements`` fields the message states.
        suggested: The subset of ``stated`` that an LLM extractor filled in.
        excluded_gpus: GPU families the message only ruled out ("no H100s") without naming any it
            wants; a merge then removes them from the earlier list instead of replacing it.
        guessed: Fields read by meaning rather than stated in words (the task from the
            classifier); a merge lets them fill an empty field but never replace an earlier one.
        unplaced: What the message names that could not be placed, each as a sentence for the
            user with the closest known names ("I don't know the GPU 'RTX 9090' (closest: RTX
            4090, RTX PRO 6000)").
    """

    requirements: Requirements
    stated: frozenset[str]
    suggested: frozenset[str] = frozenset()
    excluded_gpus: frozenset[GpuFamily] = frozenset()
    guessed: frozenset[str] = frozenset()
    unplaced: tuple[str, ...] = ()


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


def _default_catalog() -> Mapping[str, ModelSpec]:
    return load_models()


def understand_message(
    text: str,
    *,
    models: Mapping[str, ModelSpec] | None = None,
    extractor: RequirementsExtractor | None = None,
    classifier: TaskReader | None = None,
) -> Understood:
    """Understand one message on its own.

    Args:
        text: The chat message.
        models: The model catalog (the packaged one when None).
        extractor: An optional LLM extractor that fills fields the rules left empty.
        classifier: Reads the task by meaning when the rules are unsure (the shipped MiniLM
            classifier when None).

    Returns:
        The requirements the message states and which fields it states.
    """
    catalog = _default_catalog() if models is None else models
    reading = read(text, catalog, classifier)
    requirements = Requirements.model_validate(reading.fields)
    own = Understood(
        requirements,
        _stated(requirements),
        excluded_gpus=reading.excluded,
        guessed=reading.guessed,
        unplaced=reading.unplaced,
    )
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
    models); latency targets are replaced per metric, so a new TTFT target keeps an earlier ITL one;
    a message that only rules GPU families out ("no L4") removes them from the earlier list.

    Args:
        previous: The requirements so far.
        understood: What the new message states.

    Returns:
        The merged requirements.
    """
    updates: dict[str, Any] = {}
    for name in understood.stated:
        if name in understood.guessed and getattr(previous, name) not in (None, []):
            continue
        updates[name] = getattr(understood.requirements, name)
    if "slo" in updates:
        restated = {target.metric for target in understood.requirements.slo}
        kept = [target for target in previous.slo if target.metric not in restated]
        updates["slo"] = kept + list(understood.requirements.slo)
    remaining = [f for f in previous.gpu_families if f not in understood.excluded_gpus]
    if understood.excluded_gpus and remaining:
        updates["gpu_families"] = remaining
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
        self._last: tuple[str, Understood] | None = None

    def message(self, text: str) -> Understood:
        """Understand one message on its own (see :func:`understand_message`).

        The last answer is kept, so ``message`` then ``merge`` of the same text asks an LLM once.
        """
        last = self._last
        if last is not None and last[0] == text:
            return last[1]
        understood = understand_message(text, models=self._models, extractor=self._extractor)
        self._last = (text, understood)
        return understood

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
    stated = own.stated | frozenset(updates)
    return Understood(
        requirements, stated, frozenset(updates), own.excluded_gpus, own.guessed, own.unplaced
    )
