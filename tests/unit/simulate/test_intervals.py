"""80 % intervals from held-out residuals: fitting, fallbacks, coverage and estimates."""

from __future__ import annotations

import numpy as np
import pytest

from domain.catalog import GpuSpec, ModelSpec
from domain.recommendation import PredictedMetrics
from simulate.analytical import estimate
from simulate.calibration import Calibration, for_engine_version
from simulate.intervals import (
    FALLBACK_WIDENING,
    HIGH_Q,
    LOW_Q,
    IntervalBand,
    Residual,
    coverage,
    fit_intervals,
    interval,
)
from tests.unit.simulate.factories import make_config, make_workload


def _residuals(seed: int = 0, groups: int = 10, per_group: int = 40) -> list[Residual]:
    rng = np.random.default_rng(seed)
    out = []
    for g in range(groups):
        for ratio in rng.lognormal(0.0, 0.2, per_group):
            out.append(Residual("sglang", "H200", ("src", f"gpu{g}"), "itl_p50", float(ratio)))
    return out


def test_bands_are_the_chosen_percentiles_of_each_basis() -> None:
    residuals = _residuals()
    bands = {(b.basis, b.metric): b for b in fit_intervals(residuals)}
    ratios = [r.ratio for r in residuals]
    band = bands[("sglang × H200", "itl")]
    assert (band.low, band.high) == pytest.approx(tuple(np.percentile(ratios, [LOW_Q, HIGH_Q])))
    assert band.rows == len(ratios)
    assert ("", "itl") in bands  # the all-engines band always exists


def test_a_basis_without_its_own_band_falls_back_and_a_borrowed_band_is_wider() -> None:
    bands = (IntervalBand(basis="vllm", metric="ttft", low=0.8, high=1.3, rows=50),)
    assert interval(bands, "vllm", "B200", "ttft_p95") == (0.8, 1.3, "vllm")
    low, high, _ = interval(bands, "vllm", "B200", "ttft_p95", borrowed=True) or (0, 0, "")
    assert (low, high) == pytest.approx((0.8 / FALLBACK_WIDENING, 1.3 * FALLBACK_WIDENING))
    assert interval(bands, "sglang", "B200", "ttft_p95") is None


def test_a_basis_measured_by_one_group_only_uses_the_wider_basis() -> None:
    one_group = [
        Residual("atom", "MI355X", ("src", "MI355X"), "ttft_p50", 1.0 + k / 100) for k in range(40)
    ]
    bases = {b.basis for b in fit_intervals([*one_group, *_residuals()])}
    assert "atom × MI355X" not in bases and "atom" not in bases
    assert "sglang × H200" in bases  # ten groups


def test_held_out_coverage_of_well_behaved_residuals_is_near_80_percent() -> None:
    inside = coverage(_residuals(seed=1))
    assert 80.0 <= inside["all"] <= 95.0  # lognormal: 5th-95th percentiles hold about 90 %
    assert inside["itl"] == inside["all"]


def test_an_estimate_carries_its_interval_and_engine_basis(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    bands = (
        IntervalBand(basis="", metric="itl", low=0.9, high=1.2, rows=100),
        IntervalBand(basis="", metric="output_tok_per_s", low=0.8, high=1.1, rows=100),
    )
    widened = calibration.model_copy(update={"intervals": bands})
    model, gpu = models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"]
    result = estimate(model, gpu, make_config(), make_workload(), widened)
    low, high = result.intervals["itl_ms_p95"]
    assert (low, high) == pytest.approx((0.9 * result.itl_ms.p95, 1.2 * result.itl_ms.p95))
    assert "ttft_ms_p95" not in result.intervals
    assert result.engine_basis == "vllm"
    metrics = PredictedMetrics.from_estimate(result, output_tok_per_s=3 * result.output_tok_per_s)
    tput_low, _ = metrics.intervals["output_tok_per_s"]
    assert tput_low == pytest.approx(0.8 * 3 * result.output_tok_per_s)
    assert metrics.engine_basis == "vllm"


def test_a_prediction_for_a_version_outside_its_basis_band_names_it_and_is_wider(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    bands = (IntervalBand(basis="", metric="itl", low=0.9, high=1.2, rows=100),)
    with_bands = calibration.model_copy(update={"intervals": bands})
    model, gpu = models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"]
    result = estimate(model, gpu, make_config(), make_workload(), with_bands)
    assert result.engine_basis == "vllm"  # the 2023-24 band
    newer = for_engine_version(result, "vllm", "0.11.0")  # band "vllm 0.10+"
    assert newer.engine_version == "vllm 0.11.0"
    low, high = newer.intervals["itl_ms_p95"]
    assert (low, high) == pytest.approx(
        (0.9 / FALLBACK_WIDENING * result.itl_ms.p95, 1.2 * FALLBACK_WIDENING * result.itl_ms.p95)
    )
    assert PredictedMetrics.from_estimate(newer, output_tok_per_s=1.0).engine_version == (
        "vllm 0.11.0"
    )
    same_band = for_engine_version(result, "vllm", "0.4.3")
    assert same_band.intervals == result.intervals and same_band.engine_version == "vllm 0.4.3"
    assert for_engine_version(result, "vllm", "") == result
