"""The knowledge base on Qdrant through LlamaIndex: a Qdrant server, or qdrant-client local mode.

With ``PREFLIGHT_KNOWLEDGE__QDRANT_URL`` set, many Preflight replicas share one index here. The
embedded default is :mod:`knowledge.edge_kb`; local mode stays for tests that want the client's
own code path without a server.

Patterns and benchmark records live in two collections (``<name>_patterns`` and
``<name>_benchmarks``) so that a pattern search never scans thousands of records. Benchmark
records are indexed one point per measured configuration (model, engine, GPU, precision, TP,
token shape, load kind): the records of a configuration differ only in offered load, share one
embedded text, and are listed in the point's ``record_ids``. That keeps the build within the
embedding budget of a small CPU and searches fast in local mode, which evaluates filters in
Python point by point (so there filters are applied to an over-fetched nearest set first).

This is the only module that imports qdrant-client and LlamaIndex's vector store; library
errors leave it as :class:`~domain.errors.BackendUnavailableError`.
"""

from __future__ import annotations

import contextlib
import functools
import io
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from llama_index.core import Settings
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import BaseNode, TextNode
from llama_index.core.vector_stores.types import (
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
)
from llama_index.vector_stores.qdrant import QdrantVectorStore
from qdrant_client import QdrantClient
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse
from qdrant_client.models import FieldCondition, Filter, MatchValue

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

_QDRANT_ERRORS = (ResponseHandlingException, UnexpectedResponse, ValueError, OSError)
_BATCH = 512
_OVERFETCH = 5
Progress = Callable[[int], None]


def _open_client(path: Path | None, url: str | None, api_key: str | None) -> QdrantClient:
    try:
        if url:
            return QdrantClient(url=url, api_key=api_key, timeout=10, check_compatibility=False)
        target = path or Path(".preflight/qdrant")
        target.mkdir(parents=True, exist_ok=True)
        return QdrantClient(path=str(target))
    except RuntimeError as exc:  # local mode: the folder is locked by another client
        raise BackendUnavailableError(
            "Qdrant",
            f"local store {path} is in use by another Preflight process ({exc}); stop it, or "
            "point PREFLIGHT_KNOWLEDGE__QDRANT_URL at a Qdrant server for shared access",
        ) from exc
    except _QDRANT_ERRORS as exc:
        raise BackendUnavailableError("Qdrant", f"cannot open {url or path}: {exc}") from exc


class QdrantKnowledgeBase:
    """:class:`~knowledge.kb.KnowledgeBase` over Qdrant (local folder or server URL).

    Args:
        path: Local-mode storage folder (ignored when ``url`` is given).
        url: Qdrant server URL; None uses local mode.
        api_key: Qdrant API key for a server.
        collection: Prefix of the two collection names.
        embedder: Embedding model; the bundled MiniLM is loaded on first use when None.
    """

    def __init__(
        self,
        *,
        path: Path | None = None,
        url: str | None = None,
        api_key: str | None = None,
        collection: str = "preflight",
        embedder: BaseEmbedding | None = None,
    ) -> None:
        with contextlib.redirect_stdout(io.StringIO()):  # LlamaIndex prints a notice here
            Settings.llm = None
        self._where = url or str(path)
        self._client = _open_client(path, url, api_key)
        self._names: dict[Kind, str] = {kind: f"{collection}_{kind}s" for kind in KINDS}
        self._embedder = embedder
        self._stores: dict[Kind, QdrantVectorStore] = {}
        self._local = not url

    def __enter__(self) -> QdrantKnowledgeBase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the client (and the local-mode folder lock)."""
        self._client.close()

    def optimize(self) -> None:
        """Nothing to do: a Qdrant server builds its indexes itself (local mode has none)."""

    def _embed_model(self) -> BaseEmbedding:
        if self._embedder is None:
            from knowledge.embedder import MiniLmEmbedding

            self._embedder = MiniLmEmbedding()
        return self._embedder

    def _store(self, kind: Kind) -> QdrantVectorStore:
        if kind not in self._stores:
            self._stores[kind] = QdrantVectorStore(
                collection_name=self._names[kind], client=self._client, batch_size=_BATCH
            )
        return self._stores[kind]

    def _add(self, store: QdrantVectorStore, nodes: Sequence[BaseNode]) -> None:
        with warnings.catch_warnings():
            # Local mode warns that payload indexes (which LlamaIndex creates) have no effect.
            warnings.simplefilter("ignore", UserWarning)
            store.add(list(nodes))

    def _call(self, what: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except _QDRANT_ERRORS as exc:
            raise BackendUnavailableError(
                "Qdrant", f"{what} failed at {self._where}: {exc}"
            ) from exc
        except RuntimeError as exc:
            raise BackendUnavailableError("Qdrant", f"{what}: {exc}") from exc

    def _exists(self, kind: Kind) -> bool:
        return bool(self._call("check", lambda: self._client.collection_exists(self._names[kind])))

    def _points(self, kind: Kind) -> int:
        if not self._exists(kind):
            return 0
        count = self._client.count(collection_name=self._names[kind], exact=True)
        return int(self._call("count", lambda: count.count))

    def _record_count(self) -> int:
        """Records indexed: each benchmark point carries the ids of its configuration's records."""
        if not self._exists("benchmark"):
            return 0
        total, offset = 0, None
        while True:
            points, offset = self._call(
                "scroll",
                functools.partial(
                    self._client.scroll,
                    self._names["benchmark"],
                    limit=2048,
                    offset=offset,
                    with_payload=["n_records"],
                ),
            )
            total += sum(int((point.payload or {}).get("n_records", 1)) for point in points)
            if offset is None:
                return total

    def stats(self) -> KbStats:
        """See :meth:`knowledge.kb.KnowledgeBase.stats`."""
        return KbStats(
            benchmarks=self._record_count(),
            gpus=len(load_gpus()),
            models=len(load_models()),
            patterns=self._points("pattern"),
        )

    def upsert_records(
        self, records: Iterable[BenchmarkRecord], progress: Progress | None = None
    ) -> int:
        """Index benchmark records, one point per measured configuration (idempotent).

        Records that share a configuration text share one point, whose payload lists their ids;
        ids already on a point are kept, so ingesting more runs of a configuration adds to it.

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
        if not point_ids or not self._exists("benchmark"):
            return {}
        points = self._call(
            "retrieve",
            lambda: self._client.retrieve(
                self._names["benchmark"], ids=point_ids, with_payload=["record_ids"]
            ),
        )
        return {
            str(point.id): list((point.payload or {}).get("record_ids", [])) for point in points
        }

    def upsert_patterns(self, patterns: Iterable[DeploymentPattern]) -> int:
        """See :meth:`knowledge.kb.KnowledgeBase.upsert_patterns`."""
        return self._upsert("pattern", pattern_items(patterns, load_models()), None)

    def _upsert(self, kind: Kind, items: list[Item], progress: Progress | None) -> int:
        """Write nodes; each item is (stored text, metadata, records it stands for, text to embed).

        Distinct texts to embed are embedded once and their vectors shared.
        """
        if not items:
            return 0
        unique = list(dict.fromkeys(item[3] for item in items))
        vectors = dict(
            zip(unique, self._embed_model().get_text_embedding_batch(unique), strict=True)
        )
        store = self._store(kind)
        for start in range(0, len(items), _BATCH):
            batch = items[start : start + _BATCH]
            nodes = [
                TextNode(
                    id_=item_point_id(kind, (text, meta, 0, embed_text)),
                    text=text,
                    metadata=meta,
                    embedding=vectors[embed_text],
                    excluded_embed_metadata_keys=list(meta),
                    excluded_llm_metadata_keys=list(meta),
                )
                for text, meta, _, embed_text in batch
            ]
            self._call("upsert", functools.partial(self._add, store, nodes))
            if progress is not None:
                progress(sum(item[2] for item in batch))
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
        query_terms = terms(text)
        hits: list[SearchHit] = []
        for kind in kinds or KINDS:
            if not self._exists(kind):
                continue
            wanted = {"gpu_family": gpu_family.value} if gpu_family else {}
            if kind == "benchmark":
                hits += self._benchmark_hits(vector, wanted, limit, query_terms)
                continue
            if task is not None:
                wanted["task"] = task.value
            nodes = self._query(kind, vector, wanted, max(limit * RERANK, 20))
            hits += [_hit(kind, node, score, query_terms) for node, score in nodes]
        hits.sort(key=lambda hit: -hit.score)
        return hits[:limit]

    def _benchmark_hits(
        self, vector: list[float], wanted: dict[str, str], limit: int, query_terms: set[str]
    ) -> list[SearchHit]:
        """Nearest measured configurations, read in two steps to stay fast in local mode.

        Candidates come back with their metadata but without LlamaIndex's serialised node (local
        mode deep-copies every returned payload); they are filtered and re-ranked here.
        """
        fetch = max(limit * RERANK, 20)
        points = self._candidates(vector, wanted, fetch, limit)
        ranked = sorted(
            points,
            key=lambda p: -blended_score(p.score, query_terms, _words(p)),
        )[:limit]
        return [
            hit_from_payload(
                "benchmark", p.payload or {}, blended_score(p.score, query_terms, _words(p))
            )
            for p in ranked
        ]

    def _candidates(
        self, vector: list[float], wanted: dict[str, str], fetch: int, enough: int
    ) -> list[Any]:
        name = self._names["benchmark"]

        def query(limit: int, native: bool) -> list[Any]:
            condition = Filter(
                must=[FieldCondition(key=k, match=MatchValue(value=v)) for k, v in wanted.items()]
            )
            search = functools.partial(
                self._client.query_points,
                name,
                query=vector,
                limit=limit,
                with_payload=list(CANDIDATE_FIELDS),
                query_filter=condition if native and wanted else None,
            )
            return list(self._call("search", search).points)

        if not wanted or not self._local:
            return query(fetch, native=True)
        nearest = query(fetch * _OVERFETCH, native=False)
        kept = [p for p in nearest if all((p.payload or {}).get(k) == v for k, v in wanted.items())]
        if len(kept) >= enough or len(nearest) < fetch * _OVERFETCH:
            return kept[:fetch]
        return query(fetch, native=True)  # rare values: let Qdrant scan with the filter

    def _query(
        self, kind: Kind, vector: list[float], wanted: dict[str, str], limit: int
    ) -> list[tuple[BaseNode, float]]:
        """Nearest nodes matching ``wanted``.

        Qdrant local mode evaluates payload filters in Python over every point, so there the
        nearest ``_OVERFETCH × limit`` points are fetched unfiltered and filtered here; only when
        too few match is the (slow) filtered query run. A server gets the filter directly.
        """
        store = self._store(kind)
        if wanted and self._local:
            fetch = max(limit * _OVERFETCH, 50)
            nodes = self._run(
                store, VectorStoreQuery(query_embedding=vector, similarity_top_k=fetch)
            )
            kept = [
                (n, s) for n, s in nodes if all(n.metadata.get(k) == v for k, v in wanted.items())
            ]
            if len(kept) >= limit or len(nodes) < fetch:
                return kept[:limit]
        filters = MetadataFilters(
            filters=[MetadataFilter(key=k, value=v) for k, v in wanted.items()]
        )
        query = VectorStoreQuery(
            query_embedding=vector, similarity_top_k=limit, filters=filters if wanted else None
        )
        return self._run(store, query)

    def _run(
        self, store: QdrantVectorStore, query: VectorStoreQuery
    ) -> list[tuple[BaseNode, float]]:
        result = self._call("search", lambda: store.query(query))
        return list(zip(result.nodes or [], result.similarities or [], strict=False))


def _words(point: Any) -> str:
    return candidate_words(point.payload or {})


def _hit(kind: Kind, node: BaseNode, score: float, query_terms: set[str]) -> SearchHit:
    meta = dict(node.metadata)
    text = node.get_content() + " " + " ".join(str(value) for value in meta.values())
    return hit_from_payload(kind, meta, blended_score(score, query_terms, text))
