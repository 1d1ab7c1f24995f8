"""Read benchmark CSV files in the format of ``knowledge/data/README.md`` into records.

Each row is parsed by the one row reader, :func:`simulate.benchmark_rows.record_from_row`
(the same the simulator's CLI uses), against the GPU catalog. A bad row is reported with its
file, line and reason and skipped; the rest loads. This module reads files only; it never
writes the knowledge base.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import ValidationError

from domain.catalog import GpuSpec
from domain.errors import InvalidInputError, UnknownNameError
from ingest.result import BadRow, ReadResult
from knowledge.catalog import load_gpus, resolve_gpu
from simulate.benchmark_rows import REQUIRED_COLUMNS, record_from_row

Progress = Callable[[int], None]


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
    try:
        record = record_from_row(
            row,
            lambda name: resolve_gpu(name, gpus).name,
            source_id=source_id or path.stem,
            commits=commits,
            fallback_path=path.name,
        )
        result.add(record, seen)
    except UnknownNameError as exc:
        result.bad_rows.append(BadRow(str(path), line, str(exc)))
    except InvalidInputError as exc:
        result.bad_rows.append(BadRow(str(path), line, exc.message))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        result.bad_rows.append(BadRow(str(path), line, f"{where}: {first['msg']}"))
