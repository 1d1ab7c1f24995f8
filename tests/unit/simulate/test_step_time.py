"""Step-time terms: each term against hand arithmetic, and the combination."""

from __future__ import annotations

import numpy as np
import pytest

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import Precision
from simulate.step_scalar import ScalarStep
from simulate.step_time import (
    Efficiency,
    ReplicaCosts,
    allreduce_count,
    allreduce_s,
    attention_flops_s,
    experts_touched,
    kv_read_s,
    matmul_flops_s,
    moe_slowdown,
    replica_costs,
    ridge_penalty,
    step_overhead_s,
    step_s,
    weight_read_s,
)
from tests.unit.simulate.factories import make_config


def _eff(**changes: float) -> Efficiency:
    values = {
        "memory": 1.0,
        "kv_memory": 1.0,
        "prefill": 1.0,
        "decode": 1.0,
        "overhead_s": 0.0,
        "per_layer_s": 0.0,
        "per_seq_s": 0.0,
        "allreduce_latency_s": 0.0,
    }
    values.update(changes)
    return Efficiency(**{k: np.asarray(v) for k, v in values.items()})


@pytest.fixture(scope="module")
def h100_8b(models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]) -> ReplicaCosts:
    return replica_costs(models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"], make_config())


@pytest.fixture(scope="module")
def h100_70b_tp4(models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]) -> ReplicaCosts:
    config = make_config("meta-llama/Llama-3.1-70B", tensor_parallel=4)
    return replica_costs(models["meta-llama/Llama-3.1-70B"], gpus["H100-SXM-80GB"], config)


def test_weight_read_streams_all_dense_weights(h100_8b: ReplicaCosts) -> None:
    assert float(weight_read_s(h100_8b, 1.0)) == pytest.approx(
        float(h100_8b.dense_weight_bytes) / 3350e9
    )


def test_kv_read_is_linear_in_context(h100_8b: ReplicaCosts) -> None:
    assert float(kv_read_s(h100_8b, 1000.0)) == pytest.approx(1000 * 131072 / 3350e9)


def test_matmul_flops_two_per_active_parameter(h100_8b: ReplicaCosts) -> None:
    assert float(matmul_flops_s(h100_8b, 100.0)) == pytest.approx(2 * 8.03e9 * 100 / 1978e12)


def test_attention_flops_per_pair(h100_8b: ReplicaCosts) -> None:
    assert float(attention_flops_s(h100_8b, 1e6)) == pytest.approx(
        4 * 32 * 32 * 128 * 1e6 / 1978e12
    )


def test_allreduce_two_per_layer_only_with_tensor_parallel(
    h100_8b: ReplicaCosts, h100_70b_tp4: ReplicaCosts
) -> None:
    assert float(allreduce_count(h100_8b)) == 0.0
    assert float(allreduce_s(h100_8b, 64.0, 1e-5)) == 0.0
    assert float(allreduce_count(h100_70b_tp4)) == 160.0
    ring = 2 * 80 * 64 * 8192 * 2 * (2 * 3 / 4) / 450e9
    assert float(allreduce_s(h100_70b_tp4, 64.0, 1e-5)) == pytest.approx(ring + 160 * 1e-5)


def test_step_overhead_has_fixed_and_per_layer_parts(h100_8b: ReplicaCosts) -> None:
    assert float(step_overhead_s(h100_8b, 1e-3, 1e-5)) == pytest.approx(1e-3 + 32 * 1e-5)


def test_moe_experts_touched_grow_with_tokens(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    model = models["mistralai/Mixtral-8x7B-v0.1"]
    costs = replica_costs(model, gpus["H100-SXM-80GB"], make_config(model.hf_id))
    touched = [float(experts_touched(costs, n)) for n in (1, 4, 64)]
    assert touched[0] == pytest.approx(2.0)
    assert touched[0] < touched[1] < touched[2] <= 8.0
    assert float(weight_read_s(costs, 1)) < float(weight_read_s(costs, 64))


def test_step_is_max_of_memory_and_compute_plus_overheads(h100_8b: ReplicaCosts) -> None:
    eff = _eff(overhead_s=1e-3)
    decode = float(step_s(h100_8b, eff, decode_seqs=1, context_tokens=1000))
    memory = float(weight_read_s(h100_8b, 1) + kv_read_s(h100_8b, 1000))
    assert decode == pytest.approx(memory + 1e-3)
    prefill = float(
        step_s(
            h100_8b,
            eff,
            decode_seqs=0,
            context_tokens=0,
            prefill_tokens=8192,
            prefill_pairs=8192 * 4096,
        )
    )
    compute = float(matmul_flops_s(h100_8b, 8192) + attention_flops_s(h100_8b, 8192 * 4096))
    ridge = float(ridge_penalty(weight_read_s(h100_8b, 8192), matmul_flops_s(h100_8b, 8192)))
    assert prefill == pytest.approx(compute + ridge + 1e-3)


@pytest.mark.parametrize(
    ("memory", "prompt", "expected"),
    [
        pytest.param(1.0, 0.0, 0.0, id="no-prompt"),
        pytest.param(1.0, 1.0, np.sqrt(2.0) - 1.0, id="at-ridge"),
        pytest.param(1.0, 100.0, np.sqrt(1.0 + 1e4) - 100.0, id="compute-bound"),
    ],
)
def test_ridge_penalty_is_largest_at_the_ridge(
    memory: float, prompt: float, expected: float
) -> None:
    assert float(ridge_penalty(memory, prompt)) == pytest.approx(expected)
    assert float(ridge_penalty(memory, prompt)) <= float(ridge_penalty(1.0, 1.0)) + 1e-12


def test_moe_slowdown_applies_to_routed_experts_only(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], h100_8b: ReplicaCosts
) -> None:
    model = models["mistralai/Mixtral-8x7B-v0.1"]
    moe = replica_costs(model, gpus["H100-SXM-80GB"], make_config(model.hf_id))
    half = _eff(moe=0.5)
    assert float(moe_slowdown(h100_8b, half)) == pytest.approx(1.0)
    share = float(moe.expert_share)
    assert 0.5 < share < 1.0
    assert float(moe_slowdown(moe, half)) == pytest.approx(1.0 + share)
    assert float(moe_slowdown(moe, _eff())) == pytest.approx(1.0)


def test_lower_efficiency_means_slower_steps(h100_8b: ReplicaCosts) -> None:
    fast = float(step_s(h100_8b, _eff(), decode_seqs=8, context_tokens=8000))
    slow = float(
        step_s(h100_8b, _eff(memory=0.5, kv_memory=0.5), decode_seqs=8, context_tokens=8000)
    )
    assert slow == pytest.approx(2 * fast)


@pytest.mark.parametrize(
    ("decode", "context", "prefill", "pairs"),
    [
        pytest.param(1.0, 500.0, 0.0, 0.0, id="decode-one"),
        pytest.param(128.0, 128_000.0, 0.0, 0.0, id="decode-batch"),
        pytest.param(32.0, 40_000.0, 2048.0, 2048.0 * 1024, id="mixed"),
    ],
)
def test_scalar_step_matches_vectorised_step(
    h100_70b_tp4: ReplicaCosts, decode: float, context: float, prefill: float, pairs: float
) -> None:
    eff = _eff(
        memory=0.8,
        kv_memory=0.5,
        prefill=0.6,
        decode=0.3,
        overhead_s=1e-3,
        per_layer_s=2e-6,
        per_seq_s=3e-6,
        allreduce_latency_s=1e-5,
    )
    vector = float(
        step_s(
            h100_70b_tp4,
            eff,
            decode_seqs=decode,
            context_tokens=context,
            prefill_tokens=prefill,
            prefill_pairs=pairs,
        )
    )
    assert ScalarStep(h100_70b_tp4, eff)(decode, context, prefill, pairs) == pytest.approx(vector)


def test_decode_run_is_cumulative_and_growing(h100_8b: ReplicaCosts) -> None:
    times = ScalarStep(h100_8b, _eff()).decode_run_s(64, 64_000.0, 10)
    steps = np.diff(times)
    assert times.shape == (10,)
    assert bool(np.all(steps > 0)) and steps[-1] >= steps[0]


def test_fp4_computes_at_16_bit_where_the_gpu_has_no_fp4_tensor_cores(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    model = models["openai/gpt-oss-120b"]
    for gpu, flops in (("H100-SXM-80GB", "bf16"), ("B200-SXM-180GB", "fp4")):
        config = make_config(model.hf_id, gpu, precision=Precision.FP4)
        costs = replica_costs(model, gpus[gpu], config)
        assert float(costs.flops_per_s) == gpus[gpu].tflops_for(flops) * 1e12
