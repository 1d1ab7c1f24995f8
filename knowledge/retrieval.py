"""Retrieval for a recommendation: the similar deployment patterns and closest measured runs.

:class:`KnowledgeRetriever` turns requirements into a query (words for the task, scale, models,
GPUs and context), searches the knowledge base for patterns of the task and for measured
configurations (on the one GPU family asked for, when one is), and hands back the patterns and
records themselves, each with its similarity. :func:`prompt_tokens` reads the prompt size a
pattern states in its scale ("8k-32k-token prompts", "~1k tokens in"), so a pattern can inform
the prompt-size assumption. This module imports no SDK; the store is handed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.benchmarks import BenchmarkRecord, DeploymentPattern
from domain.requirements import Requirements
from knowledge.kb import KnowledgeBase

PATTERNS = 3
MEASURED = 3
MIN_PATTERN_SCORE = 0.35
"""Below this blended similarity a pattern is not "similar" enough to inform an assumption."""

_RANGE = r"(\d+(?:\.\d+)?)(k?)(?:\s*-\s*(\d+(?:\.\d+)?)(k?))?"
_PROMPT_PATTERNS = (
    re.compile(_RANGE + r"[- ]token (?:prompts|inputs|documents|contexts)"),
    re.compile(r"~?" + _RANGE + r" tokens in\b"),
)


@dataclass(frozen=True)
class RetrievedPattern:
    """A deployment pattern found similar to the request."""

    pattern: DeploymentPattern
    score: float


@dataclass(frozen=True)
class RetrievedRun:
    """A measured configuration found close to the request, with one record of it to cite."""

    record: BenchmarkRecord
    score: float
    record_ids: tuple[str, ...]


@dataclass(frozen=True)
class Retrieved:
    """What the knowledge base returned for one request."""

    query: str
    patterns: tuple[RetrievedPattern, ...] = ()
    measured: tuple[RetrievedRun, ...] = ()


def prompt_tokens(pattern: DeploymentPattern) -> tuple[int, str] | None:
    """The prompt size a pattern's scale states: the low end of a range, and the phrase.

    Args:
        pattern: The pattern.

    Returns:
        (tokens, the phrase it was read from), or None when the scale names none.
    """
    for expression in _PROMPT_PATTERNS:
        match = expression.search(pattern.scale)
        if match:
            low, k = float(match.group(1)), match.group(2) or match.group(4)
            return int(low * (1000 if k else 1)), match.group(0)
    return None


def query_text(requirements: Requirements) -> str:
    """The words a request is searched with.

    Args:
        requirements: What the team asked for.

    Returns:
        A short description in plain words.
    """
    parts = (
        [f"Deployment for {requirements.task.value.replace('_', ' ')}"] if requirements.task else []
    )
    if requirements.user_population:
        parts.append(f"{requirements.user_population} users")
    if requirements.concurrent_users:
        parts.append(f"{requirements.concurrent_users} concurrent users")
    if requirements.requests_per_second:
        parts.append(f"{requirements.requests_per_second:g} requests/s")
    if requirements.requests_per_day:
        parts.append(f"{requirements.requests_per_day} requests a day, offline batch")
    parts += [model.split("/")[-1] for model in requirements.models]
    parts += [*requirements.gpus, *(family.value for family in requirements.gpu_families)]
    if requirements.min_context_tokens:
        parts.append(f"long context {requirements.min_context_tokens} tokens")
    if requirements.input_tokens:
        parts.append(f"{requirements.input_tokens}-token prompts")
    if requirements.priority:
        parts.append(f"{requirements.priority.value} first")
    return ", ".join(parts) or "LLM serving deployment"


class KnowledgeRetriever:
    """Searches a knowledge base for what a recommendation should rest on.

    Args:
        kb: The knowledge base (built).
        patterns: The deployment patterns, by id (hits are resolved to them).
        records: The measured records, by id.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        patterns: Iterable[DeploymentPattern],
        records: Iterable[BenchmarkRecord],
    ) -> None:
        self._kb = kb
        self._patterns: Mapping[str, DeploymentPattern] = {p.id: p for p in patterns}
        self._records: Mapping[str, BenchmarkRecord] = {r.id: r for r in records}

    def with_records(self, records: Iterable[BenchmarkRecord]) -> KnowledgeRetriever:
        """The same search over the same knowledge base, resolving hits to ``records`` (after
        ``preflight ingest`` added some, which it also indexed).

        Args:
            records: The measured records now.

        Returns:
            A retriever sharing this one's knowledge base.
        """
        return KnowledgeRetriever(self._kb, patterns=self._patterns.values(), records=records)

    def __call__(self, requirements: Requirements) -> Retrieved:
        """Similar patterns (of the request's task) and closest measured runs.

        Args:
            requirements: What the team asked for.

        Returns:
            What was found; patterns or records the catalogs no longer hold are left out.

        Raises:
            BackendUnavailableError: When the store cannot be searched.
        """
        text = query_text(requirements)
        families = requirements.gpu_families
        found = self._kb.search(text, kinds=("pattern",), task=requirements.task, limit=PATTERNS)
        patterns = tuple(
            RetrievedPattern(self._patterns[hit.id], hit.score)
            for hit in found
            if hit.id in self._patterns
        )
        runs = self._kb.search(
            text,
            kinds=("benchmark",),
            gpu_family=families[0] if len(families) == 1 else None,
            limit=MEASURED,
        )
        measured = []
        for hit in runs:
            ids = tuple(str(i) for i in hit.metadata.get("record_ids", [hit.id]))
            cited = _citable([self._records[i] for i in ids if i in self._records])
            if cited is not None:
                measured.append(RetrievedRun(cited, hit.score, ids))
        return Retrieved(text, patterns, tuple(measured))


def _citable(records: list[BenchmarkRecord]) -> BenchmarkRecord | None:
    """The record of a configuration to cite: unflagged, with latencies, at the highest load."""
    usable = [r for r in records if not r.flagged and (r.itl_ms_p50 or r.ttft_ms_p50)]
    if not usable:
        return None
    return max(usable, key=lambda r: (r.load_value or 0.0, r.id))
