"""Read benchmark CSV files in the format of ``knowledge/data/README.md`` into records.

Each row is normalised (precision, engine, units are already ms and tokens/s in this format),
validated into a :class:`~domain.benchmarks.BenchmarkRecord` and given its content id and
provenance. A bad row is reported with its file, line and reason and skipped; the rest loads.
This module reads files only; it never writes the knowledge base.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import ValidationError

from domain.benchmarks import LoadType
from domain.catalog import GpuSpec
from domain.errors import InvalidInputError, UnknownNameError
from ingest.normalise import (
    build_record,
    normalise_engine,
    normalise_precision,
    provenance_from_notes,
)
from ingest.result import BadRow, ReadResult
from knowledge.catalog import load_gpus, resolve_gpu

REQUIRED_COLUMNS = ("model", "gpu", "gpu_count", "load_type")
_FLOAT_COLUMNS = (
    "params_b",
    "input_tokens",
    "output_tokens",
    "ttft_ms_p50",
    "ttft_ms_p95",
    "ttft_ms_p99",
    "ttft_ms_mean",
    "itl_ms_p50",
    "itl_ms_p95",
    "itl_ms_mean",
    "e2e_ms_p50",
    "e2e_ms_p95",
    "e2e_ms_mean",
    "output_tok_per_s",
    "total_tok_per_s",
    "req_per_s",
)
_UNBOUNDED = {"", "max", "max (infinite rate)", "inf", "infinite"}

Progress = Callable[[int], None]


def _number(row: Mapping[str, str], column: str) -> float | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidInputError(f"column {column}: not a number: {text!r}") from exc


def _whole(row: Mapping[str, str], column: str) -> int | None:
    value = _number(row, column)
    if value is not None and value != int(value):
        raise InvalidInputError(f"column {column}: not a whole number: {value}")
    return int(value) if value is not None else None


def _load_value(text: str) -> float | None:
    if text.strip().lower() in _UNBOUNDED:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidInputError(f"column load_value: not a number or 'max': {text!r}") from exc


def row_fields(row: Mapping[str, str], gpus: Mapping[str, GpuSpec]) -> dict[str, object]:
    """Normalised record fields of one CSV row (without id and provenance).

    Args:
        row: The row, column → cell text.
        gpus: The GPU catalog (the ``gpu`` cell must name one of its GPUs or families).

    Returns:
        Fields ready for :func:`ingest.normalise.build_record`.

    Raises:
        InvalidInputError: For a missing or malformed cell (UnknownNameError for a GPU).
    """
    missing = [column for column in REQUIRED_COLUMNS if not (row.get(column) or "").strip()]
    if missing:
        raise InvalidInputError(f"missing {', '.join(missing)}")
    notes = (row.get("notes") or "").strip()
    try:
        load_type = LoadType(row["load_type"].strip().lower())
    except ValueError as exc:
        raise InvalidInputError(
            f"load_type must be offline, concurrency or rate: {row['load_type']!r}"
        ) from exc
    fields: dict[str, object] = {name: _number(row, name) for name in _FLOAT_COLUMNS}
    fields |= {
        "model": row["model"].strip(),
        "precision": normalise_precision(row.get("precision") or "", notes),
        "precision_raw": (row.get("precision") or "").strip(),
        "engine": normalise_engine(row.get("engine") or "", notes),
        "engine_version": (row.get("engine_version") or "").strip(),
        "gpu": resolve_gpu(row["gpu"], gpus).name,
        "gpu_count": _whole(row, "gpu_count"),
        "tensor_parallel": _whole(row, "tensor_parallel"),
        "load_type": load_type,
        "load_value": _load_value(row.get("load_value") or ""),
        "notes": notes,
    }
    return fields


def read_benchmark_csv(
    path: Path,
    *,
    source_id: str | None = None,
    commits: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> ReadResult:
    """Read one benchmark CSV file.

    Args:
        path: The CSV file.
        source_id: Source id for rows whose ``source_id`` cell is empty (or for every row of a
            file without that column); defaults to the file's stem.
        commits: Source id → "repo@commit", as read from SOURCES.md.
        progress: Called with the number of rows read since the last call.

    Returns:
        The records (deduplicated by content) and the bad rows.

    Raises:
        InvalidInputError: When the file cannot be read or lacks the required columns.
    """
    gpus = load_gpus()
    result = ReadResult()
    seen: set[str] = set()
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            absent = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if absent:
                raise InvalidInputError(
                    f"{path}: not a benchmark CSV (missing columns {', '.join(absent)})",
                    hint="see knowledge/data/README.md for the columns",
                )
            for row in reader:
                _read_row(row, reader.line_num, path, source_id, commits or {}, gpus, result, seen)
                if progress is not None:
                    progress(1)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}") from exc
    return result


def _read_row(
    row: dict[str, str],
    line: int,
    path: Path,
    source_id: str | None,
    commits: Mapping[str, str],
    gpus: Mapping[str, GpuSpec],
    result: ReadResult,
    seen: set[str],
) -> None:
    source = (row.get("source_id") or "").strip() or source_id or path.stem
    try:
        fields = row_fields(row, gpus)
        provenance = provenance_from_notes(
            str(fields["notes"]), source_id=source, commits=commits, fallback_path=path.name
        )
        result.add(build_record(fields, source_id=source, provenance=provenance), seen)
    except UnknownNameError as exc:
        result.bad_rows.append(BadRow(str(path), line, str(exc)))
    except InvalidInputError as exc:
        result.bad_rows.append(BadRow(str(path), line, exc.message))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        result.bad_rows.append(BadRow(str(path), line, f"{where}: {first['msg']}"))
