"""Benchmark rows → simulator inputs, skip reasons and measured values."""

from __future__ import annotations

import pytest

from domain.benchmarks import BenchmarkRecord, LoadType
from domain.catalog import GpuSpec, ModelSpec
from simulate.benchmark_rows import record_from_row
from simulate.load_terms import LoadCode
from simulate.rows import Case, case_from_record, measured


def make_row(**changes: str) -> dict[str, str]:
    row = {
        "source_id": "test_source",
        "model": "meta-llama/Llama-2-7b-hf",
        "params_b": "6.74",
        "precision": "fp16",
        "engine": "vllm",
        "engine_version": "",
        "gpu": "A100-SXM-40GB",
        "gpu_count": "1",
        "tensor_parallel": "1",
        "input_tokens": "128",
        "output_tokens": "128",
        "load_type": "offline",
        "load_value": "16",
        "ttft_ms_p50": "",
        "ttft_ms_p95": "",
        "ttft_ms_p99": "",
        "itl_ms_p50": "",
        "itl_ms_p95": "",
        "e2e_ms_p50": "2000",
        "e2e_ms_p95": "",
        "output_tok_per_s": "1024",
        "total_tok_per_s": "",
        "req_per_s": "",
        "notes": "src=test",
        "ttft_ms_mean": "",
        "itl_ms_mean": "",
        "e2e_ms_mean": "",
    }
    row.update(changes)
    return row


def parse(row: dict[str, str]) -> BenchmarkRecord:
    return record_from_row(row, str.strip, source_id="test_source")


def test_static_batch_row(models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]) -> None:
    record = parse(make_row())
    case = case_from_record(record, models, gpus)
    assert isinstance(case, Case)
    assert (case.kind, case.value, case.replicas) == (LoadCode.BATCH, 16.0, 1)
    assert record.load_type == LoadType.OFFLINE and not record.flagged


def test_data_parallel_copies_split_the_load(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    row = make_row(gpu_count="8", tensor_parallel="2", load_type="concurrency", load_value="64")
    case = case_from_record(parse(row), models, gpus)
    assert isinstance(case, Case)
    assert (case.kind, case.value, case.replicas, case.config.tensor_parallel) == (
        LoadCode.CONCURRENCY,
        16.0,
        4,
        2,
    )


def test_unbounded_offline_rate_is_saturated(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    row = make_row(load_value="max (infinite rate)", engine="trtllm")
    case = case_from_record(parse(row), models, gpus)
    assert isinstance(case, Case) and case.kind == LoadCode.SATURATED


def test_llama_1_maps_to_the_llama_2_architecture(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    case = case_from_record(parse(make_row(model="huggyllama/llama-7b")), models, gpus)
    assert isinstance(case, Case) and case.model.hf_id == "meta-llama/Llama-2-7b-hf"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param(
            {"model": "tiiuae/falcon-180B"}, "model not in catalog: tiiuae/falcon-180B", id="model"
        ),
        pytest.param({"gpu": "TPU-v5"}, "GPU not in catalog: TPU-v5", id="gpu"),
        pytest.param({"input_tokens": ""}, "no input_tokens", id="no-input"),
        pytest.param({"engine": ""}, "no engine stated", id="no-engine"),
        pytest.param(
            {"load_type": "rate", "load_value": ""},
            "load_value missing for rate load",
            id="no-rate",
        ),
    ],
)
def test_skip_reasons(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], changes: dict[str, str], reason: str
) -> None:
    assert case_from_record(parse(make_row(**changes)), models, gpus) == reason


def test_measured_median_is_p50_else_mean() -> None:
    record = parse(make_row(ttft_ms_mean="30", ttft_ms_p95="50", itl_ms_p50="7", itl_ms_mean="9"))
    values = measured(record)
    assert values["ttft_p50"] == 30.0 and values["ttft_p95"] == 50.0
    assert values["itl_p50"] == 7.0
    assert values["e2e_p50"] == 2000.0 and values["output_tok_per_s"] == 1024.0


def test_flagged_rows_are_marked() -> None:
    assert parse(make_row(notes="WARNING: Little's law")).flagged


def test_trtllm_static_batch_holds_the_whole_batch(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    row = make_row(
        model="meta-llama/Llama-2-70b-hf",
        engine="trtllm",
        gpu="A100-SXM-80GB",
        gpu_count="2",
        tensor_parallel="2",
        input_tokens="128",
        output_tokens="4096",
        load_value="16",
    )
    case = case_from_record(parse(row), models, gpus)
    assert isinstance(case, Case)
    assert case.kv_capacity_tokens >= 16 * (128 + 4096)
    assert case.step_tokens == 16 * 128
