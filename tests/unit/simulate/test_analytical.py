"""The analytical path: load kinds, saturation, and the simulator's invariants (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import CalibrationBasis, LoadKind
from simulate.analytical import estimate
from simulate.calibration import Calibration, load_calibration
from tests.unit.simulate.factories import make_config, make_workload

_CAL = load_calibration()


def _setup() -> tuple[ModelSpec, GpuSpec]:
    from knowledge.catalog import load_gpus, load_models

    return load_models()["meta-llama/Llama-3.1-8B"], load_gpus()["H100-SXM-80GB"]


MODEL, GPU = _setup()


@pytest.mark.parametrize("kind", [pytest.param(k, id=k.value) for k in LoadKind])
def test_estimate_is_complete_and_ordered(kind: LoadKind, calibration: Calibration) -> None:
    result = estimate(MODEL, GPU, make_config(), make_workload(kind, 8.0), calibration)
    for pct in (result.ttft_ms, result.itl_ms, result.e2e_ms):
        assert 0 < pct.p50 <= pct.p90 <= pct.p95 <= pct.p99
    assert result.e2e_ms.p50 > result.ttft_ms.p50
    assert result.output_tok_per_s > 0
    assert result.method == "analytical"
    assert result.basis == CalibrationBasis.ENGINE  # vLLM on H100 falls back to vLLM × NVIDIA


def test_low_rate_throughput_equals_offered_load(calibration: Calibration) -> None:
    result = estimate(MODEL, GPU, make_config(), make_workload(LoadKind.RATE, 2.0), calibration)
    assert result.req_per_s == pytest.approx(2.0)
    assert result.output_tok_per_s == pytest.approx(400.0)
    assert result.notes == ()


def test_rate_beyond_capacity_is_reported_as_saturated(calibration: Calibration) -> None:
    result = estimate(MODEL, GPU, make_config(), make_workload(LoadKind.RATE, 5000.0), calibration)
    assert any(note.startswith("saturated") for note in result.notes)
    assert result.req_per_s < 5000.0
    assert result.ttft_ms.p50 > 1000.0


def test_configuration_that_does_not_fit_says_so(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    config = make_config("meta-llama/Llama-3.1-70B", "L4", precision="bf16")
    result = estimate(
        models["meta-llama/Llama-3.1-70B"], gpus["L4"], config, make_workload(), calibration
    )
    assert result.notes[0].startswith("does not fit")


def test_static_batch_takes_longer_to_first_token_than_one_request(
    calibration: Calibration,
) -> None:
    one = estimate(MODEL, GPU, make_config(), make_workload(LoadKind.BATCH, 1.0), calibration)
    many = estimate(MODEL, GPU, make_config(), make_workload(LoadKind.BATCH, 64.0), calibration)
    assert many.ttft_ms.p50 > 10 * one.ttft_ms.p50
    assert many.output_tok_per_s > 10 * one.output_tok_per_s


@settings(max_examples=40, deadline=None)
@given(
    prompt=st.integers(min_value=16, max_value=6000),
    extra=st.integers(min_value=1, max_value=2000),
    rate=st.floats(min_value=0.1, max_value=30.0),
)
def test_longer_prompts_never_lower_ttft(prompt: int, extra: int, rate: float) -> None:
    short = estimate(
        MODEL, GPU, make_config(), make_workload(LoadKind.RATE, rate, input_tokens=prompt), _CAL
    )
    long = estimate(
        MODEL,
        GPU,
        make_config(),
        make_workload(LoadKind.RATE, rate, input_tokens=prompt + extra),
        _CAL,
    )
    assert long.ttft_ms.p50 >= short.ttft_ms.p50 * (1 - 1e-9)
    assert long.ttft_ms.p95 >= short.ttft_ms.p95 * (1 - 1e-9)


@settings(max_examples=40, deadline=None)
@given(
    rate=st.floats(min_value=0.05, max_value=80.0),
    factor=st.floats(min_value=1.0, max_value=4.0),
    output=st.integers(min_value=8, max_value=1000),
)
def test_a_higher_rate_never_lowers_p95_latency(rate: float, factor: float, output: int) -> None:
    low = estimate(
        MODEL, GPU, make_config(), make_workload(LoadKind.RATE, rate, output_tokens=output), _CAL
    )
    high = estimate(
        MODEL,
        GPU,
        make_config(),
        make_workload(LoadKind.RATE, rate * factor, output_tokens=output),
        _CAL,
    )
    assert high.e2e_ms.p95 >= low.e2e_ms.p95 * (1 - 1e-6)
    assert high.itl_ms.p95 >= low.itl_ms.p95 * (1 - 1e-6)


@settings(max_examples=30, deadline=None)
@given(
    peak=st.floats(min_value=0.5, max_value=200.0), replicas=st.integers(min_value=1, max_value=16)
)
def test_more_replicas_never_lower_throughput(peak: float, replicas: int) -> None:
    def deployment_tokens(count: int) -> float:
        per = estimate(MODEL, GPU, make_config(), make_workload(LoadKind.RATE, peak / count), _CAL)
        return per.output_tok_per_s * count

    assert deployment_tokens(replicas + 1) >= deployment_tokens(replicas) * (1 - 1e-6)
