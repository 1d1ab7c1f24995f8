"""The embedded knowledge base: Qdrant's own engine in-process (PyPI ``qdrant-edge-py``).

qdrant-client's local mode is a Python reimplementation meant for tests: it scores every point
and evaluates payload filters point by point, so a filtered search grows linearly with the data
(54 ms at 6k points, 1.2 s at 100k, issue 15). Qdrant Edge runs the server's segment engine
(payload indexes, HNSW after :meth:`EdgeKnowledgeBase.optimize`) inside this process, one
shard per folder: ``<path>/<collection>_patterns`` and ``<path>/<collection>_benchmarks``.
It stores the same points as :mod:`knowledge.qdrant_kb` (see :mod:`knowledge.kb_points`), so
the same contract tests run against both.

A shard folder is held by one process at a time (its write-ahead log is locked); a second
opener gets :class:`~domain.errors.BackendUnavailableError` naming the way out (a Qdrant server
for many replicas). This is the only module that imports ``qdrant_edge``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import qdrant_edge as qe

from domain.benchmarks import BenchmarkRecord, DeploymentPattern
from domain.errors import BackendUnavailableError
from domain.requirements import GpuFamily, Task
from knowledge.catalog import load_gpus, load_models
from knowledge.kb import KINDS, KbStats, Kind, SearchHit, blended_score, hit_from_payload, terms
from knowledge.kb_points import (
    CANDIDATE_FIELDS,
    RERANK,
    Item,
    candidate_words,
    item_point_id,
    pattern_items,
    record_items,
)

DIMENSIONS = 384
INDEXED_FIELDS = ("gpu_family", "task", "engine", "model", "load_type", "source_id")
"""Keyword payload indexes: the filters a search may apply run on these, not point by point."""
_BATCH = 1024
T = TypeVar("T")
Progress = Callable[[int], None]


class EdgeKnowledgeBase:
    """:class:`~knowledge.kb.KnowledgeBase` on Qdrant Edge shards in a local folder.

    Args:
        path: Folder holding the shards (created when missing).
        collection: Prefix of the two shard names.
        embedder: Embedding model with ``get_text_embedding_batch`` and
            ``get_query_embedding``; the bundled MiniLM is loaded on first use when None.
    """

    def __init__(
        self, *, path: Path, collection: str = "preflight", embedder: Any | None = None
    ) -> None:
        self._path = path
        self._dirs: dict[Kind, Path] = {kind: path / f"{collection}_{kind}s" for kind in KINDS}
        self._shards: dict[Kind, qe.EdgeShard] = {}
        self._embedder = embedder
        for kind in KINDS:
            if _has_segments(self._dirs[kind]):
                self._shards[kind] = self._open(kind, create=False)

    def __enter__(self) -> EdgeKnowledgeBase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush and release the shards (and their folder locks)."""
        for shard in self._shards.values():
            self._call("close", shard.flush)
            self._call("close", shard.close)
        self._shards.clear()

    def optimize(self) -> None:
        """Merge segments and build the vector index (HNSW) where they are large enough.

        Searches are correct without it; on large shards they are faster after it.
        """
        for shard in self._shards.values():
            self._call("optimize", shard.optimize)

    def _call(self, what: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except Exception as exc:  # qdrant_edge raises plain Exception only
            raise BackendUnavailableError(
                "Qdrant Edge", f"{what} failed at {self._path}: {exc}"
            ) from exc

    def _open(self, kind: Kind, *, create: bool) -> qe.EdgeShard:
        folder = self._dirs[kind]
        try:
            if not create:
                return qe.EdgeShard.load(str(folder))
            folder.mkdir(parents=True, exist_ok=True)
            config = qe.EdgeConfig(
                vectors=qe.EdgeVectorParams(size=DIMENSIONS, distance=qe.Distance.Cosine)
            )
            shard = qe.EdgeShard.create(str(folder), config)
        except Exception as exc:  # qdrant_edge raises plain Exception only
            in_use = "WouldBlock" in str(exc)
            detail = (
                f"local store {folder} is in use by another Preflight process; stop it, or "
                "point PREFLIGHT_KNOWLEDGE__QDRANT_URL at a Qdrant server for shared access"
                if in_use
                else f"cannot open {folder}: {exc}"
            )
            raise BackendUnavailableError("Qdrant Edge", detail) from exc
        for field in INDEXED_FIELDS:
            op = qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword)
            self._call("index", functools.partial(shard.update, op))
        return shard

    def _shard(self, kind: Kind) -> qe.EdgeShard:
        if kind not in self._shards:
            self._shards[kind] = self._open(kind, create=True)
        return self._shards[kind]

    def _embed_model(self) -> Any:
        if self._embedder is None:
            from knowledge.embedder import MiniLmEmbedding

            self._embedder = MiniLmEmbedding()
        return self._embedder

    def stats(self) -> KbStats:
        """See :meth:`knowledge.kb.KnowledgeBase.stats`."""
        patterns = self._shards.get("pattern")
        count = qe.CountRequest(exact=True)
        return KbStats(
            benchmarks=self._record_count(),
            gpus=len(load_gpus()),
            models=len(load_models()),
            patterns=self._call("count", lambda: patterns.count(count)) if patterns else 0,
        )

    def _record_count(self) -> int:
        shard = self._shards.get("benchmark")
        if shard is None:
            return 0
        total, offset = 0, None
        while True:
            request = qe.ScrollRequest(offset=offset, limit=4096, with_payload=["n_records"])
            points, offset = self._call("scroll", functools.partial(shard.scroll, request))
            total += sum(int((p.payload or {}).get("n_records", 1)) for p in points)
            if offset is None:
                return total

    def upsert_records(
        self, records: Iterable[BenchmarkRecord], progress: Progress | None = None
    ) -> int:
        """Index benchmark records, one point per measured configuration (idempotent).

        Args:
            records: The records.
            progress: Called with the number of records written after each batch.

        Returns:
            How many records were written.
        """
        items, written = record_items(records, self._known_record_ids)
        self._upsert("benchmark", items, progress)
        return written

    def _known_record_ids(self, point_ids: list[str]) -> dict[str, list[str]]:
        shard = self._shards.get("benchmark")
        if shard is None or not point_ids:
            return {}
        ids: list[int | UUID | str] = list(point_ids)
        found = self._call("retrieve", lambda: shard.retrieve(ids, ["record_ids"], False))
        return {str(p.id): list((p.payload or {}).get("record_ids", [])) for p in found}

    def upsert_patterns(self, patterns: Iterable[DeploymentPattern]) -> int:
        """See :meth:`knowledge.kb.KnowledgeBase.upsert_patterns`."""
        return self._upsert("pattern", pattern_items(patterns, load_models()), None)

    def _upsert(self, kind: Kind, items: list[Item], progress: Progress | None) -> int:
        if not items:
            return 0
        unique = list(dict.fromkeys(item[3] for item in items))
        embedded = self._embed_model().get_text_embedding_batch(unique)
        vectors = dict(zip(unique, embedded, strict=True))
        shard = self._shard(kind)
        for start in range(0, len(items), _BATCH):
            batch = items[start : start + _BATCH]
            points = [
                qe.Point(item_point_id(kind, item), vectors[item[3]], {**item[1], "text": item[0]})
                for item in batch
            ]
            operation = qe.UpdateOperation.upsert_points(points)
            self._call("upsert", functools.partial(shard.update, operation))
            if progress is not None:
                progress(sum(item[2] for item in batch))
        self._call("flush", shard.flush)
        return len(items)

    def search(
        self,
        text: str,
        *,
        kinds: Sequence[Kind] = (),
        task: Task | None = None,
        gpu_family: GpuFamily | None = None,
        limit: int = 5,
    ) -> list[SearchHit]:
        """See :meth:`knowledge.kb.KnowledgeBase.search`."""
        vector = self._embed_model().get_query_embedding(text)
        return self.search_vector(
            vector, terms(text), kinds=kinds, task=task, gpu_family=gpu_family, limit=limit
        )

    def search_vector(
        self,
        vector: list[float],
        query_terms: set[str],
        *,
        kinds: Sequence[Kind] = (),
        task: Task | None = None,
        gpu_family: GpuFamily | None = None,
        limit: int = 5,
    ) -> list[SearchHit]:
        """:meth:`search` for a query already embedded (the engine's side alone).

        Args:
            vector: The query's embedding.
            query_terms: The query's terms for the lexical bonus (see :func:`knowledge.kb.terms`).
            kinds: Restrict to these kinds; all when empty.
            task: Only patterns for this task.
            gpu_family: Only items on this GPU family.
            limit: How many hits at most.

        Returns:
            Hits, best first.
        """
        hits: list[SearchHit] = []
        for kind in kinds or KINDS:
            shard = self._shards.get(kind)
            if shard is None:
                continue
            wanted = {"gpu_family": gpu_family.value} if gpu_family else {}
            if task is not None and kind == "pattern":
                wanted["task"] = task.value
            conditions: list[Any] = [
                qe.FieldCondition(key=key, match=qe.MatchValue(value))
                for key, value in wanted.items()
            ]
            request = qe.QueryRequest(
                limit=max(limit * RERANK, 20),
                query=qe.Query.Nearest(vector),
                filter=qe.Filter(must=conditions) if conditions else None,
                with_payload=list(CANDIDATE_FIELDS) if kind == "benchmark" else True,
            )
            points = self._call("search", functools.partial(shard.query, request))
            hits += [_hit(kind, point, query_terms) for point in points]
        hits.sort(key=lambda hit: -hit.score)
        return hits[:limit]


def _has_segments(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def _hit(kind: Kind, point: Any, query_terms: set[str]) -> SearchHit:
    payload = dict(point.payload or {})
    if kind == "benchmark":
        words = candidate_words(payload)
    else:
        stored = str(payload.pop("text", ""))
        words = stored + " " + " ".join(str(value) for value in payload.values())
    payload.pop("text", None)
    return hit_from_payload(kind, payload, blended_score(point.score, query_terms, words))
