"""The fast steady-state path: latency percentiles and throughput without simulating requests.

:func:`predict_arrays` prices many (replica, workload) pairs at once with numpy — calibration
fits through it and capacity search bisects through it; :func:`estimate` is the one-replica
public entry. Load kinds:

* static batch — every request prefills together, then decodes together;
* closed-loop concurrency — ``C`` requests in flight; steady state by fixed point;
* open-loop rate — Poisson arrivals; decode residence by Little's law, prefill queueing as an
  M/G/1 queue on the compute the prompts need, tails from an exponential waiting time;
* saturated (``KIND_MAX``) — as many sequences as memory and ``max_num_seqs`` allow.

Per-request ITL is each request's mean time per output token (what GenAI-Perf and MLPerf
report); its spread comes from how many prompts are prefilled during the request's decode.
No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import LoadKind, Percentiles, PerformanceEstimate, ServingConfig, Workload
from simulate.calibration import Calibration, Efficiencies
from simulate.memory import memory_fit
from simulate.step_time import (
    Arr,
    Efficiency,
    ReplicaCosts,
    allreduce_bytes_s,
    attention_flops_s,
    matmul_flops_s,
    replica_costs,
    step_s,
)

KIND_BATCH, KIND_CONCURRENCY, KIND_RATE, KIND_MAX = 0.0, 1.0, 2.0, 3.0
KIND_CODES = {LoadKind.BATCH: KIND_BATCH, LoadKind.CONCURRENCY: KIND_CONCURRENCY, LoadKind.RATE: KIND_RATE}
PERCENTILES = (50, 90, 95, 99)
_Z = {50: 0.0, 90: 1.2816, 95: 1.6449, 99: 2.3263}
SATURATED_RUN_REQUESTS = 1000.0  # a saturated queue is reported as it stands after this many
_FIXED_POINT_ITERATIONS = 40


@dataclass(frozen=True)
class Shapes:
    """Workload and scheduler limits per row (1-d arrays or 0-d for one row)."""

    input_tokens: Arr
    output_tokens: Arr
    kind: Arr  # KIND_* codes
    value: Arr  # batch size, concurrency or requests/s, per replica
    max_num_seqs: Arr
    max_num_batched_tokens: Arr
    kv_capacity_tokens: Arr
    length_cv: Arr


@dataclass(frozen=True)
class Predictions:
    """Predicted latencies (ms) per percentile and throughput per replica."""

    ttft_ms: dict[int, Arr]
    itl_ms: dict[int, Arr]
    e2e_ms: dict[int, Arr]
    output_tok_per_s: Arr
    req_per_s: Arr
    kv_usage: Arr
    saturated: Arr


def efficiency_arrays(effs: list[Efficiencies]) -> tuple[Efficiency, Arr]:
    """Turn calibrated factors into step-time efficiencies (and the TTFT overhead, seconds).

    Args:
        effs: One entry per row (or one for a single estimate).

    Returns:
        (step efficiencies, per-request TTFT overhead in seconds).
    """

    def col(name: str, scale: float = 1.0) -> Arr:
        return np.array([getattr(e, name) * scale for e in effs], dtype=np.float64)

    eff = Efficiency(
        memory=col("memory"),
        prefill=col("prefill"),
        decode=col("decode"),
        overhead_s=col("overhead_ms", 1e-3),
        per_layer_s=col("per_layer_us", 1e-6),
        allreduce_latency_s=col("allreduce_us", 1e-6),
    )
    return eff, col("ttft_overhead_ms", 1e-3)


def _lognormal_quantile(cv: Arr, percentile: int) -> Arr:
    sigma = np.sqrt(np.log1p(cv * cv))
    return np.exp(_Z[percentile] * sigma - 0.5 * sigma * sigma)


def _prefill_alone_s(
    costs: ReplicaCosts, eff: Efficiency, tokens: Arr, pairs: Arr, chunk: Arr
) -> Arr:
    chunks = np.maximum(1.0, np.ceil(tokens / chunk))
    return chunks * step_s(
        costs, eff, decode_seqs=0.0, context_tokens=0.0,
        prefill_tokens=tokens / chunks, prefill_pairs=pairs / chunks,
    )


def _marginal_prefill_s(costs: ReplicaCosts, eff: Efficiency, tokens: Arr, pairs: Arr) -> Arr:
    """Compute one prompt adds to steps that already stream the weights."""
    compute = (matmul_flops_s(costs, tokens) + attention_flops_s(costs, pairs)) / eff.prefill
    return compute + allreduce_bytes_s(costs, tokens)


def predict_arrays(costs: ReplicaCosts, eff: Efficiency, ttft_overhead_s: Arr, shapes: Shapes) -> Predictions:
    """Predict every row at once.

    Args:
        costs: Replica constants per row.
        eff: Efficiencies per row.
        ttft_overhead_s: Per-request TTFT overhead per row, seconds.
        shapes: Workload per row.

    Returns:
        Predictions per row.
    """
    i, o = shapes.input_tokens, np.maximum(shapes.output_tokens, 1.0)
    ctx = i + 0.5 * o
    n_cap = np.maximum(1.0, np.floor(shapes.kv_capacity_tokens / (i + o)))
    n_max = np.minimum(shapes.max_num_seqs, n_cap)
    chunk = np.maximum(shapes.max_num_batched_tokens, 1.0)
    pairs_one = 0.5 * i * (i + 1.0)
    kind = shapes.kind

    def decode_step(n: Arr, prefill_share: Arr) -> Arr:
        return step_s(
            costs, eff, decode_seqs=n, context_tokens=n * ctx,
            prefill_tokens=prefill_share * i, prefill_pairs=prefill_share * pairs_one,
        )

    # Static batch: everything prefills, then everything decodes, in waves if memory forces it.
    batch = np.where(kind == KIND_BATCH, shapes.value, 1.0)
    b_run = np.minimum(batch, n_max)
    waves = np.ceil(batch / b_run)
    static_prefill = _prefill_alone_s(costs, eff, b_run * i, b_run * pairs_one, chunk)
    static_itl = decode_step(b_run, np.zeros_like(i))

    # Steady state under load: n sequences decode, prompts ride along at n/o per step.
    alone = _prefill_alone_s(costs, eff, i, pairs_one, chunk)
    marginal = _marginal_prefill_s(costs, eff, i, pairs_one)
    n = np.where(kind == KIND_CONCURRENCY, np.minimum(shapes.value, n_max), np.minimum(1.0, n_max))
    n = np.where(kind == KIND_MAX, n_max, n)
    lam = np.where(kind == KIND_RATE, shapes.value, 0.0)
    for _ in range(_FIXED_POINT_ITERATIONS):
        itl = decode_step(n, n / o)
        ttft_base = np.maximum(alone, marginal + itl)
        target = np.where(kind == KIND_RATE, lam * ((o - 1.0) * itl + ttft_base), n)
        n = np.clip(0.5 * n + 0.5 * target, 1e-3, n_max)
    itl_mean = decode_step(n, n / o)
    ttft_base = np.maximum(alone, marginal + itl_mean)
    cycle = ttft_base + (o - 1.0) * itl_mean
    capacity_rps = n_max / (
        np.maximum(alone, marginal + decode_step(n_max, n_max / o)) + (o - 1.0) * decode_step(n_max, n_max / o)
    )
    conc = np.where(kind == KIND_CONCURRENCY, shapes.value, n)
    lam = np.where(kind == KIND_RATE, lam, n / cycle)
    lam = np.where(kind == KIND_CONCURRENCY, np.minimum(conc, n_max) / cycle, lam)

    # Queueing of prompts on the compute they need (M/G/1), plus waiting for a free slot.
    rho = np.clip(lam * marginal, 0.0, 0.999)
    wait_mean = rho * marginal / (2.0 * (1.0 - rho))
    slot_wait = np.where(kind == KIND_CONCURRENCY, np.maximum(conc - n_max, 0.0) / lam, 0.0)
    saturated = (kind == KIND_RATE) & (lam >= capacity_rps * 0.999)
    backlog = SATURATED_RUN_REQUESTS * np.maximum(0.0, 1.0 / capacity_rps - 1.0 / np.maximum(lam, 1e-9))

    # Per-request ITL spread: prompts prefilled during one request's decode (Poisson).
    pure = decode_step(n, np.zeros_like(i))
    arrivals = np.maximum(lam * (o - 1.0) * itl_mean, 1e-9)
    extra = np.maximum(itl_mean - pure, 0.0) * (o - 1.0) / arrivals
    itl_std = np.sqrt(arrivals) * extra / np.maximum(o - 1.0, 1.0)

    ttft: dict[int, Arr] = {}
    itl_p: dict[int, Arr] = {}
    e2e: dict[int, Arr] = {}
    for p in PERCENTILES:
        q = p / 100.0
        wait_p = np.where(rho > 1.0 - q, wait_mean / np.maximum(rho, 1e-9) * np.log(rho / (1.0 - q)), 0.0)
        wait_p = np.maximum(wait_p, 0.0) + slot_wait + np.where(saturated, backlog * q, 0.0)
        load_ttft = ttft_base * _lognormal_quantile(shapes.length_cv, p) + wait_p
        load_itl = itl_mean + _Z[p] * itl_std
        o_p = o * _lognormal_quantile(shapes.length_cv, p)
        load_e2e = load_ttft + np.maximum(o_p - 1.0, 0.0) * load_itl
        static_e2e = waves * (static_prefill + (o - 1.0) * static_itl)
        is_static = kind == KIND_BATCH
        # Only served loads pay the API server's per-request time; a static batch is an
        # engine benchmark with no server in front.
        ttft[p] = 1e3 * np.where(is_static, static_prefill, load_ttft + ttft_overhead_s)
        itl_p[p] = 1e3 * np.where(is_static, static_itl, load_itl)
        e2e[p] = 1e3 * np.where(is_static, static_e2e, load_e2e + ttft_overhead_s)
    static_tput = batch * o / (e2e[50] / 1e3)
    load_lam = np.where(saturated, capacity_rps, lam)
    req = np.where(kind == KIND_BATCH, batch / (e2e[50] / 1e3), load_lam)
    running = np.where(kind == KIND_BATCH, b_run, n)
    return Predictions(
        ttft_ms=ttft,
        itl_ms=itl_p,
        e2e_ms=e2e,
        output_tok_per_s=np.where(kind == KIND_BATCH, static_tput, load_lam * o),
        req_per_s=req,
        kv_usage=np.clip(running * (i + o) / np.maximum(shapes.kv_capacity_tokens, 1.0), 0.0, 1.0),
        saturated=saturated,
    )


def shapes_for(config: ServingConfig, workload: Workload, kv_capacity_tokens: int) -> Shapes:
    """Shapes of one replica under one workload.

    Args:
        config: Serving configuration.
        workload: Offered load (per replica).
        kv_capacity_tokens: KV tokens the replica holds.

    Returns:
        0-d array shapes.
    """

    def one(value: float) -> Arr:
        return np.array([value], dtype=np.float64)

    return Shapes(
        input_tokens=one(workload.input_tokens),
        output_tokens=one(workload.output_tokens),
        kind=one(KIND_CODES[workload.kind]),
        value=one(workload.value),
        max_num_seqs=one(config.max_num_seqs),
        max_num_batched_tokens=one(config.max_num_batched_tokens),
        kv_capacity_tokens=one(max(kv_capacity_tokens, 1)),
        length_cv=one(workload.length_cv),
    )


def _percentiles(values: dict[int, Arr]) -> Percentiles:
    return Percentiles(**{f"p{p}": float(values[p][0]) for p in PERCENTILES})


def estimate(
    model: ModelSpec,
    gpu: GpuSpec,
    config: ServingConfig,
    workload: Workload,
    calibration: Calibration,
) -> PerformanceEstimate:
    """Steady-state latency percentiles and throughput of one replica (fast, about 0.3 ms).

    Args:
        model: The architecture.
        gpu: The GPU.
        config: One replica's serving configuration.
        workload: Load offered to this replica.
        calibration: Efficiency factors.

    Returns:
        The estimate; ``notes`` say when the configuration does not fit or the rate saturates.
    """
    fit = memory_fit(model, gpu, config)
    effs, basis, detail = calibration.lookup(config.engine, gpu)
    eff, ttft_overhead = efficiency_arrays([effs])
    costs = replica_costs(model, gpu, config)
    pred = predict_arrays(costs, eff, ttft_overhead, shapes_for(config, workload, fit.kv_capacity_tokens))
    notes: list[str] = []
    if not fit.fits:
        notes.append(fit.reason)
    if bool(pred.saturated[0]):
        notes.append(
            f"saturated: {workload.value:g} req/s is beyond this replica's capacity "
            f"(about {float(pred.req_per_s[0]):.2f} req/s); the queue grows without bound"
        )
    out = float(pred.output_tok_per_s[0])
    req = float(pred.req_per_s[0])
    return PerformanceEstimate(
        ttft_ms=_percentiles(pred.ttft_ms),
        itl_ms=_percentiles(pred.itl_ms),
        e2e_ms=_percentiles(pred.e2e_ms),
        output_tok_per_s=out,
        total_tok_per_s=out + req * workload.input_tokens,
        req_per_s=req,
        kv_cache_usage=float(pred.kv_usage[0]),
        method="analytical",
        basis=basis,
        basis_detail=detail,
        notes=tuple(notes),
    )
