"""What-if: before and after a change."""

from __future__ import annotations

import pytest

from domain.catalog import GpuSpec, ModelSpec
from domain.errors import InvalidInputError
from simulate.calibration import Calibration
from simulate.whatif import what_if
from tests.unit.simulate.factories import make_config, make_workload


def test_doubling_traffic_raises_latency(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    model, gpu = models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"]
    before, after = what_if(
        model,
        gpu,
        make_config(),
        make_workload(value=3.0),
        calibration,
        workload_changes={"value": 6.0},
    )
    assert after.req_per_s == pytest.approx(2 * before.req_per_s)
    assert after.e2e_ms.p95 > before.e2e_ms.p95


def test_a_faster_gpu_lowers_itl(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    model = models["meta-llama/Llama-3.1-8B"]
    before, after = what_if(
        model,
        gpus["L40S"],
        make_config(gpu="L40S"),
        make_workload(),
        calibration,
        new_gpu=gpus["H100-SXM-80GB"],
    )
    assert after.itl_ms.p50 < before.itl_ms.p50


def test_an_invalid_change_is_a_user_error(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    with pytest.raises(InvalidInputError):
        what_if(
            models["meta-llama/Llama-3.1-8B"],
            gpus["H100-SXM-80GB"],
            make_config(),
            make_workload(),
            calibration,
            config_changes={"tensor_parallel": 0},
        )
