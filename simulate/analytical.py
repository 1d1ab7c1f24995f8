"""The fast steady-state path: latency percentiles and throughput without simulating requests.

:func:`predict_arrays` prices many (replica, workload) pairs at once with numpy — calibration
fits through it and capacity search bisects through it; :func:`estimate` is the one-replica
public entry. It composes the named terms of :mod:`simulate.load_terms`, one per
:class:`~simulate.load_terms.LoadCode`:

* static batch — every request prefills together, then decodes together;
* closed-loop concurrency — ``C`` requests in flight; steady state by fixed point;
* open-loop rate — Poisson arrivals; decode residence by Little's law, prefill queueing as an
  M/G/1 queue on the compute the prompts need, tails from an exponential waiting time;
* saturated (``LoadCode.SATURATED``) — as many sequences as memory and ``max_num_seqs`` allow;
* burst (``LoadCode.BURST``) — every prompt at once to a continuous-batching server, slots refilled
  as requests finish (benchmark rows only).

Per-request ITL is each request's mean time per output token (what GenAI-Perf and MLPerf
report); its spread comes from how many prompts are prefilled during the request's decode.
Speculative decoding and prefill/decode disaggregation enter through the shapes' per-row
``verify_tokens``/``accepted_tokens`` and ``disaggregated``/prefill-pool fields.
No I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import LoadKind, Percentiles, PerformanceEstimate, ServingConfig, Workload
from simulate.calibration import Calibration, Efficiencies, with_intervals
from simulate.load_terms import (
    PERCENTILES,
    Z_SCORES,
    LoadCode,
    Shapes,
    burst_terms,
    prompt_wait,
    running_sequences,
    static_batch_terms,
    step_terms,
)
from simulate.memory import memory_fit
from simulate.serving_features import ServingFeatures, accepted_tokens
from simulate.step_time import Arr, Efficiency, ReplicaCosts, kv_transfer_s, replica_costs

LOAD_CODES = {
    LoadKind.BATCH: LoadCode.BATCH,
    LoadKind.CONCURRENCY: LoadCode.CONCURRENCY,
    LoadKind.RATE: LoadCode.RATE,
}
BoolArr = npt.NDArray[np.bool_]
TechniqueRow = dict[str, float]


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


def predict_arrays(
    costs: ReplicaCosts, eff: Efficiency, ttft_overhead_s: Arr, shapes: Shapes
) -> Predictions:
    """Predict every row at once, from the named terms of :mod:`simulate.load_terms`.

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
    is_static = kind == LoadCode.BATCH
    static = static_batch_terms(costs, eff, shapes, n_max, chunk)

    # Served load: n sequences decode while prompts ride along (or run on a prefill pool).
    n = running_sequences(costs, eff, shapes, n_max, chunk)
    terms = step_terms(costs, eff, n, shapes, chunk)
    capacity_rps = np.full_like(i, np.inf)
    if bool((kind == LoadCode.RATE).any()):
        full = step_terms(costs, eff, n_max, shapes, chunk)
        capacity_rps = n_max / (full.ttft + (o - 1.0) * full.itl)
    cycle = terms.ttft + (o - 1.0) * terms.itl
    lam = np.where(kind == LoadCode.RATE, np.minimum(shapes.value, capacity_rps), n / cycle)
    waits = prompt_wait(terms, shapes, n, lam, capacity_rps, chunk)
    is_burst = np.asarray(kind == LoadCode.BURST)
    wait, finished_rps = waits.wait, lam
    if bool(is_burst.any()):
        burst = burst_terms(terms, shapes, n, lam)
        wait = np.where(is_burst, burst.wait, wait)
        finished_rps = np.where(is_burst, shapes.value / burst.duration, lam)
    # Per-request ITL spread: prompts prefilled during one request's decode (Poisson).
    arrivals = lam * (o - 1.0) * terms.itl
    rides = np.where(np.asarray(shapes.disaggregated) > 0.5, 0.0, terms.marginal)
    itl_std = np.sqrt(arrivals) * rides / np.maximum(o - 1.0, 1.0)
    log_cv = np.log1p(shapes.length_cv**2)
    spread = np.exp(Z_SCORES[:, None] * np.sqrt(log_cv) - 0.5 * log_cv)
    load_ttft = terms.ttft * spread + wait
    load_itl = terms.itl + Z_SCORES[:, None] * itl_std
    load_e2e = load_ttft + np.maximum(o * spread - 1.0, 0.0) * load_itl
    # Only served loads pay the API server's per-request time; a static batch is an engine
    # benchmark with no server in front.
    ttft_all = 1e3 * np.where(is_static, static.prefill, load_ttft + ttft_overhead_s)
    itl_all = 1e3 * np.where(is_static, static.itl, load_itl)
    e2e_all = 1e3 * np.where(is_static, static.e2e, load_e2e + ttft_overhead_s)
    ttft = {p: ttft_all[k] for k, p in enumerate(PERCENTILES)}
    itl_p = {p: itl_all[k] for k, p in enumerate(PERCENTILES)}
    e2e = {p: e2e_all[k] for k, p in enumerate(PERCENTILES)}
    batch = np.where(is_static, shapes.value, 1.0)
    req = np.where(is_static, batch / (e2e[50] / 1e3), finished_rps)
    running = np.where(is_static, static.running, n)
    return Predictions(
        ttft_ms=ttft,
        itl_ms=itl_p,
        e2e_ms=e2e,
        output_tok_per_s=req * o,
        req_per_s=req,
        kv_usage=np.clip(running * (i + o) / np.maximum(shapes.kv_capacity_tokens, 1.0), 0.0, 1.0),
        saturated=waits.saturated,
    )


def technique_values(
    config: ServingConfig, costs: ReplicaCosts, input_tokens: float
) -> TechniqueRow:
    """The :class:`~simulate.load_terms.Shapes` inputs of a configuration's serving techniques.

    Speculative decoding verifies ``1 + drafted`` tokens per step and emits the accepted length
    (:func:`~simulate.serving_features.accepted_tokens` at the configuration's acceptance); a
    disaggregated replica decodes only, its prompts prefilled on ``prefill_per_decode`` prefill
    replicas of ``prefill_tensor_parallel`` GPUs, their KV cache shipped over
    (:func:`~simulate.step_time.kv_transfer_s`). Plain serving gives the defaults.

    Args:
        config: The serving configuration.
        costs: Its replica constants.
        input_tokens: Prompt tokens per request.

    Returns:
        Field name → value.
    """
    t = config.techniques
    drafted = ServingFeatures(speculative=t.speculative, draft_tokens=t.draft_tokens)
    split = t.disaggregated
    return {
        "verify_tokens": 1.0 + t.draft_tokens if t.speculative else 1.0,
        "accepted_tokens": accepted_tokens(drafted, t.acceptance),
        "disaggregated": 1.0 if split else 0.0,
        "prefill_slowdown": config.tensor_parallel / t.prefill_tensor_parallel if split else 1.0,
        "prefill_workers": t.prefill_per_decode if split else 1.0,
        "kv_transfer_s": float(kv_transfer_s(costs, input_tokens)) if split else 0.0,
    }


def technique_arrays(rows: Sequence[TechniqueRow]) -> dict[str, Arr]:
    """Stack :func:`technique_values` of many rows into the arrays :class:`Shapes` takes.

    Args:
        rows: One entry per priced row.

    Returns:
        Field name → 1-d array.
    """
    names = (
        "verify_tokens",
        "accepted_tokens",
        "disaggregated",
        "prefill_slowdown",
        "prefill_workers",
        "kv_transfer_s",
    )
    return {name: np.array([row[name] for row in rows], dtype=np.float64) for name in names}


def shapes_for(
    config: ServingConfig,
    workload: Workload,
    kv_capacity_tokens: int,
    costs: ReplicaCosts | None = None,
) -> Shapes:
    """Shapes of one replica under one workload.

    Args:
        config: Serving configuration.
        workload: Offered load (per replica).
        kv_capacity_tokens: KV tokens the replica holds.
        costs: The replica's constants, for its serving techniques (plain serving when None).

    Returns:
        0-d array shapes.
    """

    def one(value: float) -> Arr:
        return np.array([value], dtype=np.float64)

    techniques = (
        technique_arrays([technique_values(config, costs, workload.input_tokens)])
        if costs is not None
        else {}
    )
    return Shapes(
        **techniques,
        input_tokens=one(workload.input_tokens),
        output_tokens=one(workload.output_tokens),
        kind=one(LOAD_CODES[workload.kind]),
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
        costs, eff, ttft_overhead, shapes_for(config, workload, fit.kv_capacity_tokens, costs)
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
    result = PerformanceEstimate(
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
    return with_intervals(result, calibration, config.engine, gpu)
