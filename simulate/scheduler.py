"""Discrete-event simulation of vLLM-style continuous batching, for final numbers and tails.

Each engine step schedules the running decodes first (one token each), then spends what is
left of ``max_num_batched_tokens`` on prompt chunks (chunked prefill): unfinished prompts
first, then new requests from the FIFO waiting queue while ``max_num_seqs`` and the KV cache
allow. A sequence whose KV no longer fits is preempted (the most recently admitted first) and
recomputed later. Steps are priced by :class:`~simulate.step_time.ScalarStep`.

Runs of pure-decode steps in which nothing arrives, finishes or runs out of KV are jumped over
in one go: the cumulative time of the next ``k`` steps is computed as an array and the run
stops just after the next arrival. Loads: a static batch (all at t=0), a closed loop
(``concurrency`` in flight, a new request when one finishes) and open-loop Poisson arrivals.
Token lengths vary lognormally with ``workload.length_cv``. Deterministic for a seed; no I/O.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import LoadKind, Percentiles, PerformanceEstimate, ServingConfig, Workload
from simulate.analytical import efficiency_arrays
from simulate.calibration import Calibration
from simulate.memory import memory_fit
from simulate.step_time import Arr, ScalarStep, replica_costs

_MAX_JUMP = 4096


def _lengths(rng: np.random.Generator, mean: int, cv: float, count: int) -> Arr:
    if cv <= 0:
        return np.full(count, float(mean))
    sigma = np.sqrt(np.log1p(cv * cv))
    draws = rng.lognormal(np.log(mean) - 0.5 * sigma * sigma, sigma, count)
    return np.maximum(1.0, np.round(draws))


@dataclass
class _State:
    """Per-request arrays and the engine's queues."""

    arrival: Arr
    prompt: Arr
    output: Arr
    prefilled: Arr
    generated: Arr
    first: Arr
    finish: Arr
    waiting: deque[int]
    running: list[int]
    kv_used: float = 0.0


class _Engine:
    """One replica's scheduler loop."""

    def __init__(self, step: ScalarStep, config: ServingConfig, kv_capacity: float) -> None:
        self.step = step
        self.max_seqs = config.max_num_seqs
        self.budget = config.max_num_batched_tokens
        self.kv_capacity = kv_capacity

    def schedule_prefill(self, s: _State) -> tuple[float, float, list[int]]:
        """Pick prompt chunks for this step; returns (tokens, pairs, sequences that finish prefill)."""
        decodes = sum(1 for r in s.running if s.prefilled[r] >= s.prompt[r])
        budget = max(self.budget - decodes, 0)
        tokens = pairs = 0.0
        done: list[int] = []
        for r in s.running:
            if budget <= 0:
                break
            left = s.prompt[r] - s.prefilled[r]
            if left > 0:
                take = min(left, budget)
                start = s.prefilled[r]
                pairs += take * (start + 0.5 * (take + 1.0))
                tokens += take
                budget -= take
                s.prefilled[r] += take
                if s.prefilled[r] >= s.prompt[r]:
                    done.append(r)
        while s.waiting and budget > 0 and len(s.running) < self.max_seqs:
            r = s.waiting[0]
            if s.kv_used + s.prompt[r] + 1.0 > self.kv_capacity and s.running:
                break
            s.waiting.popleft()
            s.running.append(r)
            s.kv_used += s.prompt[r]
            take = min(s.prompt[r], budget)
            pairs += take * 0.5 * (take + 1.0)
            tokens += take
            budget -= take
            s.prefilled[r] = take
            if take >= s.prompt[r]:
                done.append(r)
        return tokens, pairs, done

    def preempt_if_full(self, s: _State) -> None:
        """Recompute-preempt the latest admitted sequences until the KV cache fits."""
        while s.kv_used > self.kv_capacity and len(s.running) > 1:
            r = s.running.pop()
            s.kv_used -= s.prefilled[r] + s.generated[r]
            s.prompt[r] += s.generated[r]  # recompute: prompt and output so far prefill again
            s.output[r] -= s.generated[r]
            s.generated[r] = 0.0
            s.prefilled[r] = 0.0
            s.waiting.appendleft(r)


def _arrivals(workload: Workload, count: int, rng: np.random.Generator) -> Arr:
    if workload.kind == LoadKind.RATE:
        return np.cumsum(rng.exponential(1.0 / workload.value, count))
    if workload.kind == LoadKind.CONCURRENCY:
        first = np.zeros(count)
        first[int(workload.value) :] = np.inf  # the rest arrive when a slot frees
        return first
    return np.zeros(count)


def _run(engine: _Engine, s: _State, workload: Workload) -> None:
    closed = workload.kind == LoadKind.CONCURRENCY
    total = s.arrival.size
    order = np.argsort(s.arrival, kind="stable")
    next_idx = 0
    released = int(min(workload.value, total)) if closed else total
    t, finished = 0.0, 0
    while finished < total:
        while next_idx < released and s.arrival[order[next_idx]] <= t:
            s.waiting.append(int(order[next_idx]))
            next_idx += 1
        if not s.running and not s.waiting:
            t = float(s.arrival[order[next_idx]])
            continue
        decoding = [r for r in s.running if s.prefilled[r] >= s.prompt[r] and s.generated[r] > 0]
        tokens, pairs, done = engine.schedule_prefill(s)
        context = float(sum(s.prompt[r] + s.generated[r] for r in decoding))
        steps = 1
        if tokens == 0 and decoding:
            left = min(s.output[r] - s.generated[r] for r in decoding)
            kv_room = (engine.kv_capacity - s.kv_used) // max(len(decoding), 1)
            steps = int(max(1, min(left, kv_room, _MAX_JUMP)))
            times = engine.step.decode_run_s(len(decoding), context, steps)
            if next_idx < released and np.isfinite(s.arrival[order[next_idx]]):
                until = s.arrival[order[next_idx]] - t
                steps = min(steps, int(np.searchsorted(times, until)) + 1)
            t += float(times[steps - 1])
        else:
            t += engine.step(float(len(decoding)), context, tokens, pairs)
        for r in decoding:
            s.generated[r] += steps
        s.kv_used += steps * len(decoding)
        for r in done:
            s.generated[r] = 1.0
            s.kv_used += 1.0
            if s.first[r] < 0:
                s.first[r] = t
        ended = [r for r in s.running if s.generated[r] >= s.output[r] and s.prefilled[r] >= s.prompt[r]]
        for r in ended:
            s.running.remove(r)
            s.kv_used -= s.prompt[r] + s.generated[r]
            s.finish[r] = t
            finished += 1
            if closed and released < total:
                s.arrival[order[released]] = t
                released += 1
        engine.preempt_if_full(s)


def _pct(values: Arr) -> Percentiles:
    p50, p90, p95, p99 = np.percentile(values, [50, 90, 95, 99])
    return Percentiles(p50=float(p50), p90=float(p90), p95=float(p95), p99=float(p99))


def simulate_run(
    model: ModelSpec,
    gpu: GpuSpec,
    config: ServingConfig,
    workload: Workload,
    calibration: Calibration,
    *,
    requests: int = 2000,
    seed: int = 0,
) -> PerformanceEstimate:
    """Simulate ``requests`` requests through one replica and report percentiles and throughput.

    Args:
        model: The architecture.
        gpu: The GPU.
        config: One replica's serving configuration.
        workload: Load offered to this replica (a static batch uses ``value`` requests).
        calibration: Efficiency factors.
        requests: Requests to simulate (rate and concurrency loads).
        seed: Random seed (arrivals and lengths).

    Returns:
        The estimate (``method="simulated"``).
    """
    fit = memory_fit(model, gpu, config)
    effs, basis, detail = calibration.lookup(config.engine, gpu)
    eff, ttft_overhead = efficiency_arrays([effs])
    engine = _Engine(ScalarStep(replica_costs(model, gpu, config), eff), config,
                     float(max(fit.kv_capacity_tokens, workload.input_tokens + 1)))
    count = int(workload.value) if workload.kind == LoadKind.BATCH else requests
    rng = np.random.default_rng(seed)
    state = _State(
        arrival=_arrivals(workload, count, rng),
        prompt=_lengths(rng, workload.input_tokens, workload.length_cv, count),
        output=_lengths(rng, workload.output_tokens, workload.length_cv, count),
        prefilled=np.zeros(count), generated=np.zeros(count),
        first=np.full(count, -1.0), finish=np.zeros(count),
        waiting=deque(), running=[],
    )
    original_prompt, original_output = state.prompt.copy(), state.output.copy()
    arrival = state.arrival.copy()
    _run(engine, state, workload)
    arrival = np.where(np.isfinite(arrival), arrival, state.arrival)
    served = 0.0 if workload.kind == LoadKind.BATCH else float(ttft_overhead[0])
    ttft = state.first - arrival + served
    e2e = state.finish - arrival + served
    itl = np.where(original_output > 1, (state.finish - state.first) / np.maximum(original_output - 1, 1), 0.0)
    span = float(state.finish.max() - arrival.min()) or 1e-9
    notes = () if fit.fits else (fit.reason,)
    return PerformanceEstimate(
        ttft_ms=_pct(ttft * 1e3),
        itl_ms=_pct(itl * 1e3),
        e2e_ms=_pct(e2e * 1e3),
        output_tok_per_s=float(original_output.sum()) / span,
        total_tok_per_s=float(original_output.sum() + original_prompt.sum()) / span,
        req_per_s=count / span,
        kv_cache_usage=0.0,
        method="simulated",
        basis=basis,
        basis_detail=detail,
        notes=notes,
    )
