"""The benchmark CSV reader: normalisation, bad rows, idempotent ids, the shipped file."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import InvalidInputError
from ingest.csv_reader import read_benchmark_csv
from ingest.shipped import build_shipped
from knowledge.records import load_records

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ingest" / "bench_rows.csv"


def test_good_rows_load_and_bad_rows_are_reported_with_file_line_and_reason() -> None:
    result = read_benchmark_csv(FIXTURE)
    assert len(result.records) == 3
    reasons = {bad.line: bad.reason for bad in result.bad_rows}
    assert set(reasons) == {4, 5, 6}
    assert "load_value" in reasons[4]
    assert "Z9000" in reasons[5]
    assert "gpu_count" in reasons[6]
    assert all(bad.file == str(FIXTURE) for bad in result.bad_rows)


def test_rows_are_normalised() -> None:
    first, second, third = read_benchmark_csv(FIXTURE).records
    assert (first.engine, first.precision, first.gpu) == ("vllm", "bf16", "H100-SXM-80GB")
    assert (second.engine, second.precision, second.precision_raw) == (
        "trtllm",
        "fp16",
        "fp16 (mixed)",
    )
    assert third.flagged and third.precision == "fp16"
    assert third.provenance.source_path == "runs/a100-c16.json"
    assert first.provenance.source_id == "team_lab"


def test_reading_twice_gives_the_same_ids() -> None:
    first = [r.id for r in read_benchmark_csv(FIXTURE).records]
    assert first == [r.id for r in read_benchmark_csv(FIXTURE).records]


def test_duplicate_rows_are_kept_once(tmp_path: Path) -> None:
    lines = FIXTURE.read_text().splitlines()
    doubled = tmp_path / "doubled.csv"
    doubled.write_text("\n".join([lines[0], lines[1], lines[1]]) + "\n")
    result = read_benchmark_csv(doubled)
    assert (len(result.records), result.duplicates) == (1, 1)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("a,b\n1,2\n", id="wrong-columns"),
        pytest.param("", id="empty"),
    ],
)
def test_a_file_that_is_not_a_benchmark_csv_is_rejected(tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(InvalidInputError):
        read_benchmark_csv(path)


def test_the_shipped_jsonl_is_what_the_reader_makes_of_the_shipped_csv() -> None:
    result = build_shipped()
    assert result.bad_rows == []
    assert result.records == load_records()
