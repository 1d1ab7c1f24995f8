"""The measured benchmark records: the ones shipped with Preflight and the ones ingested later.

``knowledge/data/benchmarks.jsonl`` is built from ``benchmarks.csv`` by the ingest reader
(``python -m ingest.shipped``); every record carries its provenance. Records added by
``preflight ingest`` live in ``<data_dir>/ingested_records.jsonl``. Loading is plain JSON and
pydantic, cached per process: no embeddings, no Qdrant. This module never reads the environment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from pydantic import ValidationError

from domain.benchmarks import BenchmarkRecord
from domain.errors import InvalidInputError
from knowledge.catalog import data_path

SHIPPED_FILE = "benchmarks.jsonl"
INGESTED_FILE = "ingested_records.jsonl"


def ingested_path(data_dir: Path) -> Path:
    """Where records added by ``preflight ingest`` are kept.

    Args:
        data_dir: Preflight's local data folder (settings.data_dir).

    Returns:
        The JSON-lines file.
    """
    return data_dir / INGESTED_FILE


def read_jsonl(path: Path) -> list[BenchmarkRecord]:
    """Read records from a JSON-lines file.

    Args:
        path: One record per line.

    Returns:
        The records, in file order.

    Raises:
        InvalidInputError: When a line is not a valid record (file and line named).
    """
    records = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                records.append(BenchmarkRecord.model_validate_json(line))
            except ValidationError as exc:
                raise InvalidInputError(f"{path}:{line_no}: not a benchmark record: {exc}") from exc
    return records


def write_jsonl(path: Path, records: Iterable[BenchmarkRecord]) -> int:
    """Write records as JSON lines (fields left at their defaults are omitted).

    Args:
        path: The file to (over)write.
        records: The records.

    Returns:
        How many were written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(record.model_dump_json(exclude_defaults=True) + "\n")
            count += 1
    return count


@cache
def _shipped() -> tuple[BenchmarkRecord, ...]:
    return tuple(read_jsonl(data_path(SHIPPED_FILE)))


def load_records(data_dir: Path | None = None) -> list[BenchmarkRecord]:
    """All measured records: the shipped ones, then any ingested into ``data_dir``.

    Args:
        data_dir: Preflight's local data folder; None loads the shipped records only.

    Returns:
        The records, unique by id (a shipped record wins over an ingested copy).
    """
    records = list(_shipped())
    if data_dir is not None and ingested_path(data_dir).exists():
        seen = {record.id for record in records}
        records += [r for r in read_jsonl(ingested_path(data_dir)) if r.id not in seen]
    return records


def add_ingested(data_dir: Path, records: Iterable[BenchmarkRecord]) -> int:
    """Add records to the local store, skipping ids already known (re-ingest changes nothing).

    Args:
        data_dir: Preflight's local data folder.
        records: New records.

    Returns:
        How many were new.
    """
    known = {record.id for record in load_records(data_dir)}
    path = ingested_path(data_dir)
    existing = read_jsonl(path) if path.exists() else []
    fresh = []
    for record in records:
        if record.id not in known:
            known.add(record.id)
            fresh.append(record)
    if fresh:
        write_jsonl(path, [*existing, *fresh])
    return len(fresh)


def records_version(records: Sequence[BenchmarkRecord]) -> str:
    """A short digest naming a set of records (their ids), for "what did this answer read".

    Args:
        records: The records.

    Returns:
        ``kb-`` and 12 hex digits.
    """
    digest = hashlib.sha256("\n".join(sorted(r.id for r in records)).encode()).hexdigest()
    return f"kb-{digest[:12]}"
