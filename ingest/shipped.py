"""Rebuild ``knowledge/data/benchmarks.jsonl`` from the shipped benchmark CSV files.

The shipped files are ``benchmarks.csv`` (2023–2024 engines) and ``benchmarks_modern.csv``
(2025–2026 engines), in that order. Run ``python -m ingest.shipped`` after a CSV or its
SOURCES.md change. It reads with the same
reader as ``preflight ingest`` so shipped and ingested records are built alike.
"""

from __future__ import annotations

import sys

from ingest.csv_reader import read_benchmark_csv
from ingest.result import ReadResult
from ingest.sources import read_source_commits
from knowledge.catalog import data_path
from knowledge.records import SHIPPED_FILE, write_jsonl

SHIPPED_CSV_FILES = ("benchmarks.csv", "benchmarks_modern.csv")


def build_shipped() -> ReadResult:
    """Read the shipped CSV files with their SOURCES.md commits.

    Returns:
        The records (deduplicated by content id across the files) and any bad rows.
    """
    commits = read_source_commits(data_path("SOURCES.md"))
    result = ReadResult()
    seen: set[str] = set()
    for name in SHIPPED_CSV_FILES:
        part = read_benchmark_csv(data_path(name), commits=commits)
        for record in part.records:
            result.add(record, seen)
        result.bad_rows.extend(part.bad_rows)
    return result


def main() -> int:
    """Write the shipped JSON-lines file and report what was read.

    Returns:
        Process exit code (1 when a row was bad).
    """
    result = build_shipped()
    written = write_jsonl(data_path(SHIPPED_FILE), result.records)
    print(f"wrote {written} records to {data_path(SHIPPED_FILE)}")
    for bad in result.bad_rows:
        print(f"skipped {bad}", file=sys.stderr)
    return 1 if result.bad_rows else 0


if __name__ == "__main__":
    raise SystemExit(main())
