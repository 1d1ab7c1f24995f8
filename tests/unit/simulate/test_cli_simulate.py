"""``preflight simulate``: predict and validate on a small CSV, run one configuration."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.cli.simulate_commands import PRED_COLUMNS
from domain.benchmarks import BenchmarkRecord
from tests.unit.simulate.test_rows import make_row

runner = CliRunner()


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    rows = [
        make_row(load_value="1", e2e_ms_p50="1653.03", output_tok_per_s="77.43"),
        make_row(load_value="64", e2e_ms_p50="3330.41", output_tok_per_s="2459.75"),
        make_row(model="tiiuae/falcon-180B"),
        make_row(
            engine="trtllm",
            gpu="H100-SXM-80GB",
            load_type="concurrency",
            load_value="8",
            ttft_ms_mean="40",
            ttft_ms_p95="60",
            itl_ms_mean="8",
            itl_ms_p95="9",
            e2e_ms_p50="",
            e2e_ms_mean="1100",
            output_tok_per_s="900",
        ),
    ]
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_predict_writes_every_row_with_predictions_or_a_reason(
    small_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["simulate", "predict", str(small_csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        assert list(reader.fieldnames or [])[-len(PRED_COLUMNS) :] == list(PRED_COLUMNS)
    assert len(rows) == 4
    assert float(rows[0]["pred_e2e_ms_p50"]) > 0 and float(rows[1]["pred_output_tok_per_s"]) > 0
    assert float(rows[1]["pred_output_tok_per_s"]) > float(rows[0]["pred_output_tok_per_s"])
    assert rows[2]["pred_e2e_ms_p50"] == "" and "model not in catalog" in rows[2]["pred_note"]
    assert float(rows[3]["pred_ttft_ms_p95"]) >= float(rows[3]["pred_ttft_ms_p50"]) > 0
    assert rows[0]["e2e_ms_p50"] == "1653.03"  # the input columns are kept as they were


def test_validate_json_reports_error_and_coverage(small_csv: Path) -> None:
    result = runner.invoke(app, ["simulate", "validate", str(small_csv), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"] == 4 and report["in_catalog"] == 3 and report["predicted"] == 3
    metrics = {s["metric"]: s for s in report["overall"]}
    assert metrics["e2e_p50"]["rows"] == 3 and metrics["ttft_p95"]["rows"] == 1
    assert report["skipped"] == {"model not in catalog: tiiuae/falcon-180B": 1}
    assert "test_source × A100-SXM-40GB" in report["groups"]


def test_run_prints_an_estimate_as_json() -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "run",
            "--model",
            "meta-llama/Llama-3.1-8B",
            "--gpu",
            "H100",
            "--precision",
            "fp8",
            "--input-tokens",
            "500",
            "--output-tokens",
            "100",
            "--rate",
            "2",
            "--analytical",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["memory"]["fits"] is True
    assert payload["estimate"]["method"] == "analytical"
    assert payload["estimate"]["req_per_s"] == pytest.approx(2.0)


def _run_json(*extra: str, gpu: str = "H100-SXM-80GB") -> dict[str, object]:
    args = ["simulate", "run", "--model", "meta-llama/Llama-3.1-70B-Instruct", "--gpu", gpu]
    args += ["--tp", "4", "--precision", "bf16", "--input-tokens", "1000"]
    args += ["--output-tokens", "200", "--concurrency", "1", "--analytical", "--json", *extra]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    estimate: dict[str, object] = json.loads(result.output)["estimate"]
    return estimate


def test_run_predicts_for_the_settings_image_version_and_says_which_band() -> None:
    today = _run_json()  # the default image, vllm/vllm-openai:v0.11.0
    assert today["engine_version"] == "vllm 0.11.0" and today["engine_basis"] == "vllm 0.10+"
    old = _run_json("--engine-version", "")  # no version: the 2023-24 band
    assert old["engine_basis"] == "vllm" and old["engine_version"] == ""
    assert today["itl_ms"]["p50"] < old["itl_ms"]["p50"]  # type: ignore[index]
    floor_ms = 70.55e9 * 2 / 4 / 3.35e12 * 1e3  # bf16 weights per GPU ÷ H100 HBM3
    assert today["itl_ms"]["p50"] >= floor_ms  # type: ignore[index]
    low, _ = today["intervals"]["itl_ms_p95"]  # type: ignore[index]
    assert low >= floor_ms * 0.999


def test_run_for_a_version_unmeasured_on_the_gpu_names_the_borrowed_band() -> None:
    rocm = _run_json("--engine-version", "0.11.0", gpu="MI300X")
    assert rocm["engine_basis"] == "vllm 0.6-0.9"
    assert any("nearest measured band vllm 0.6-0.9" in note for note in rocm["notes"])  # type: ignore[attr-defined]


def test_run_needs_exactly_one_load() -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "run",
            "--model",
            "meta-llama/Llama-3.1-8B",
            "--gpu",
            "H100",
            "--input-tokens",
            "500",
            "--output-tokens",
            "100",
        ],
    )
    assert result.exit_code != 0


def test_unknown_model_is_a_clear_error() -> None:
    result = runner.invoke(
        app,
        [
            "simulate",
            "run",
            "--model",
            "no-such/model",
            "--gpu",
            "H100",
            "--input-tokens",
            "5",
            "--output-tokens",
            "5",
            "--batch",
            "1",
        ],
    )
    assert result.exit_code == 2


def test_predict_never_stops_on_a_row_it_cannot_model(tmp_path: Path) -> None:
    rows = [
        make_row(gpu_count="72", tensor_parallel="72", gpu="GB200", engine="trtllm"),
        make_row(gpu_count="two"),
        make_row(load_value="4"),
    ]
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["simulate", "predict", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == 3
    assert written[0]["pred_e2e_ms_p50"] == "" and "tensor_parallel" in written[0]["pred_note"]
    assert "line 3: column gpu_count" in written[1]["pred_note"]
    assert float(written[2]["pred_e2e_ms_p50"]) > 0


def test_simulate_reads_the_shipped_csv_into_the_records_the_knowledge_base_ships() -> None:
    from bot.cli.simulate_commands import _parsed
    from knowledge.catalog import data_path, load_gpus
    from knowledge.records import load_records

    parsed: list[BenchmarkRecord | str] = []
    for name in ("benchmarks.csv", "benchmarks_modern.csv"):
        path = data_path(name)
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        parsed += _parsed(rows, path, load_gpus())

    def without_commit(record: object) -> dict[str, object]:
        assert isinstance(record, BenchmarkRecord), record  # every shipped row reads
        dumped = record.model_dump()
        dumped["provenance"]["commit"] = None  # the commit comes from SOURCES.md, read by ingest
        return dumped

    read = sorted((without_commit(item) for item in parsed), key=lambda r: str(r["id"]))
    shipped = sorted((without_commit(r) for r in load_records()), key=lambda r: str(r["id"]))
    assert read == shipped
