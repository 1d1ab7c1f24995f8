"""Fitting calibration on real measured records, and validation that never sees its rows."""

from __future__ import annotations

import pytest

from domain.benchmarks import BenchmarkRecord
from domain.catalog import GpuSpec, ModelSpec
from domain.serving import CalibrationBasis
from simulate.calibration import Calibration
from simulate.fitting import fit_calibration
from simulate.validation import leave_one_group_out, predict_records, score


@pytest.fixture(scope="module")
def records() -> list[BenchmarkRecord]:
    """Two measured groups: TensorRT-LLM static batches on H200 and on GH200 (every 4th row)."""
    from knowledge.records import load_records

    wanted = {("nvidia_dli_trtllm_0_9", "H200-SXM-141GB"), ("nvidia_dli_trtllm_0_9", "GH200")}
    chosen = [r for r in load_records() if (r.provenance.source_id, r.gpu) in wanted]
    return chosen[::4]


@pytest.fixture(scope="module")
def fitted(
    records: list[BenchmarkRecord], models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> Calibration:
    return fit_calibration(records, models, gpus)


def test_fit_names_its_groups_and_records(
    fitted: Calibration, records: list[BenchmarkRecord]
) -> None:
    assert {(g.source, g.gpu) for g in fitted.groups} == {
        ("nvidia_dli_trtllm_0_9", "H200-SXM-141GB"),
        ("nvidia_dli_trtllm_0_9", "GH200"),
    }
    assert len(fitted.record_ids) == sum(g.count for g in fitted.groups) <= len(records)
    assert {s.kind for s in fitted.scopes} == {"engine", "vendor", "family", "gpu"}


def test_fit_is_better_than_spec_sheet_defaults(
    fitted: Calibration,
    records: list[BenchmarkRecord],
    models: dict[str, ModelSpec],
    gpus: dict[str, GpuSpec],
) -> None:
    tuned = score(predict_records(records, models, gpus, fitted), models, gpus)
    default = score(predict_records(records, models, gpus, Calibration()), models, gpus)
    tuned_itl = next(s for s in tuned.overall if s.metric == "itl_p50")
    default_itl = next(s for s in default.overall if s.metric == "itl_p50")
    assert tuned_itl.median_ape_pct < default_itl.median_ape_pct
    assert tuned_itl.median_ape_pct < 15.0


def test_moe_factor_is_fitted_only_on_moe_rows(
    fitted: Calibration,
    records: list[BenchmarkRecord],
    models: dict[str, ModelSpec],
    gpus: dict[str, GpuSpec],
) -> None:
    assert any("Mixtral" in r.model for r in records)
    engine = next(s for s in fitted.scopes if s.kind == "engine")
    assert engine.efficiencies.moe < 0.9  # TensorRT-LLM 0.9's expert GEMMs lag its dense ones
    dense = [r for r in records if "Mixtral" not in r.model][::2]
    dense_fit = fit_calibration(dense, models, gpus)
    assert {s.efficiencies.moe for s in dense_fit.scopes} == {1.0}


def test_excluded_groups_are_not_fitted_on(
    records: list[BenchmarkRecord], models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    calibration = fit_calibration(
        records, models, gpus, exclude={("nvidia_dli_trtllm_0_9", "GH200")}
    )
    assert {g.gpu for g in calibration.groups} == {"H200-SXM-141GB"}
    assert calibration.excluded == ("source=nvidia_dli_trtllm_0_9,gpu=GH200",)
    assert calibration.lookup("trtllm", gpus["GH200"])[1] == CalibrationBasis.ENGINE


def test_leave_one_group_out_predicts_every_row_it_can(
    records: list[BenchmarkRecord], models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    predictions = leave_one_group_out(records, models, gpus)
    report = score(predictions, models, gpus)
    assert report.coverage_pct > 90.0
    for prediction in predictions:
        # a held-out GPU is never priced by a scope fitted on its own rows
        assert f"× {prediction.record.gpu} gpu" not in prediction.note
    assert set(report.groups) == {
        "nvidia_dli_trtllm_0_9 × H200-SXM-141GB",
        "nvidia_dli_trtllm_0_9 × GH200",
    }
