"""Structured look-up and nearest-record search over the measured records."""

from __future__ import annotations

from typing import Any

import pytest

from domain.benchmarks import BenchmarkRecord
from knowledge.catalog import gpu_family_of
from knowledge.records import load_records
from knowledge.records_index import RecordIndex


@pytest.fixture(scope="module")
def index() -> RecordIndex:
    return RecordIndex(load_records())


def _matches(record: BenchmarkRecord, query: dict[str, Any]) -> bool:
    for key, wanted in query.items():
        if key == "gpu_family":
            if gpu_family_of(record.gpu).value != wanted:
                return False
        elif key in ("input_tokens", "output_tokens"):
            value = getattr(record, key)
            if value is None or not wanted[0] <= value <= wanted[1]:
                return False
        elif getattr(record, key) != wanted:
            return False
    return True


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"gpu_family": "H100", "precision": "fp8"}, id="family-precision"),
        pytest.param(
            {"model": "meta-llama/Llama-2-70b-hf", "gpu": "A100-SXM-80GB"}, id="model-gpu"
        ),
        pytest.param({"engine": "vllm", "load_type": "concurrency"}, id="engine-load"),
        pytest.param({"tensor_parallel": 4, "input_tokens": (1000, 2100)}, id="tp-tokens"),
        pytest.param({"gpu_family": "MI300X", "output_tokens": (100, 300)}, id="family-out"),
        pytest.param({"model": "no/such-model"}, id="nothing"),
    ],
)
def test_find_returns_exactly_the_matching_records(
    index: RecordIndex, query: dict[str, Any]
) -> None:
    expected = [r for r in index.records if _matches(r, query)]
    assert index.find(**query) == expected


def test_find_is_case_insensitive_for_names(index: RecordIndex) -> None:
    assert index.find(gpu="h100-sxm-80gb") == index.find(gpu="H100-SXM-80GB") != []


def test_nearest_prefers_the_same_model_and_family(index: RecordIndex) -> None:
    hits = index.nearest(
        model="meta-llama/Meta-Llama-3-8B-Instruct",
        gpu_family="H100",
        precision="fp8",
        input_tokens=200,
        output_tokens=200,
        k=3,
    )
    assert len(hits) == 3
    assert all(h.model == "meta-llama/Meta-Llama-3-8B-Instruct" for h in hits)
    assert all(gpu_family_of(h.gpu).value == "H100" and h.precision == "fp8" for h in hits)
    shapes = {(h.tensor_parallel, round(h.input_tokens or 0), h.output_tokens) for h in hits}
    assert len(shapes) == 3


def test_nearest_uses_the_base_architecture_of_a_variant(index: RecordIndex) -> None:
    hits = index.nearest(
        model="meta-llama/Llama-3.1-8B-Instruct",
        gpu_family="GH200",
        precision="fp16",
        input_tokens=256,
        output_tokens=256,
        k=2,
    )
    assert {index.architecture(h.model) for h in hits} == {
        index.architecture("meta-llama/Llama-3.1-8B-Instruct")
    }


def test_nearest_falls_back_to_any_record_and_skips_flagged(index: RecordIndex) -> None:
    hits = index.nearest(
        model="google/gemma-2-9b-it",
        gpu_family="T4",
        precision="fp16",
        input_tokens=512,
        output_tokens=512,
        k=3,
    )
    assert len(hits) == 3
    assert not any(h.flagged for h in hits)


@pytest.mark.parametrize(
    "family", [pytest.param(f, id=f) for f in ("H100", "A100", "L4", "MI300X", "T4")]
)
def test_measured_on_agrees_with_a_scan_of_the_records(index: RecordIndex, family: str) -> None:
    models = [*sorted({r.model for r in index.records})[:40], "no/such-model"]
    on_family = index.find(gpu_family=family)
    for model in models:
        arch = index.architecture(model)
        scanned = any(index.architecture(r.model) == arch for r in on_family)
        assert index.measured_on(model, family) == scanned, model
    assert any(index.measured_on(model, family) for model in models) == bool(on_family)
