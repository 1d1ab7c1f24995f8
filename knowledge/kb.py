"""The knowledge-base port: search patterns and benchmark records by meaning, with filters.

:class:`KnowledgeBase` is what the rest of Preflight depends on; :mod:`knowledge.edge_kb`
(Qdrant's engine in-process, the embedded default) and :mod:`knowledge.qdrant_kb` (LlamaIndex
over qdrant-client, for a Qdrant server) implement it. This module also holds the
plain-text summaries that are embedded for each record and pattern, so every implementation
indexes the same text. It imports no SDK.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal, Protocol

from pydantic import Field

from domain.base import Frozen
from domain.benchmarks import BenchmarkRecord, DeploymentPattern
from domain.requirements import GpuFamily, Task
from knowledge.catalog import family_label

Kind = Literal["pattern", "benchmark"]
KINDS: tuple[Kind, ...] = ("pattern", "benchmark")

_LOAD_WORDS = {
    "offline": "offline batch",
    "concurrency": "concurrent load",
    "rate": "request rate",
}


class SearchHit(Frozen):
    """One search result."""

    id: str = Field(description="Pattern id or benchmark record id.")
    kind: Kind = Field(description="pattern or benchmark.")
    title: str = Field(description="One line a person reads.")
    score: float = Field(description="Similarity to the query (higher is closer).")
    metadata: dict[str, Any] = Field(default_factory=dict, description="Filterable fields.")


class KbStats(Frozen):
    """What the knowledge base holds."""

    benchmarks: int = Field(ge=0, description="Benchmark records indexed.")
    gpus: int = Field(ge=0, description="GPUs in the catalog.")
    models: int = Field(ge=0, description="Models in the catalog.")
    patterns: int = Field(ge=0, description="Deployment patterns indexed.")


class KnowledgeBase(Protocol):
    """Semantic search over deployment patterns and measured benchmark records."""

    def search(
        self,
        text: str,
        *,
        kinds: Sequence[Kind] = (),
        task: Task | None = None,
        gpu_family: GpuFamily | None = None,
        limit: int = 5,
    ) -> list[SearchHit]:
        """Closest patterns and measured configurations to ``text``, best first.

        Args:
            text: What is looked for, in plain words.
            kinds: Restrict to these kinds; all when empty.
            task: Only patterns for this task (records carry no task and are not filtered by it).
            gpu_family: Only items on this GPU family.
            limit: How many hits at most.

        Returns:
            Hits with their scores and metadata (benchmark hits list their ``record_ids``).
        """
        ...

    def upsert_records(self, records: Iterable[BenchmarkRecord]) -> int:
        """Index records (idempotent by id); returns how many were written."""
        ...

    def upsert_patterns(self, patterns: Iterable[DeploymentPattern]) -> int:
        """Index deployment patterns (idempotent by id).

        Args:
            patterns: The patterns.

        Returns:
            How many were written.
        """
        ...

    def stats(self) -> KbStats:
        """Counts of indexed records and patterns, and of catalog GPUs and models.

        Returns:
            The counts.
        """
        ...

    def optimize(self) -> None:
        """Make searches fast after a bulk write (index building); a no-op where the store
        does it on its own."""
        ...


def _tokens(value: float | None) -> str:
    return f"{value:.0f}" if value is not None else "dataset-defined"


def configuration_title(record: BenchmarkRecord) -> str:
    """One line describing a record's measured configuration.

    Args:
        record: The record.

    Returns:
        E.g. "Llama-2-70b-hf on 4x H100-SXM-80GB, fp8, trtllm, 2048→128 tokens, offline".
    """
    return (
        f"{record.model.split('/')[-1]} on {record.gpu_count}x {record.gpu}, {record.precision}, "
        f"{record.engine}, {_tokens(record.input_tokens)}→{_tokens(record.output_tokens)} tokens, "
        f"{record.load_type.value}"
    )


def record_text(record: BenchmarkRecord) -> str:
    """The text embedded for a record: its measured configuration in few words (no load numbers).

    Records of the same configuration at different loads share this text (and its vector); it
    is kept short because embedding time grows with its length.

    Args:
        record: The record.

    Returns:
        A short description.
    """
    tp = f" TP{record.tensor_parallel}" if record.tensor_parallel else ""
    return (
        f"{record.model.split('/')[-1]}, {record.engine}, {record.gpu_count}x {record.gpu}, "
        f"{record.precision}{tp}, {_tokens(record.input_tokens)} in "
        f"{_tokens(record.output_tokens)} out, {_LOAD_WORDS[record.load_type.value]}"
    )


_TASK_WORDS = {
    "chatbot": "a chatbot or conversational assistant",
    "rag": "retrieval-augmented generation (RAG), answering questions over documents",
    "summarization": "summarization of documents",
    "code_completion": "code completion, autocomplete in the editor",
    "code_generation": "code generation, a coding assistant",
    "extraction": "structured extraction of fields into JSON",
    "translation": "translation between languages",
    "agentic": "agents that call tools",
    "batch": "offline batch processing",
}


def record_embedding_text(record: BenchmarkRecord) -> str:
    """The text whose embedding stands for a record: its configuration without token shape.

    Token counts carry little meaning for a small sentence-embedding model, and leaving them out
    cuts the distinct texts to embed about fivefold (the build's main cost). Shapes still count
    in search through the stored text and metadata, which the lexical re-ranking reads.

    Args:
        record: The record.

    Returns:
        A short description.
    """
    tp = f" TP{record.tensor_parallel}" if record.tensor_parallel else ""
    return (
        f"{record.model.split('/')[-1]}, {record.engine}, {record.gpu_count}x {record.gpu} "
        f"({family_label(record.gpu)}), {record.precision}{tp}, "
        f"{_LOAD_WORDS[record.load_type.value]}"
    )


def pattern_text(pattern: DeploymentPattern, params_b: float | None = None) -> str:
    """The text embedded for a pattern: title, task, scale, model size and opening paragraph.

    Args:
        pattern: The pattern.
        params_b: The model's size in billions, spelled out because people ask for "a 70
            billion parameter model" rather than for a catalog id.

    Returns:
        A short description (MiniLM reads ~256 tokens).
    """
    opening = pattern.body.split("\n\n")[0]
    task = _TASK_WORDS.get(pattern.task.value, pattern.task.value.replace("_", " "))
    named = re.search(r"-(\d+(?:\.\d+)?)[bB](?:-|$)", pattern.model)
    billions = named.group(1) if named else f"{params_b:.0f}" if params_b else ""
    size = f" A {billions}B model ({billions} billion parameters)." if billions else ""
    return (
        f"{pattern.title}. Deployment pattern for {task}. Scale: {pattern.scale}.{size} "
        f"{pattern.model} on {pattern.gpu} ({family_label(pattern.gpu)}), {pattern.precision}. "
        f"{opening}"
    )


_STOPWORDS = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it")
)
_STOPWORDS |= {"of", "on", "or", "our", "per", "so", "that", "the", "this", "to", "we", "with"}


def terms(text: str) -> set[str]:
    """Lower-case word and number tokens of ``text`` without stop words (for lexical matching).

    Args:
        text: Any text.

    Returns:
        Its distinct terms.
    """
    return {
        t for t in re.findall(r"[a-z0-9][a-z0-9.]*[a-z0-9]|[a-z0-9]", text.lower())
    } - _STOPWORDS


def lexical_overlap(query_terms: set[str], text: str) -> float:
    """Weighted share of the query's terms that occur in ``text`` (0-1).

    Terms with digits (sizes such as "405b", GPU names such as "mi300x", "h100") weigh three
    times as much as words: they are what a small embedding model blurs most.

    Args:
        query_terms: Terms of the query (see :func:`terms`).
        text: The candidate's text.

    Returns:
        The weighted share; 0 for an empty query.
    """
    if not query_terms:
        return 0.0
    found = terms(text)
    weights = {term: 3.0 if any(c.isdigit() for c in term) else 1.0 for term in query_terms}
    return sum(w for term, w in weights.items() if term in found) / sum(weights.values())


def configuration_metadata(records: Sequence[BenchmarkRecord]) -> dict[str, Any]:
    """Filterable and displayable fields of one measured configuration (records sharing a text).

    Args:
        records: Records of one configuration (same model, GPU, precision, engine, TP, shape).

    Returns:
        Flat JSON-safe mapping; ``record_ids`` lists every record of the configuration.
    """
    first = records[0]
    ids = sorted({record.id for record in records})
    return {
        "ref_id": ids[0],
        "kind": "benchmark",
        "title": configuration_title(first),
        "model": first.model,
        "gpu": first.gpu,
        "gpu_family": family_label(first.gpu),
        "gpu_count": first.gpu_count,
        "precision": first.precision,
        "engine": first.engine,
        "tensor_parallel": first.tensor_parallel,
        "load_type": first.load_type.value,
        "input_tokens": first.input_tokens,
        "output_tokens": first.output_tokens,
        "source_id": first.provenance.source_id,
        "record_ids": ids,
        "n_records": len(ids),
    }


def pattern_metadata(pattern: DeploymentPattern) -> dict[str, Any]:
    """Filterable and displayable fields of a pattern.

    Args:
        pattern: The pattern.

    Returns:
        Flat JSON-safe mapping.
    """
    return {
        "ref_id": pattern.id,
        "kind": "pattern",
        "title": pattern.title,
        "task": pattern.task.value,
        "scale": pattern.scale,
        "model": pattern.model,
        "gpu": pattern.gpu,
        "gpu_family": family_label(pattern.gpu),
        "precision": pattern.precision,
        "tensor_parallel": pattern.tensor_parallel,
    }


LEXICAL_WEIGHT = 0.3
_INTERNAL_KEYS = {"_node_content", "_node_type", "doc_id", "document_id", "ref_doc_id", "kind"}


def blended_score(similarity: float, query_terms: set[str], text: str) -> float:
    """Similarity by meaning plus a bonus for the query's exact words found in ``text``.

    Sizes, GPU names and acronyms ("405", "MI300X", "JSON") are what a small embedding model
    blurs; the bonus lets them decide between candidates that mean about the same.

    Args:
        similarity: Cosine similarity of query and candidate.
        query_terms: Terms of the query (see :func:`terms`).
        text: The candidate's stored text and metadata.

    Returns:
        The blended score.
    """
    return float(similarity) + LEXICAL_WEIGHT * lexical_overlap(query_terms, text)


def hit_from_payload(kind: Kind, payload: dict[str, Any], score: float) -> SearchHit:
    """A search hit from a stored payload (storage-internal keys dropped).

    Args:
        kind: pattern or benchmark.
        payload: The stored metadata, with ``ref_id`` and ``title``.
        score: The hit's score.

    Returns:
        The hit.
    """
    meta = {k: v for k, v in payload.items() if k not in _INTERNAL_KEYS}
    return SearchHit(
        id=str(meta.pop("ref_id")),
        kind=kind,
        title=str(meta.pop("title", "")),
        score=round(float(score), 4),
        metadata=meta,
    )
