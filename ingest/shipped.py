"""Rebuild ``knowledge/data/benchmarks.jsonl`` from ``knowledge/data/benchmarks.csv``.

Run ``python -m ingest.shipped`` after the CSV or its SOURCES.md change. It reads with the same
reader as ``preflight ingest`` so shipped and ingested records are built alike.
"""

from __future__ import annotations

import sys

from ingest.csv_reader import read_benchmark_csv
from ingest.result import ReadResult
from ingest.sources import read_source_commits
from knowledge.catalog import data_path
from knowledge.records import SHIPPED_FILE, write_jsonl


def build_shipped() -> ReadResult:
    """Read the shipped CSV with its SOURCES.md commits.

    Returns:
        The records and any bad rows.
    """
    commits = read_source_commits(data_path("SOURCES.md"))
    return read_benchmark_csv(data_path("benchmarks.csv"), commits=commits)


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
