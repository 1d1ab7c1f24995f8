"""GuideLLM reports → records."""

from __future__ import annotations

from pathlib import Path

from domain.benchmarks import LoadType
from ingest.guidellm_reader import read_guidellm
from ingest.result import RunContext

REPORT = Path(__file__).resolve().parents[2] / "fixtures" / "ingest" / "guidellm_report.json"


def test_each_load_level_becomes_a_record_with_units_normalised() -> None:
    result = read_guidellm(REPORT, RunContext(gpu="H100", tensor_parallel=1, precision="bf16"))
    sync, conc = result.records
    assert (sync.load_type, sync.load_value) == (LoadType.CONCURRENCY, 1.0)
    assert (conc.load_type, conc.load_value) == (LoadType.CONCURRENCY, 32.0)
    assert sync.gpu == "H100-SXM-80GB"
    assert (conc.ttft_ms_p50, conc.ttft_ms_p95, conc.ttft_ms_p99) == (55.2, 102.4, 140.9)
    assert conc.e2e_ms_p95 == 1310.0  # request_latency is in seconds
    assert (conc.input_tokens, conc.output_tokens, conc.req_per_s) == (512.0, 128.0, 28.4)


def test_bad_benchmarks_are_reported_by_entry_and_the_rest_loads() -> None:
    result = read_guidellm(REPORT, RunContext(gpu="H100"))
    assert len(result.records) == 2
    reasons = {bad.line: bad.reason for bad in result.bad_rows}
    assert set(reasons) == {3, 4}
    assert "model" in reasons[3]
    assert "mystery" in reasons[4]


def test_model_override_fills_a_report_without_model() -> None:
    context = RunContext(gpu="H100", model="meta-llama/Llama-3.1-8B-Instruct")
    result = read_guidellm(REPORT, context)
    assert len(result.records) == 3
