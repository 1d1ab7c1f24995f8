"""Open and build the knowledge base from the shipped and ingested data, and remember the build.

:func:`open_knowledge_base` picks the implementation: Qdrant Edge in ``<data dir>/kb`` (the
embedded default) or a Qdrant server when a URL is configured. A small marker file next to the
local store records a fingerprint of the data it was built from
(file sizes and names, no parsing), so ``preflight kb build --if-missing`` returns at once when
nothing changed. This module only orchestrates a :class:`~knowledge.kb.KnowledgeBase`; it
imports no SDK (the adapters are imported when opened).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from domain.benchmarks import BenchmarkRecord
from knowledge.catalog import data_path
from knowledge.kb import KnowledgeBase
from knowledge.patterns import PATTERN_DIR, load_patterns
from knowledge.records import SHIPPED_FILE, ingested_path, load_records

if TYPE_CHECKING:
    from knowledge.edge_kb import EdgeKnowledgeBase
    from knowledge.qdrant_kb import QdrantKnowledgeBase

MARKER = "preflight-kb-built.json"
STORE_DIR = "kb"


def store_path(data_dir: Path) -> Path:
    """The folder of the embedded (Qdrant Edge) store.

    Args:
        data_dir: Preflight's local data folder.

    Returns:
        ``<data_dir>/kb``.
    """
    return data_dir / STORE_DIR


def open_knowledge_base(
    *,
    data_dir: Path,
    url: str | None = None,
    api_key: str | None = None,
    collection: str = "preflight",
    embedder: object | None = None,
) -> EdgeKnowledgeBase | QdrantKnowledgeBase:
    """The knowledge base the settings ask for: a Qdrant server when ``url`` is set, else
    Qdrant Edge in ``<data_dir>/kb``.

    Args:
        data_dir: Preflight's local data folder.
        url: Qdrant server URL (shared by many replicas); None for the embedded store.
        api_key: Qdrant API key for a server.
        collection: Prefix of the collection (or shard) names.
        embedder: An embedding model already loaded; the bundled MiniLM when None.

    Returns:
        An open knowledge base (a context manager; close it to release the folder lock).

    Raises:
        BackendUnavailableError: When the store cannot be opened (in use, unreachable).
    """
    if url:
        from knowledge.qdrant_kb import QdrantKnowledgeBase

        return QdrantKnowledgeBase(
            url=url,
            api_key=api_key,
            collection=collection,
            embedder=embedder,  # type: ignore[arg-type]
        )
    from knowledge.edge_kb import EdgeKnowledgeBase

    return EdgeKnowledgeBase(path=store_path(data_dir), collection=collection, embedder=embedder)


class _RecordSink(Protocol):
    def __call__(
        self, records: list[BenchmarkRecord], progress: Callable[[int], None] | None
    ) -> int: ...


@dataclass(frozen=True)
class BuildReport:
    """What a build indexed and how long it took."""

    benchmarks: int
    patterns: int
    seconds: float


def fingerprint(data_dir: Path) -> str:
    """A digest of the files the knowledge base is built from (names and sizes).

    Args:
        data_dir: Preflight's local data folder (for ingested records).

    Returns:
        Hex digest.
    """
    files = [data_path(SHIPPED_FILE), ingested_path(data_dir)]
    files += sorted(data_path(PATTERN_DIR).glob("*.md"))
    digest = hashlib.sha256()
    for path in files:
        size = path.stat().st_size if path.exists() else -1
        digest.update(f"{path.name}:{size};".encode())
    return digest.hexdigest()[:20]


def marker_path(data_dir: Path, collection: str) -> Path:
    """Where the built-marker of a collection lives.

    Args:
        data_dir: Preflight's local data folder.
        collection: Collection prefix.

    Returns:
        The marker file path.
    """
    return store_path(data_dir) / f"{collection}-{MARKER}"


def is_built(data_dir: Path, collection: str) -> bool:
    """Whether the local store was built from the current data.

    Args:
        data_dir: Preflight's local data folder.
        collection: Collection prefix.

    Returns:
        True when the marker exists and matches the data's fingerprint.
    """
    return built_from(store_path(data_dir), data_dir, collection)


def built_from(store: Path, data_dir: Path, collection: str) -> bool:
    """Whether the store in ``store`` (anywhere, e.g. an unpacked seed) was built from the data
    of ``data_dir``.

    Args:
        store: A store folder (``<some data dir>/kb``).
        data_dir: Preflight's local data folder whose data the store must match.
        collection: Collection prefix.

    Returns:
        True when the store's marker matches the data's fingerprint.
    """
    path = store / f"{collection}-{MARKER}"
    if not path.exists():
        return False
    try:
        return bool(json.loads(path.read_text())["fingerprint"] == fingerprint(data_dir))
    except (OSError, ValueError, KeyError):
        return False


def build(
    kb: KnowledgeBase,
    *,
    data_dir: Path,
    collection: str,
    upsert_records: _RecordSink | None = None,
    progress: Callable[[int], None] | None = None,
) -> BuildReport:
    """Index every pattern and record (shipped and ingested) and write the marker.

    Args:
        kb: The knowledge base.
        data_dir: Preflight's local data folder.
        collection: Collection prefix (names the marker).
        upsert_records: A record writer that reports progress (the KB's own when it has one).
        progress: Called with records written per batch.

    Returns:
        Counts and seconds taken.
    """
    started = time.perf_counter()
    patterns = kb.upsert_patterns(load_patterns())
    records = load_records(data_dir)
    written = upsert_records(records, progress) if upsert_records else kb.upsert_records(records)
    kb.optimize()
    mark_built(data_dir, collection)
    return BuildReport(written, patterns, time.perf_counter() - started)


def mark_built(data_dir: Path, collection: str) -> None:
    """Record that the local store now holds the current data (after a build or an ingest).

    Args:
        data_dir: Preflight's local data folder.
        collection: Collection prefix.
    """
    path = marker_path(data_dir, collection)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fingerprint": fingerprint(data_dir)}))
