"""Cost terms of current serving techniques: MLA + DP attention, EP, MTP, disaggregation."""

from __future__ import annotations

import numpy as np
import pytest

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import Precision
from knowledge.records import load_records
from simulate.calibration import Calibration
from simulate.load_terms import (
    LoadCode,
    Shapes,
    burst_terms,
    disaggregated_terms,
    in_step_loop,
    prompt_wait,
    served_step_terms,
)
from simulate.rows import Case, case_costs, case_from_record, technique_shapes
from simulate.step_time import (
    INTER_NODE_BYTES_PER_S,
    Efficiency,
    expert_alltoall_s,
    kv_read_s,
    kv_shards,
    kv_transfer_s,
    link_bytes_per_s,
    matmul_flops_s,
    replica_costs,
    speculative_itl_s,
    step_s,
    weight_read_s,
)
from simulate.validation import predict_records
from tests.unit.simulate.factories import make_config
from tests.unit.simulate.test_step_time import _eff

R1 = "deepseek-ai/DeepSeek-R1"
MODERN_SOURCES = {
    "inferencex_api_fixture",
    "gpustack_perf_lab",
    "rocm_vllm_devdocker",
    "blis_training_vllm_h100",
}


def _shapes(**changes: float) -> Shapes:
    values = {
        "input_tokens": 1000.0,
        "output_tokens": 200.0,
        "kind": float(LoadCode.CONCURRENCY),
        "value": 32.0,
        "max_num_seqs": 256.0,
        "max_num_batched_tokens": 8192.0,
        "kv_capacity_tokens": 1e6,
        "length_cv": 0.0,
    }
    values.update(changes)
    return Shapes(**{k: np.asarray(v) for k, v in values.items()})


def test_mla_cache_is_whole_on_every_rank_unless_attention_is_data_parallel(
    models: dict[str, ModelSpec],
) -> None:
    assert kv_shards(models[R1], 8, dp_attention=False) == 1
    assert kv_shards(models[R1], 8, dp_attention=True) == 8
    assert kv_shards(models["meta-llama/Llama-3.1-70B"], 4, dp_attention=False) == 4


def test_mla_kv_read_per_rank_does_not_shrink_with_tensor_parallel(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    config = make_config(R1, "H200-SXM-141GB", tensor_parallel=8)
    tp_only = replica_costs(models[R1], gpus["H200-SXM-141GB"], config)
    dpa = replica_costs(models[R1], gpus["H200-SXM-141GB"], config, dp_attention=True)
    assert float(kv_read_s(tp_only, 1e5)) == pytest.approx(8 * float(kv_read_s(dpa, 1e5)))
    latent = (512 + 64) * 2 * 61  # kv_lora_rank + rope dims, 16 bit, every layer
    assert float(kv_read_s(tp_only, 1e5)) == pytest.approx(latent * 1e5 / (4800e9))


def test_tensor_parallel_beyond_a_node_uses_the_network_except_in_an_nvl72_rack(
    gpus: dict[str, GpuSpec],
) -> None:
    h100 = gpus["H100-SXM-80GB"]
    assert link_bytes_per_s(h100, 8) == h100.interconnect_gbps * 1e9
    assert link_bytes_per_s(h100, 16) == INTER_NODE_BYTES_PER_S
    gb200 = gpus["GB200"]
    assert link_bytes_per_s(gb200, 32) == gb200.interconnect_gbps * 1e9


def test_expert_alltoall_grows_with_tokens_and_vanishes_without_ep(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    config = make_config(R1, "H200-SXM-141GB", tensor_parallel=8)
    gpu = gpus["H200-SXM-141GB"]
    no_ep = replica_costs(models[R1], gpu, config)
    ep8 = replica_costs(models[R1], gpu, config, expert_parallel=8)
    assert float(expert_alltoall_s(no_ep, 256.0)) == 0.0
    one = float(expert_alltoall_s(ep8, 1.0))
    # 2 (dispatch + combine) × top-8 × hidden 7168 × 2 bytes × 7/8 leaving × 61 layers / (8 links)
    assert one == pytest.approx(2 * 8 * 7168 * 2 * 7 / 8 * 61 / (8 * gpu.interconnect_gbps * 1e9))
    assert float(expert_alltoall_s(ep8, 256.0)) == pytest.approx(256 * one)
    dense = replica_costs(
        models["meta-llama/Llama-3.1-70B"], gpu, make_config("meta-llama/Llama-3.1-70B")
    )
    assert float(dense.expert_parallel) == 1.0


def test_speculative_step_verifies_more_tokens_and_emits_the_accepted_length(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    costs = replica_costs(models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"], make_config())
    eff: Efficiency = _eff()
    plain = step_s(costs, eff, decode_seqs=64.0, context_tokens=64 * 1000.0)
    verify = step_s(costs, eff, decode_seqs=64.0, context_tokens=64 * 1000.0, verify_tokens=2.0)
    assert float(verify) >= float(plain)
    assert float(speculative_itl_s(verify, 1.85)) == pytest.approx(float(verify) / 1.85)
    assert float(speculative_itl_s(plain, 0.5)) == float(plain)  # never below one token


def test_kv_transfer_moves_the_prompt_cache_over_the_nics(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    config = make_config(R1, "B200-SXM-180GB", tensor_parallel=8, precision=Precision.FP4)
    costs = replica_costs(models[R1], gpus["B200-SXM-180GB"], config)
    expected = float(costs.kv_bytes_per_token) * 8192 / (1 * INTER_NODE_BYTES_PER_S)
    assert float(kv_transfer_s(costs, 8192.0)) == pytest.approx(expected)


def test_disaggregated_decode_steps_carry_no_prompts(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    costs = replica_costs(models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"], make_config())
    eff = _eff(overhead_s=1e-3)
    n, chunk = np.asarray(32.0), np.asarray(8192.0)
    served = served_step_terms(costs, eff, n, _shapes(), chunk)
    split = disaggregated_terms(
        costs, eff, n, _shapes(disaggregated=1.0, kv_transfer_s=0.004), chunk
    )
    assert float(split.itl) == pytest.approx(float(split.pure))
    assert float(served.itl) > float(split.itl)
    # A prefill twice as wide (prefill TP / decode TP = 2) takes half the time.
    wide = disaggregated_terms(
        costs, eff, n, _shapes(disaggregated=1.0, prefill_slowdown=0.5), chunk
    )
    narrow = disaggregated_terms(costs, eff, n, _shapes(disaggregated=1.0), chunk)
    assert float(wide.ttft - wide.pure) == pytest.approx(0.5 * float(narrow.ttft - narrow.pure))
    assert float(split.ttft - narrow.ttft) == pytest.approx(0.004)


def test_a_closed_loop_of_varied_lengths_does_not_queue_as_a_burst(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    costs = replica_costs(models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"], make_config())
    eff = _eff(overhead_s=1e-3)
    n, chunk = np.asarray(64.0), np.asarray(2048.0)
    fixed, varied = _shapes(value=64.0), _shapes(value=64.0, varied_lengths=1.0)
    assert bool(in_step_loop(fixed)) and not bool(in_step_loop(varied))
    assert not bool(in_step_loop(_shapes(length_cv=0.5)))
    assert not bool(in_step_loop(_shapes(kind=float(LoadCode.RATE))))
    terms = served_step_terms(costs, eff, n, fixed, chunk)
    lam = n / (terms.ttft + 199.0 * terms.itl)
    waits = [
        prompt_wait(terms, shapes, n, lam, np.asarray(np.inf), chunk).wait
        for shapes in (fixed, varied)
    ]
    # In step, the median request waits for half the other prompts; spread out, far less.
    assert float(waits[0].flat[0]) >= 0.5 * 63 * float(terms.marginal)
    assert float(waits[1].flat[0]) < 0.25 * float(waits[0].flat[0])


def test_every_modern_prediction_is_above_its_physical_floor(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec], calibration: Calibration
) -> None:
    """ITL ≥ weights one token touches ÷ HBM bandwidth; TTFT ≥ 2·active params·prompt ÷ FLOP/s."""
    records = [r for r in load_records() if r.provenance.source_id in MODERN_SOURCES]
    predictions = predict_records(records, models, gpus, calibration)
    checked = 0
    for pred in predictions:
        case = case_from_record(pred.record, models, gpus)
        if not pred.predicted or not isinstance(case, Case):
            continue
        costs = case_costs(case)
        accepted = technique_shapes(case)["accepted_tokens"]
        itl_floor = float(weight_read_s(costs, 1.0)) / accepted
        assert pred.values["itl_p50"] >= 1e3 * itl_floor * 0.999, pred.record.id
        if case.kind != LoadCode.SATURATED and not technique_shapes(case)["disaggregated"]:
            ttft_floor = float(matmul_flops_s(costs, case.input_tokens))
            assert pred.values["ttft_p50"] >= 1e3 * ttft_floor * 0.999, pred.record.id
        checked += 1
    assert checked > 1500


def test_a_burst_refills_slots_as_requests_finish(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    costs = replica_costs(models["meta-llama/Llama-3.1-8B"], gpus["H100-SXM-80GB"], make_config())
    eff = _eff(overhead_s=1e-3)
    n, chunk = np.asarray(256.0), np.asarray(8192.0)
    shapes = _shapes(kind=float(LoadCode.BURST), value=1000.0)
    terms = served_step_terms(costs, eff, n, shapes, chunk)
    service = terms.ttft + 199.0 * terms.itl
    lam = n / service
    burst = burst_terms(terms, shapes, n, lam)
    # The median request has 500 prompts ahead: 256 prefilled with it, 244 slots to wait for.
    median = float(burst.wait[0, 0])
    assert median == pytest.approx(float(256 * terms.marginal + 244 / lam))
    assert float(burst.wait[-1, 0]) > median  # p99 waits longer
    assert float(burst.duration) == pytest.approx(float(256 * terms.marginal + 744 / lam + service))
    # A burst that fits in the slots waits only for the prefills ahead of it.
    small = burst_terms(terms, _shapes(kind=float(LoadCode.BURST), value=100.0), n, lam)
    assert float(small.wait[0, 0]) == pytest.approx(float(50 * terms.marginal))
