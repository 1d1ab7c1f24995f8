"""Shipped and ingested benchmark records."""

from __future__ import annotations

from pathlib import Path

from knowledge.records import add_ingested, ingested_path, load_records


def test_every_shipped_row_is_a_record_with_provenance() -> None:
    records = load_records()
    assert len(records) == 6388 + 1956  # benchmarks.csv + benchmarks_modern.csv
    assert len({record.id for record in records}) == len(records)
    assert all(r.provenance.source_id and r.provenance.source_path for r in records)
    assert sum(record.flagged for record in records) == 18 + 84


def test_shipped_records_keep_the_source_commit() -> None:
    commits = {
        r.provenance.commit for r in load_records() if r.provenance.source_id.startswith("mlperf")
    }
    assert commits == {"mlcommons/inference_results_v4.1@198fc46799b3328b36ee4bcbdebfa2db5a8e6183"}
    modern = {
        r.provenance.commit for r in load_records() if r.provenance.source_id == "gpustack_perf_lab"
    }
    assert modern == {"gpustack/gpustack@47277d79f4a5bae12a2d25e9ecbed2a2177a5f2d"}


def test_ingested_records_are_added_once(tmp_path: Path) -> None:
    shipped = load_records()
    copy = shipped[0].model_copy(update={"id": "bm-test0000000001", "notes": "src=x"})
    assert add_ingested(tmp_path, [copy, shipped[1]]) == 1
    assert add_ingested(tmp_path, [copy]) == 0
    assert ingested_path(tmp_path).read_text().count("\n") == 1
    assert len(load_records(tmp_path)) == len(shipped) + 1
