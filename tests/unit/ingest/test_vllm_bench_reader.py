"""vLLM benchmark_serving results → records."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.benchmarks import LoadType
from ingest.result import RunContext
from ingest.vllm_bench_reader import read_vllm_bench

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ingest"


def test_a_result_with_metadata_becomes_one_record() -> None:
    (record,) = read_vllm_bench(FIXTURES / "vllm_bench_serving.json", RunContext()).records
    assert record.model == "meta-llama/Llama-3.1-8B-Instruct"
    assert (record.gpu, record.tensor_parallel, record.gpu_count) == ("H100-SXM-80GB", 1, 1)
    assert (record.load_type, record.load_value) == (LoadType.RATE, 4.0)
    assert (record.input_tokens, record.output_tokens) == (512.0, 128.0)
    assert (record.ttft_ms_p50, record.ttft_ms_p95, record.ttft_ms_p99) == (35.1, 57.9, 71.3)
    assert (record.itl_ms_p50, record.e2e_ms_p95) == (9.4, 1384.9)
    assert (record.output_tok_per_s, record.req_per_s) == (499.7, 3.904)
    assert record.provenance.source_id == "vllm_bench_serving"


def test_json_lines_sweep_reports_bad_entries_and_uses_the_context() -> None:
    context = RunContext(gpu="L40S", precision="FP8", source_id="lab-sweep")
    result = read_vllm_bench(FIXTURES / "vllm_bench_sweep.jsonl", context)
    (record,) = result.records
    assert (record.gpu, record.precision, record.precision_raw) == ("L40S", "fp8", "FP8")
    assert (record.load_type, record.load_value) == (LoadType.CONCURRENCY, 16.0)
    assert record.itl_ms_p50 == 12.0  # TPOT when ITL is not reported
    assert [bad.line for bad in result.bad_rows] == [2, 3]
    assert "completed" in result.bad_rows[0].reason


def test_without_a_gpu_every_entry_is_reported() -> None:
    result = read_vllm_bench(FIXTURES / "vllm_bench_sweep.jsonl", RunContext())
    assert result.records == []
    assert any("GPU" in bad.reason for bad in result.bad_rows)


@pytest.mark.parametrize(
    ("rate", "concurrency", "expected"),
    [
        pytest.param("inf", None, (LoadType.OFFLINE, None), id="burst"),
        pytest.param(2.5, None, (LoadType.RATE, 2.5), id="rate"),
        pytest.param("inf", 8, (LoadType.CONCURRENCY, 8.0), id="concurrency"),
    ],
)
def test_load_kind(tmp_path: Path, rate: object, concurrency: object, expected: object) -> None:
    import json

    path = tmp_path / "r.json"
    run = {
        "model_id": "m/x",
        "completed": 10,
        "total_input_tokens": 100,
        "total_output_tokens": 50,
        "request_rate": rate,
        "max_concurrency": concurrency,
    }
    path.write_text(json.dumps(run))
    (record,) = read_vllm_bench(path, RunContext(gpu="A100-SXM-80GB")).records
    assert (record.load_type, record.load_value) == expected
