"""Model names as people write them ("Llama 3.3 70B Instruct", "qwen3-8b") → catalog ids.

Names are matched token by token against the catalog's own ids, so a new catalog entry is
understood without a new rule. A mention must reach the part of a name that tells models apart
(the size, or a variant word such as "Scout" or "mini"): a family alone ("Qwen3", "Llama 3.1") is
not a model. A derived checkpoint (instruct or chat tune, quantized copy, distillation: catalog
rows of kind ``same_as``) maps to the base architecture it shares (``ModelSpec.base_id``); a model
published with its own config (DeepSeek-R1) stays itself.

A repository id the catalog lacks (``acme/support-llm-8b``, ``org/name@revision``, or a Hub URL)
is kept as written (:func:`find_repo_ids`), so the recommendation can look it up in a model
registry; words that merely contain a slash ("tokens/s", "Apache/MIT", "A100/H100") are not ids.

This module reads the catalog it is given; it must not load anything itself.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from bot.understanding.lexicon import find_gpus
from domain.catalog import ModelSpec
from domain.registry import ModelRef

_TOKEN = re.compile(r"\d+x\d+[a-z]?|\d+(?:\.(?:\d+|x))*[a-z]*|[a-z]+")
_SIZE = re.compile(r"\d+(?:\.\d+)?[bm]|\d+x\d+b?")
_SUFFIXES = frozenset({"instruct", "it", "hf", "chat", "base", "fp", "kv", "v"})
_VERSION = re.compile(r"\d+(?:\.(?:\d+|x))*")
_DERIVED = "same_as"
_JOINER = re.compile(r"[\s_/-]{0,3}")
_REPO_ID = re.compile(
    r"(?<![\w./@-])(?:(?:https?://[^\s/]+|(?:huggingface|hf)\.co)/)?"
    r"([A-Za-z0-9][\w.-]*/[A-Za-z][\w.-]*(?:@[\w./-]+)?)"
)
_NAME_SEPARATOR = re.compile(r"[A-Za-z0-9][-_.][A-Za-z0-9]")
# Words that pair with a slash in requirements prose ("input/output-heavy", "read/write-mostly").
_PROSE_OWNERS = frozenset(
    {"input", "output", "read", "write", "prompt", "prompts", "request", "requests", "and", "or"}
)


@dataclass(frozen=True)
class ModelMention:
    """A span of text that names a model, or a model family too vague to be one.

    Attributes:
        start: Offset of the mention.
        end: Offset just past it.
        model_id: The catalog id of the base architecture, or None for a bare family.
    """

    start: int
    end: int
    model_id: str | None


@dataclass(frozen=True)
class _Name:
    tokens: tuple[str, ...]
    identity: int
    target: str


@dataclass(frozen=True)
class RepoMention:
    """A repository id in the text that the catalog does not hold.

    Attributes:
        start: Offset of the mention (a URL prefix included).
        end: Offset just past it.
        model_id: The id as written, ``org/name`` or ``org/name@revision``.
    """

    start: int
    end: int
    model_id: str


def _model_like(ref: ModelRef) -> bool:
    """An id people name models by: a worded owner, a name with a separator, no GPU in it."""
    letters = sum(char.isalpha() for char in ref.org)
    return (
        letters >= 2
        and ref.org.lower() not in _PROSE_OWNERS
        and _NAME_SEPARATOR.search(ref.name) is not None
        and not find_gpus(ref.repo_id.lower())
    )


def find_repo_ids(text: str, models: Mapping[str, ModelSpec]) -> list[RepoMention]:
    """Repository ids (``org/name[@revision]``) in ``text`` that are not catalog ids.

    Args:
        text: The text with its case kept (ids are case-sensitive in some registries).
        models: The catalog.

    Returns:
        Mentions in order.
    """
    known = {hf_id.lower() for hf_id in models}
    mentions = []
    for match in _REPO_ID.finditer(text):
        written = match.group(1).rstrip("._-/@")
        ref = ModelRef.maybe(written)
        if ref is None or ref.text.lower() in known or not _model_like(ref):
            continue
        mentions.append(RepoMention(match.start(), match.start(1) + len(written), ref.text))
    return mentions


def base_of(spec: ModelSpec, models: Mapping[str, ModelSpec]) -> str:
    """The catalog id a mention of ``spec`` stands for: its base when it is a derived checkpoint.

    Args:
        spec: A catalog model.
        models: The catalog.

    Returns:
        The id of the base architecture (``spec.hf_id`` itself when it is not derived).
    """
    seen = {spec.hf_id}
    while spec.base_id and spec.source.source_id.endswith(_DERIVED) and spec.base_id in models:
        spec = models[spec.base_id]
        if spec.hf_id in seen:
            break
        seen.add(spec.hf_id)
    return spec.hf_id


def _tokens(name: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(name.lower()))


def _identity(tokens: tuple[str, ...]) -> int:
    """How many leading tokens a mention must match: through the size or a variant word."""
    for index, token in enumerate(tokens[1:], start=1):
        if _SIZE.fullmatch(token):
            return index + 1
        if index >= 2 and token.isalpha() and token not in _SUFFIXES:
            return index + 1
    end = len(tokens)
    while end > 1 and tokens[end - 1] in _SUFFIXES:
        end -= 1
    return end


@lru_cache(maxsize=8)
def _index(pairs: tuple[tuple[str, str], ...]) -> dict[str, tuple[_Name, ...]]:
    by_first: dict[str, list[_Name]] = {}
    for hf_id, target in pairs:
        tokens = _tokens(hf_id.split("/")[-1])
        variants = {tokens}
        if tokens[:2] == ("meta", "llama"):
            variants.add(tokens[1:])
        for variant in variants:
            name = _Name(variant, _identity(variant), target)
            by_first.setdefault(variant[0], []).append(name)
    return {first: tuple(names) for first, names in by_first.items()}


def _same(text_token: str, name_token: str) -> bool:
    if name_token.endswith(".x"):
        stem = name_token[:-2]
        return text_token == stem or text_token.startswith(stem + ".")
    return text_token == name_token


def _prefix(words: list[str], joined: list[bool], start: int, tokens: tuple[str, ...]) -> int:
    """How many of ``tokens`` the words from ``start`` match, within one run of a name."""
    length = 0
    while (
        length < len(tokens)
        and start + length < len(words)
        and (length == 0 or joined[start + length])
        and _same(words[start + length], tokens[length])
    ):
        length += 1
    return length


def _choose(candidates: list[_Name], length: int) -> str | None:
    """The one model the matched tokens stand for, or None when they fit several."""
    exact = [name for name in candidates if len(name.tokens) == length]
    pool = exact or candidates
    if len({name.target for name in pool}) == 1:
        return pool[0].target
    fewest = min(len(name.tokens) for name in pool)
    closest = {name.target for name in pool if len(name.tokens) == fewest}
    return closest.pop() if len(closest) == 1 else None


def find_models(text: str, models: Mapping[str, ModelSpec]) -> list[ModelMention]:
    """Model names in ``text``, each resolved to the catalog id of its base architecture.

    Args:
        text: Lower-cased text.
        models: The catalog.

    Returns:
        Mentions in order; a family without a size comes back with ``model_id`` None so that its
        version number is not read as a quantity.
    """
    index = _index(tuple(sorted((hf_id, base_of(spec, models)) for hf_id, spec in models.items())))
    matches = list(_TOKEN.finditer(text))
    words = [match.group() for match in matches]
    joined = [False] + [
        _JOINER.fullmatch(text[left.end() : right.start()]) is not None
        for left, right in itertools.pairwise(matches)
    ]
    mentions: list[ModelMention] = []
    position = 0
    while position < len(words):
        names = index.get(words[position], ())
        lengths = [(_prefix(words, joined, position, name.tokens), name) for name in names]
        longest = max((length for length, _ in lengths), default=0)
        found = [name for length, name in lengths if length == longest and length >= name.identity]
        family = longest >= 2 and _VERSION.fullmatch(words[position + 1]) is not None
        if found or family:
            start, end = matches[position].start(), matches[position + longest - 1].end()
            model_id = _choose(found, longest) if found else None
            mentions.append(ModelMention(start, end, model_id))
            position += longest
        else:
            position += 1
    return mentions


def resolve_name(name: str, models: Mapping[str, ModelSpec]) -> str | None:
    """Resolve one name (a catalog id or a name as people write it) to a base catalog id.

    Args:
        name: ``meta-llama/Llama-3.3-70B-Instruct``, ``Llama 3.3 70B`` …
        models: The catalog.

    Returns:
        The base catalog id, or None when the name is no catalog model.
    """
    for hf_id, spec in models.items():
        if hf_id.lower() == name.strip().lower():
            return base_of(spec, models)
    found = [mention.model_id for mention in find_models(name.lower(), models) if mention.model_id]
    return found[0] if found else None
