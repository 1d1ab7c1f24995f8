"""Memory fit: weights, KV per token, what fits and what does not (with numbers)."""

from __future__ import annotations

import pytest

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import Precision
from simulate.memory import GIB, kv_bytes_per_token, memory_fit, usable_gib, weight_bytes
from tests.unit.simulate.factories import make_config


def test_70b_bf16_on_one_l4_does_not_fit_and_says_by_how_much(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    config = make_config("meta-llama/Llama-3.1-70B", "L4", precision=Precision.BF16)
    fit = memory_fit(models["meta-llama/Llama-3.1-70B"], gpus["L4"], config)
    assert not fit.fits
    assert fit.reason.startswith("does not fit: needs ")
    assert "has 21.6 GiB (24 GiB × 0.9)" in fit.reason
    assert fit.weights_gib == pytest.approx(131.4, rel=0.01)
    assert fit.kv_capacity_tokens == 0


def test_8b_fp8_on_h100_fits_with_room_for_many_sequences(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    fit = memory_fit(models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"], make_config())
    assert fit.fits
    assert fit.reason == ""
    assert 8.0 < fit.weights_gib < 9.5
    assert fit.kv_capacity_tokens > 400_000
    assert fit.max_sequences == fit.kv_capacity_tokens // 8192


def test_usable_memory_is_a_share_of_what_the_device_reports(gpus: dict[str, GpuSpec]) -> None:
    # vLLM counts gpu_memory_utilization of the device's GiB: an "80GB" H100 reports 80 GiB.
    assert usable_gib(gpus["H100-SXM-80GB"], 0.9) == pytest.approx(72.0)
    # Where no source gives the device's GiB, the published GB is converted (conservative).
    assert usable_gib(gpus["T4"], 1.0) == pytest.approx(16e9 / GIB)


def test_70b_bf16_tp2_fits_two_a100_80gb_as_vllm_counts_it(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    config = make_config(
        "meta-llama/Llama-3.1-70B", "A100-SXM-80GB", precision=Precision.BF16, tensor_parallel=2
    )
    fit = memory_fit(models["meta-llama/Llama-3.1-70B"], gpus["A100-SXM-80GB"], config)
    assert fit.fits, fit.reason
    assert fit.usable_gib == pytest.approx(72.0)


@pytest.mark.parametrize(
    ("precision", "low", "high"),
    [
        pytest.param(Precision.BF16, 16.0e9, 16.1e9, id="bf16-2-bytes"),
        pytest.param(Precision.FP8, 8.5e9, 9.2e9, id="fp8-embeddings-kept-16-bit"),
        pytest.param(Precision.INT4, 5.0e9, 5.8e9, id="int4-with-scales"),
    ],
)
def test_weight_bytes_by_precision(
    models: dict[str, ModelSpec], precision: Precision, low: float, high: float
) -> None:
    assert low <= weight_bytes(models["meta-llama/Llama-3.1-8B"], precision) <= high


@pytest.mark.parametrize(
    ("model", "dtype", "expected"),
    [
        pytest.param("meta-llama/Llama-3.1-8B", "auto", 2 * 8 * 128 * 2 * 32, id="gqa"),
        pytest.param("meta-llama/Llama-2-7b-hf", "auto", 2 * 32 * 128 * 2 * 32, id="mha"),
        pytest.param("meta-llama/Llama-3.1-8B", "fp8", 2 * 8 * 128 * 1 * 32, id="fp8-kv"),
    ],
)
def test_kv_bytes_per_token(
    models: dict[str, ModelSpec], model: str, dtype: str, expected: float
) -> None:
    assert kv_bytes_per_token(models[model], dtype) == expected


def test_mla_stores_the_compressed_latent(models: dict[str, ModelSpec]) -> None:
    mla = next(m for m in models.values() if m.kv_lora_rank)
    assert kv_bytes_per_token(mla) == ((mla.kv_lora_rank or 0) + 64) * 2 * mla.layers


def test_sliding_window_shrinks_long_context_kv(models: dict[str, ModelSpec]) -> None:
    windowed = next(m for m in models.values() if m.sliding_window)
    short = kv_bytes_per_token(windowed, context=0)
    long = kv_bytes_per_token(windowed, context=32 * (windowed.sliding_window or 1))
    assert long < 0.5 * short


def test_trtllm_gives_the_kv_cache_a_share_of_the_memory_left_after_weights(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    model, gpu = models["meta-llama/Llama-2-70b-hf"], gpus["A100-SXM-80GB"]
    common = {"precision": Precision.FP16, "tensor_parallel": 2, "max_model_len": 2048}
    vllm = memory_fit(model, gpu, make_config(model.hf_id, gpu.name, **common))
    trtllm = memory_fit(model, gpu, make_config(model.hf_id, gpu.name, engine="trtllm", **common))
    assert trtllm.kv_capacity_tokens > 2 * max(vllm.kv_capacity_tokens, 1)
    left = usable_gib(gpu, 1.0) - trtllm.weights_gib - trtllm.overhead_gib
    assert trtllm.kv_cache_gib == pytest.approx(0.9 * left, abs=0.01)
