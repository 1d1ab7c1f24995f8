"""The discrete-event scheduler: loads, determinism, preemption, agreement with the analytical."""

from __future__ import annotations

import pytest

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import LoadKind
from simulate.analytical import estimate
from simulate.calibration import Calibration
from simulate.scheduler import simulate_run
from tests.unit.simulate.factories import make_config, make_workload


@pytest.fixture(scope="module")
def setup(models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]) -> tuple[ModelSpec, GpuSpec]:
    return models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"]


def test_same_seed_same_result(setup: tuple[ModelSpec, GpuSpec], calibration: Calibration) -> None:
    model, gpu = setup
    workload = make_workload(LoadKind.RATE, 10.0, length_cv=0.5)
    first = simulate_run(model, gpu, make_config(), workload, calibration, requests=300, seed=7)
    again = simulate_run(model, gpu, make_config(), workload, calibration, requests=300, seed=7)
    other = simulate_run(model, gpu, make_config(), workload, calibration, requests=300, seed=8)
    assert first == again
    assert first.ttft_ms != other.ttft_ms
    assert first.method == "simulated"


def test_one_request_matches_the_analytical_path(
    setup: tuple[ModelSpec, GpuSpec], calibration: Calibration
) -> None:
    model, gpu = setup
    workload = make_workload(LoadKind.BATCH, 1.0)
    simulated = simulate_run(model, gpu, make_config(), workload, calibration)
    analytical = estimate(model, gpu, make_config(), workload, calibration)
    assert simulated.ttft_ms.p50 == pytest.approx(analytical.ttft_ms.p50, rel=0.05)
    assert simulated.itl_ms.p50 == pytest.approx(analytical.itl_ms.p50, rel=0.05)
    assert simulated.e2e_ms.p50 == pytest.approx(analytical.e2e_ms.p50, rel=0.05)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        pytest.param(LoadKind.RATE, 4.0, id="rate"),
        pytest.param(LoadKind.CONCURRENCY, 16.0, id="concurrency"),
    ],
)
def test_moderate_load_agrees_with_analytical_within_a_quarter(
    setup: tuple[ModelSpec, GpuSpec], calibration: Calibration, kind: LoadKind, value: float
) -> None:
    model, gpu = setup
    workload = make_workload(kind, value)
    simulated = simulate_run(model, gpu, make_config(), workload, calibration, requests=500)
    analytical = estimate(model, gpu, make_config(), workload, calibration)
    assert simulated.itl_ms.p50 == pytest.approx(analytical.itl_ms.p50, rel=0.25)
    assert simulated.output_tok_per_s == pytest.approx(analytical.output_tok_per_s, rel=0.25)


def test_open_loop_throughput_follows_the_offered_rate(
    setup: tuple[ModelSpec, GpuSpec], calibration: Calibration
) -> None:
    model, gpu = setup
    result = simulate_run(
        model, gpu, make_config(), make_workload(LoadKind.RATE, 3.0), calibration, requests=2000
    )
    assert result.req_per_s == pytest.approx(3.0, rel=0.1)
    assert result.ttft_ms.p99 >= result.ttft_ms.p50


def test_small_kv_cache_preempts_and_still_finishes_everything(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    model, gpu = models["meta-llama/Llama-3.1-8B"], gpus["L4"]
    config = make_config(gpu="L4", max_model_len=4096, gpu_memory_utilization=0.6)
    workload = make_workload(LoadKind.CONCURRENCY, 64.0, input_tokens=2000, output_tokens=1000)
    tight = simulate_run(model, gpu, config, workload, calibration, requests=200)
    roomy = simulate_run(
        model, gpus["H100-SXM-80GB"], make_config(), workload, calibration, requests=200
    )
    assert tight.e2e_ms.p50 > roomy.e2e_ms.p50
    assert tight.req_per_s > 0
