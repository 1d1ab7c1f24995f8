"""What every knowledge-base implementation stores per point: ids, texts, payloads, re-ranking.

Both stores (:mod:`knowledge.edge_kb`, the embedded default, and :mod:`knowledge.qdrant_kb`,
for a Qdrant server) index the same points so they answer the same searches: one point per
deployment pattern, and one per measured configuration (the records of a configuration differ
only in offered load and are listed in its ``record_ids``). Hits are re-ranked the same way:
similarity by meaning plus a bonus for the query's exact words. This module imports no SDK.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from domain.benchmarks import BenchmarkRecord, DeploymentPattern
from domain.catalog import ModelSpec
from knowledge.kb import (
    configuration_metadata,
    pattern_metadata,
    pattern_text,
    record_embedding_text,
    record_text,
)

Item = tuple[str, dict[str, Any], int, str]
"""(stored text, payload, records it stands for, text to embed)."""

CANDIDATE_FIELDS = (
    "ref_id",
    "title",
    "model",
    "gpu",
    "gpu_family",
    "gpu_count",
    "precision",
    "engine",
    "tensor_parallel",
    "load_type",
    "input_tokens",
    "output_tokens",
    "source_id",
    "record_ids",
    "n_records",
)
"""Payload fields a benchmark hit carries back (the serialised node is left in the store)."""

RERANK = 4
"""Candidates fetched per wanted hit, for the lexical bonus to reorder."""


def point_id(kind: str, key: str) -> str:
    """The stable point id of a pattern (by its id) or a configuration (by its text).

    Args:
        kind: pattern or benchmark.
        key: Pattern id, or the configuration's stored text.

    Returns:
        A UUID string (both Qdrant engines accept it).
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"preflight:{kind}:{key}"))


def record_items(
    records: Iterable[BenchmarkRecord],
    known: Callable[[list[str]], Mapping[str, list[str]]],
) -> tuple[list[Item], int]:
    """Group records into one item per measured configuration.

    Args:
        records: Records to index.
        known: Record ids already stored on the given point ids (kept: ingesting more runs
            of a configuration adds to its point).

    Returns:
        The items and how many records they stand for.
    """
    groups: dict[str, list[BenchmarkRecord]] = {}
    for record in records:
        groups.setdefault(record_text(record), []).append(record)
    stored = known([point_id("benchmark", text) for text in groups])
    items: list[Item] = []
    for text, members in groups.items():
        metadata = configuration_metadata(members)
        ids = sorted(set(metadata["record_ids"]) | set(stored.get(point_id("benchmark", text), [])))
        metadata |= {"record_ids": ids, "n_records": len(ids)}
        items.append((text, metadata, len(members), record_embedding_text(members[0])))
    return items, sum(len(members) for members in groups.values())


def pattern_items(
    patterns: Iterable[DeploymentPattern], models: Mapping[str, ModelSpec]
) -> list[Item]:
    """One item per deployment pattern (its text names the model's size).

    Args:
        patterns: The patterns.
        models: The model catalog.

    Returns:
        The items.
    """
    items: list[Item] = []
    for pattern in patterns:
        size = models[pattern.model].params_b if pattern.model in models else None
        text = pattern_text(pattern, size)
        items.append((text, pattern_metadata(pattern), 1, text))
    return items


def item_point_id(kind: str, item: Item) -> str:
    """The point id of an item.

    Args:
        kind: pattern or benchmark.
        item: The item.

    Returns:
        Its point id.
    """
    text, meta, _, _ = item
    return point_id(kind, text if kind == "benchmark" else str(meta["ref_id"]))


def candidate_words(payload: Mapping[str, Any]) -> str:
    """The words of a benchmark payload the lexical bonus reads.

    Args:
        payload: A benchmark point's payload.

    Returns:
        Its displayable fields joined.
    """
    return " ".join(str(payload.get(key, "")) for key in CANDIDATE_FIELDS[:-2])
