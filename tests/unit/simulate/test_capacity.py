"""Capacity: the highest rate with every SLO held, and replicas for a peak."""

from __future__ import annotations

import pytest

from domain.catalog import GpuSpec, ModelSpec
from domain.requirements import SloMetric, SloTarget
from domain.serving import LoadKind
from simulate.analytical import estimate
from simulate.calibration import Calibration
from simulate.capacity import max_rate_per_replica, replicas_for
from tests.unit.simulate.factories import make_config, make_workload

SLO = [SloTarget(metric=SloMetric.TTFT, ms=500), SloTarget(metric=SloMetric.ITL, ms=40)]


def _rate(
    models: dict[str, ModelSpec],
    gpus: dict[str, GpuSpec],
    cal: Calibration,
    slo: list[SloTarget],
    gpu: str = "H100-SXM-80GB",
) -> float:
    return max_rate_per_replica(
        models["meta-llama/Llama-3.1-8B"],
        gpus[gpu],
        make_config(gpu=gpu),
        input_tokens=1000,
        output_tokens=200,
        slo=slo,
        calibration=cal,
    )


def test_the_rate_found_meets_the_slo_and_a_bit_more_does_not(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    rate = _rate(models, gpus, calibration, SLO)
    assert rate > 1.0
    model, gpu = models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"]
    at = estimate(model, gpu, make_config(), make_workload(LoadKind.RATE, rate), calibration)
    above = estimate(
        model, gpu, make_config(), make_workload(LoadKind.RATE, rate * 1.1), calibration
    )
    assert at.ttft_ms.p95 <= 500 and at.itl_ms.p95 <= 40
    assert above.ttft_ms.p95 > 500 or above.itl_ms.p95 > 40 or above.notes


def test_a_stricter_slo_never_allows_more(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    strict = [SloTarget(metric=SloMetric.ITL, ms=15)]
    assert _rate(models, gpus, calibration, strict) <= _rate(models, gpus, calibration, SLO)


def test_nothing_fits_means_zero(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    config = make_config("meta-llama/Llama-3.1-70B", "L4", precision="bf16")
    rate = max_rate_per_replica(
        models["meta-llama/Llama-3.1-70B"],
        gpus["L4"],
        config,
        input_tokens=1000,
        output_tokens=200,
        slo=SLO,
        calibration=calibration,
    )
    assert rate == 0.0


@pytest.mark.parametrize(
    ("peak", "per_replica", "headroom", "expected"),
    [
        pytest.param(10.0, 5.0, 0.2, 3, id="headroom-rounds-up"),
        pytest.param(10.0, 12.0, 0.2, 1, id="one-is-enough"),
        pytest.param(10.0, 5.0, 0.0, 2, id="exact"),
        pytest.param(0.0, 5.0, 0.2, 1, id="no-load-one-replica"),
    ],
)
def test_replicas_for(peak: float, per_replica: float, headroom: float, expected: int) -> None:
    assert replicas_for(peak, per_replica, headroom) == expected


def test_replicas_for_a_replica_that_serves_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no load"):
        replicas_for(5.0, 0.0)
