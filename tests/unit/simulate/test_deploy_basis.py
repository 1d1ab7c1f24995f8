"""The band a deployed version's predictions rest on, its plausibility, and physical floors."""

from __future__ import annotations

import pytest

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import Precision
from simulate.analytical import estimate
from simulate.calibration import (
    Calibration,
    Efficiencies,
    ScopeFit,
    ScopeKind,
    for_engine_version,
)
from simulate.deploy_basis import (
    choose_band,
    clip_to_floors,
    implausible,
    physical_floors,
)
from simulate.intervals import IntervalBand
from tests.unit.simulate.factories import make_config, make_workload


def _scope(engine: str, kind: ScopeKind, key: str, records: int = 100, **effs: float) -> ScopeFit:
    return ScopeFit(
        kind=kind,
        engine=engine,
        key=key,
        efficiencies=Efficiencies(**effs),
        records=records,
    )


def _calibration(*scopes: ScopeFit) -> Calibration:
    return Calibration(scopes=scopes)


def test_the_deployed_versions_band_is_used_where_it_has_a_scope_for_the_gpu(
    gpus: dict[str, GpuSpec],
) -> None:
    cal = _calibration(
        _scope("vllm", "family", "H100"),
        _scope("vllm 0.10+", "gpu", "H100-SXM-80GB"),
    )
    basis = choose_band(cal, "vllm", "0.11.0", gpus["H100-SXM-80GB"])
    assert (basis.key, basis.borrowed, basis.note) == ("vllm 0.10+", False, "")
    assert basis.scope == "H100-SXM-80GB gpu (100 records)"


def test_a_gpu_the_band_never_measured_borrows_the_nearest_band_that_did(
    gpus: dict[str, GpuSpec],
) -> None:
    cal = _calibration(
        _scope("vllm", "gpu", "MI300X"),
        _scope("vllm 0.6-0.9", "gpu", "MI300X"),
        _scope("vllm 0.10+", "vendor", "NVIDIA"),
        _scope("vllm 0.10+", "engine", ""),
    )
    basis = choose_band(cal, "vllm", "0.11.0", gpus["MI300X"])
    assert basis.key == "vllm 0.6-0.9" and basis.wanted == "vllm 0.10+" and basis.borrowed
    assert "vllm 0.10+ has no measurements on AMD GPUs" in basis.note
    assert basis.note.endswith("nearest measured band vllm 0.6-0.9")


def test_a_scope_on_few_records_still_speaks_for_its_gpu(gpus: dict[str, GpuSpec]) -> None:
    few = _scope("vllm 0.10+", "gpu", "L40S", records=2)  # e.g. a team's own measured run
    wide = _scope("vllm 0.10+", "vendor", "NVIDIA", records=40)
    basis = choose_band(_calibration(few, wide), "vllm", "0.11.0", gpus["L40S"])
    assert basis.key == "vllm 0.10+" and basis.scope == "L40S gpu (2 records)"


def test_implausible_efficiencies_are_passed_over_and_named(gpus: dict[str, GpuSpec]) -> None:
    above_peak = Efficiencies.model_construct(**{**Efficiencies().model_dump(), "memory": 1.4})
    assert implausible(above_peak) == "memory 1.40 of peak"
    assert implausible(Efficiencies()) == ""
    bad = ScopeFit.model_construct(
        kind="gpu", engine="vllm 0.10+", key="H100-SXM-80GB", efficiencies=above_peak, records=50
    )
    cal = _calibration(_scope("vllm", "gpu", "H100-SXM-80GB")).model_copy(
        update={"scopes": (bad, _scope("vllm", "gpu", "H100-SXM-80GB"))}
    )
    basis = choose_band(cal, "vllm", "0.11.0", gpus["H100-SXM-80GB"])
    assert basis.key == "vllm" and "implausible (memory 1.40 of peak)" in basis.note


def test_an_unknown_version_keeps_the_engines_longest_measured_band(
    gpus: dict[str, GpuSpec],
) -> None:
    cal = _calibration(_scope("vllm 0.10+", "gpu", "H100-SXM-80GB"))
    assert choose_band(cal, "vllm", "", gpus["H100-SXM-80GB"]).key == "vllm"


def test_no_band_with_a_scope_keeps_the_wanted_band_and_says_so(gpus: dict[str, GpuSpec]) -> None:
    cal = _calibration(_scope("vllm 0.10+", "engine", ""))
    basis = choose_band(cal, "vllm", "0.12.0", gpus["Gaudi3"])
    assert basis.key == "vllm 0.10+" and not basis.borrowed
    assert "over every GPU" in basis.note


def test_floors_are_weight_bytes_over_bandwidth_and_flops_over_peak(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    model, gpu = models["meta-llama/Llama-3.1-70B-Instruct"], gpus["H100-SXM-80GB"]
    config = make_config(
        model=model.hf_id, gpu=gpu.name, tensor_parallel=4, precision=Precision.BF16
    )
    floors = physical_floors(model, gpu, config, make_workload(input_tokens=2000))
    weight_gb = model.params_b * 2 / 4  # bf16, per GPU
    assert floors.itl_ms == pytest.approx(weight_gb / (gpu.mem_bandwidth_gbps / 1e3), rel=0.05)
    flops = 2 * model.params_b * 1e9 * 2000 / 4
    assert floors.ttft_ms == pytest.approx(1e3 * flops / (gpu.bf16_tflops * 1e12), rel=0.05)


def test_interval_ends_below_the_floor_are_raised_to_it(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    model, gpu = models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"]
    config, workload = make_config(), make_workload()
    bands = (IntervalBand(basis="", metric="itl", low=0.1, high=1.5, rows=100),)
    wide = calibration.model_copy(update={"intervals": bands})
    result = estimate(model, gpu, config, workload, wide)
    floors = physical_floors(model, gpu, config, workload)
    assert result.intervals["itl_ms_p95"][0] < floors.itl_ms  # a tenth of the prediction
    clipped = clip_to_floors(result, floors)
    low, high = clipped.intervals["itl_ms_p95"]
    assert low == floors.itl_ms and high == pytest.approx(1.5 * result.itl_ms.p95)


@pytest.mark.parametrize(
    ("model_id", "tp", "precision"),
    [
        pytest.param("meta-llama/Llama-3.1-8B-Instruct", 1, Precision.BF16, id="8b"),
        pytest.param("meta-llama/Llama-3.1-70B-Instruct", 4, Precision.BF16, id="70b-tp4"),
        pytest.param("meta-llama/Llama-3.1-70B-Instruct", 2, Precision.FP8, id="70b-fp8"),
    ],
)
def test_every_gpus_deploy_band_predicts_above_the_physical_floor(
    models: dict[str, ModelSpec],
    gpus: dict[str, GpuSpec],
    calibration: Calibration,
    model_id: str,
    tp: int,
    precision: Precision,
) -> None:
    view = calibration
    model = models[model_id]
    for gpu in gpus.values():
        basis = choose_band(view, "vllm", "0.11.0", gpu)
        effs, _, _ = view.lookup(basis.key, gpu)
        assert implausible(effs) == "", (gpu.name, basis.key)
        config = make_config(
            model=model.hf_id, gpu=gpu.name, tensor_parallel=tp, precision=precision
        ).model_copy(update={"engine": basis.key})
        workload = make_workload(input_tokens=2048, output_tokens=128)
        floors = physical_floors(model, gpu, config, workload)
        result = clip_to_floors(
            for_engine_version(estimate(model, gpu, config, workload, view), "vllm", "0.11.0"),
            floors,
        )
        assert result.itl_ms.p50 >= floors.itl_ms * 0.999, gpu.name
        assert result.ttft_ms.p50 >= floors.ttft_ms * 0.999, gpu.name
        for name, (low, _) in result.intervals.items():
            floor = {"itl": floors.itl_ms, "ttft": floors.ttft_ms, "e2e": floors.e2e_ms}
            assert low >= floor.get(name.split("_")[0], 0.0) * 0.999, (gpu.name, name)
