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

from dataclasses import dataclass, fields, replace
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import LoadKind, Percentiles, PerformanceEstimate, ServingConfig, Workload
from simulate.calibration import Calibration, Efficiencies
from simulate.memory import memory_fit
from simulate.step_time import (
    Arr,
    Efficiency,
    ReplicaCosts,
    replica_costs,
    step_s,
)

KIND_BATCH, KIND_CONCURRENCY, KIND_RATE, KIND_MAX = 0.0, 1.0, 2.0, 3.0
KIND_CODES = {
    LoadKind.BATCH: KIND_BATCH,
    LoadKind.CONCURRENCY: KIND_CONCURRENCY,
    LoadKind.RATE: KIND_RATE,
}
PERCENTILES = (50, 90, 95, 99)
_Z = {50: 0.0, 90: 1.2816, 95: 1.6449, 99: 2.3263}
_Q = np.array([p / 100.0 for p in PERCENTILES])
_ZS = np.array([_Z[p] for p in PERCENTILES])
SATURATED_RUN_REQUESTS = 1000.0  # a saturated queue is reported as it stands after this many
_GRID = np.geomspace(1e-3, 1.0, 48)  # shares of the most sequences that fit, for the rate solve
BoolArr = npt.NDArray[np.bool_]
_T = TypeVar("_T", ReplicaCosts, Efficiency)


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
    saturated: BoolArr


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
        kv_memory=col("kv_memory"),
        prefill=col("prefill"),
        decode=col("decode"),
        overhead_s=col("overhead_ms", 1e-3),
        per_layer_s=col("per_layer_us", 1e-6),
        per_seq_s=col("per_seq_us", 1e-6),
        allreduce_latency_s=col("allreduce_us", 1e-6),
        moe=col("moe"),
    )
    return eff, col("ttft_overhead_ms", 1e-3)


def _prefill_alone_s(
    costs: ReplicaCosts, eff: Efficiency, tokens: Arr, pairs: Arr, chunk: Arr
) -> Arr:
    chunks = np.maximum(1.0, np.ceil(tokens / chunk))
    return chunks * step_s(
        costs,
        eff,
        decode_seqs=0.0,
        context_tokens=0.0,
        prefill_tokens=tokens / chunks,
        prefill_pairs=pairs / chunks,
    )


def _expand(item: _T) -> _T:
    """Add a trailing axis to every array field, so rows broadcast against a grid."""
    return replace(
        item, **{f.name: np.asarray(getattr(item, f.name))[..., None] for f in fields(item)}
    )


@dataclass(frozen=True)
class _Load:
    """Steady-state terms with ``n`` sequences decoding."""

    pure: Arr  # a decode step without prompts
    marginal: Arr  # time one prompt adds to the steps it rides on
    itl: Arr  # mean time per output token
    ttft: Arr  # own prefill, chunk by chunk, riding on decode steps


def _load_terms(costs: ReplicaCosts, eff: Efficiency, n: Arr, i: Arr, o: Arr, chunk: Arr) -> _Load:
    ctx = i + 0.5 * o
    chunks = np.maximum(1.0, np.ceil(i / chunk))
    pairs = 0.5 * i * (i + 1.0)
    pure = step_s(costs, eff, decode_seqs=n, context_tokens=n * ctx)
    with_chunk = step_s(
        costs,
        eff,
        decode_seqs=n,
        context_tokens=n * ctx,
        prefill_tokens=i / chunks,
        prefill_pairs=pairs / chunks,
    )
    marginal = chunks * (with_chunk - pure)
    return _Load(
        pure=pure, marginal=marginal, itl=pure + n / o * marginal, ttft=chunks * with_chunk
    )


def _solve_rate(
    costs: ReplicaCosts, eff: Efficiency, lam: Arr, n_max: Arr, i: Arr, o: Arr, chunk: Arr
) -> Arr:
    """Sequences in service at Poisson rate ``lam``: the least n with n = lam · time in service."""
    grid = n_max[:, None] * _GRID[None, :]
    load = _load_terms(_expand(costs), _expand(eff), grid, i[:, None], o[:, None], chunk[:, None])
    gap = lam[:, None] * ((o[:, None] - 1.0) * load.itl + load.ttft) - grid
    below = gap <= 0.0
    first = np.where(below.any(axis=1), below.argmax(axis=1), _GRID.size - 1)
    prev = np.maximum(first - 1, 0)
    rows = np.arange(grid.shape[0])
    g0, g1 = gap[rows, prev], gap[rows, first]
    n0, n1 = grid[rows, prev], grid[rows, first]
    frac = np.where(g0 > g1, g0 / np.maximum(g0 - g1, 1e-30), 1.0)
    solved = np.where(first > 0, n0 + np.clip(frac, 0.0, 1.0) * (n1 - n0), n1)
    return np.where(below.any(axis=1), solved, n_max)


def predict_arrays(
    costs: ReplicaCosts, eff: Efficiency, ttft_overhead_s: Arr, shapes: Shapes
) -> Predictions:
    """Predict every row at once.

    Args:
        costs: Replica constants per row (1-d arrays).
        eff: Efficiencies per row.
        ttft_overhead_s: Per-request TTFT overhead of served loads per row, seconds.
        shapes: Workload per row.

    Returns:
        Predictions per row.
    """
    i, o, kind = shapes.input_tokens, np.maximum(shapes.output_tokens, 1.0), shapes.kind
    n_max = np.minimum(
        shapes.max_num_seqs, np.maximum(1.0, np.floor(shapes.kv_capacity_tokens / (i + o)))
    )
    chunk = np.maximum(shapes.max_num_batched_tokens, 1.0)

    # Static batch: everything prefills, then everything decodes, in waves if memory forces it.
    is_static = kind == KIND_BATCH
    batch = np.where(is_static, shapes.value, 1.0)
    b_run = np.minimum(batch, n_max)
    static_e2e = static_prefill = static_itl = np.zeros_like(i)
    if bool(is_static.any()):
        static_prefill = _prefill_alone_s(costs, eff, b_run * i, b_run * 0.5 * i * (i + 1.0), chunk)
        static_itl = step_s(costs, eff, decode_seqs=b_run, context_tokens=b_run * (i + 0.5 * o))
        static_e2e = np.ceil(batch / b_run) * (static_prefill + (o - 1.0) * static_itl)

    # Served load: n sequences decode while prompts ride along on the same steps.
    lam_in = np.where(kind == KIND_RATE, shapes.value, 0.0)
    n = np.where(kind == KIND_CONCURRENCY, np.minimum(shapes.value, n_max), n_max)
    if bool((kind == KIND_RATE).any()):
        rate_rows = kind == KIND_RATE
        n_rate = np.array(n, copy=True)
        n_rate[rate_rows] = _solve_rate(
            _take(costs, rate_rows),
            _take(eff, rate_rows),
            lam_in[rate_rows],
            n_max[rate_rows],
            i[rate_rows],
            o[rate_rows],
            chunk[rate_rows],
        )
        n = np.where(rate_rows, n_rate, n)
    load = _load_terms(costs, eff, n, i, o, chunk)
    capacity_rps = np.full_like(i, np.inf)
    if bool((kind == KIND_RATE).any()):
        full = _load_terms(costs, eff, n_max, i, o, chunk)
        capacity_rps = n_max / (full.ttft + (o - 1.0) * full.itl)
    cycle = load.ttft + (o - 1.0) * load.itl
    conc = np.where(kind == KIND_CONCURRENCY, shapes.value, n)
    saturated: BoolArr = np.asarray(
        (kind == KIND_RATE) & (lam_in >= capacity_rps * 0.999), dtype=bool
    )
    lam = np.where(kind == KIND_RATE, np.minimum(lam_in, capacity_rps), n / cycle)

    # A prompt waits for the running step to end, then queues (M/D/1) for the step budget
    # left after the decodes; prompts that fit in one budget share a step.
    per_step = np.maximum(1.0, np.floor(np.maximum(chunk - n, 1.0) / i))
    service = load.ttft / per_step
    rho = np.clip(lam * service, 0.0, 0.99)
    wait_mean = rho * service / (2.0 * (1.0 - rho))
    slot_wait = np.where(kind == KIND_CONCURRENCY, np.maximum(conc - n_max, 0.0) / lam, 0.0)
    backlog = SATURATED_RUN_REQUESTS * np.maximum(
        0.0, 1.0 / capacity_rps - 1.0 / np.maximum(lam_in, 1e-9)
    )
    # Per-request ITL spread: prompts prefilled during one request's decode (Poisson).
    arrivals = lam * (o - 1.0) * load.itl
    itl_std = np.sqrt(arrivals) * load.marginal / np.maximum(o - 1.0, 1.0)

    q = _Q[:, None]
    tail = np.log(np.maximum(rho, 1e-12) / (1.0 - q))
    wait_p = np.where(rho > 1.0 - q, wait_mean / np.maximum(rho, 1e-9) * tail, 0.0)
    # A closed loop of fixed-length requests stays in step: its prompts arrive as a burst,
    # and the request at quantile q waits for the prompts ahead of it in the burst.
    burst = q * np.maximum(n - 1.0, 0.0) * np.maximum(load.marginal, service / n)
    wait_p = np.where(kind == KIND_CONCURRENCY, burst, wait_p)
    wait_p = wait_p + q * load.pure + slot_wait + np.where(saturated, backlog * q, 0.0)
    spread = np.exp(
        _ZS[:, None] * np.sqrt(np.log1p(shapes.length_cv**2)) - 0.5 * np.log1p(shapes.length_cv**2)
    )
    load_ttft = load.ttft * spread + wait_p
    load_itl = load.itl + _ZS[:, None] * itl_std
    load_e2e = load_ttft + np.maximum(o * spread - 1.0, 0.0) * load_itl
    # Only served loads pay the API server's per-request time; a static batch is an engine
    # benchmark with no server in front.
    ttft_all = 1e3 * np.where(is_static, static_prefill, load_ttft + ttft_overhead_s)
    itl_all = 1e3 * np.where(is_static, static_itl, load_itl)
    e2e_all = 1e3 * np.where(is_static, static_e2e, load_e2e + ttft_overhead_s)
    ttft = {p: ttft_all[k] for k, p in enumerate(PERCENTILES)}
    itl_p = {p: itl_all[k] for k, p in enumerate(PERCENTILES)}
    e2e = {p: e2e_all[k] for k, p in enumerate(PERCENTILES)}
    req = np.where(is_static, batch / (e2e[50] / 1e3), lam)
    running = np.where(is_static, b_run, n)
    return Predictions(
        ttft_ms=ttft,
        itl_ms=itl_p,
        e2e_ms=e2e,
        output_tok_per_s=req * o,
        req_per_s=req,
        kv_usage=np.clip(running * (i + o) / np.maximum(shapes.kv_capacity_tokens, 1.0), 0.0, 1.0),
        saturated=saturated,
    )


def _take(item: _T, rows: npt.NDArray[np.bool_]) -> _T:
    """Keep only ``rows`` of every per-row array field (0-d fields broadcast and stay)."""
    out = {}
    for f in fields(item):
        value = np.asarray(getattr(item, f.name))
        out[f.name] = value[rows] if value.ndim == 1 and value.size == rows.size else value
    return replace(item, **out)


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
    pred = predict_arrays(
        costs, eff, ttft_overhead, shapes_for(config, workload, fit.kv_capacity_tokens)
    )
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
