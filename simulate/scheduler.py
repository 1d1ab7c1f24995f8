"""Discrete-event simulation of vLLM-style continuous batching, for final numbers and tails.

Each engine step schedules the running decodes first (one token each), then spends what is
left of ``max_num_batched_tokens`` on prompt chunks (chunked prefill): unfinished prompts
first, then new requests from the FIFO waiting queue while ``max_num_seqs`` and the KV cache
allow. A sequence whose KV no longer fits is preempted (the most recently admitted first) and
recomputed later. Steps are priced by :class:`~simulate.step_scalar.ScalarStep`.

Runs of pure-decode steps in which nothing arrives, finishes or runs out of KV are jumped over
in one go: the cumulative time of the next ``k`` steps is computed as an array and the run
stops just after the next arrival. Loads: a static batch (all at t=0), a closed loop
(``concurrency`` in flight, a new request when one finishes) and open-loop Poisson arrivals.
Token lengths vary lognormally with ``workload.length_cv``. Deterministic for a seed; no I/O.
"""

from __future__ import annotations

import heapq
from collections import deque

import numpy as np

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import LoadKind, Percentiles, PerformanceEstimate, ServingConfig, Workload
from simulate.analytical import efficiency_arrays
from simulate.calibration import Calibration, with_intervals
from simulate.memory import memory_fit
from simulate.step_scalar import ScalarStep
from simulate.step_time import Arr, replica_costs

_MAX_JUMP = 4096


def _lengths(rng: np.random.Generator, mean: int, cv: float, count: int) -> Arr:
    if cv <= 0:
        return np.full(count, float(mean))
    sigma = np.sqrt(np.log1p(cv * cv))
    draws = rng.lognormal(np.log(mean) - 0.5 * sigma * sigma, sigma, count)
    return np.maximum(1.0, np.round(draws))


class _Sim:
    """One replica's scheduler loop over per-request arrays (decodes tracked in aggregate)."""

    def __init__(
        self,
        step: ScalarStep,
        config: ServingConfig,
        kv_capacity: float,
        arrival: Arr,
        prompt: Arr,
        output: Arr,
        closed_at: int | None,
    ) -> None:
        self.step = step
        self.max_seqs = config.max_num_seqs
        self.budget = config.max_num_batched_tokens
        self.kv_capacity = kv_capacity
        count = arrival.size
        self.arrival, self.prompt, self.output = arrival, prompt.copy(), output.copy()
        self.prefilled = np.zeros(count)
        self.first = np.full(count, -1.0)
        self.finish = np.zeros(count)
        self.join = np.zeros(count, dtype=np.int64)  # step count when decoding began
        self.state = np.zeros(count, dtype=np.int8)  # 0 idle, 1 prefilling, 2 decoding, 3 done
        self.waiting: deque[int] = deque()
        self.prefilling: deque[int] = deque()
        self.admitted: list[int] = []
        self.heap: list[tuple[int, int]] = []
        self.t, self.steps, self.n_dec, self.ctx, self.kv = 0.0, 0, 0, 0.0, 0.0
        self.released = count if closed_at is None else min(closed_at, count)
        self.closed = closed_at is not None
        self.next_idx, self.done = 0, 0
        self.peak_kv = 0.0

    def run(self) -> None:
        count = self.arrival.size
        while self.done < count:
            while self.next_idx < self.released and self.arrival[self.next_idx] <= self.t:
                self.waiting.append(self.next_idx)
                self.next_idx += 1
            if not (self.n_dec or self.prefilling or self.waiting):
                self.t = float(self.arrival[self.next_idx])
                continue
            tokens, pairs, completed = self._schedule_prefill()
            if tokens == 0 and self.n_dec:
                jump = self._jump()
            else:
                self.t += self.step(float(self.n_dec), self.ctx, tokens, pairs)
                jump = 1
            self.steps += jump
            self.ctx += jump * self.n_dec
            self.kv += jump * self.n_dec
            for r in completed:
                self._start_decode(r)
            self.peak_kv = max(self.peak_kv, self.kv)
            self._finish_due()
            self._preempt_if_full()

    def _jump(self) -> int:
        due = self.heap[0][0] - self.steps if self.heap else _MAX_JUMP
        room = int((self.kv_capacity - self.kv) // max(self.n_dec, 1))
        steps = int(max(1, min(due, room, _MAX_JUMP)))
        arriving = self.next_idx < self.released and np.isfinite(self.arrival[self.next_idx])
        until = float(self.arrival[self.next_idx] - self.t) if arriving else 0.0
        if arriving:  # steps only lengthen as contexts grow, so the first one bounds the count
            first = self.step(float(self.n_dec), self.ctx, 0.0, 0.0)
            steps = int(max(1, min(steps, until / first + 2)))
        times = self.step.decode_run_s(self.n_dec, self.ctx, steps)
        if arriving:
            steps = min(steps, int(np.searchsorted(times, until)) + 1)
        self.t += float(times[steps - 1])
        return steps

    def _take_chunk(self, r: int, budget: float) -> tuple[float, float]:
        take = min(self.prompt[r] - self.prefilled[r], budget)
        start = self.prefilled[r]
        self.prefilled[r] += take
        return take, take * (start + 0.5 * (take + 1.0))

    def _schedule_prefill(self) -> tuple[float, float, list[int]]:
        budget = float(max(self.budget - self.n_dec, 0))
        tokens = pairs = 0.0
        completed: list[int] = []
        for r in self.prefilling:
            if budget <= 0:
                break
            take, pr = self._take_chunk(r, budget)
            tokens, pairs, budget = tokens + take, pairs + pr, budget - take
            if self.prefilled[r] >= self.prompt[r]:
                completed.append(r)
        while self.waiting and budget > 0 and self.n_dec + len(self.prefilling) < self.max_seqs:
            r = self.waiting[0]
            busy = self.n_dec or self.prefilling
            if busy and self.kv + self.prompt[r] + 1.0 > self.kv_capacity:
                break
            self.waiting.popleft()
            self.prefilling.append(r)
            self.admitted.append(r)
            self.state[r] = 1
            self.kv += self.prompt[r]
            take, pr = self._take_chunk(r, budget)
            tokens, pairs, budget = tokens + take, pairs + pr, budget - take
            if self.prefilled[r] >= self.prompt[r]:
                completed.append(r)
        return tokens, pairs, completed

    def _start_decode(self, r: int) -> None:
        self.prefilling.remove(r)
        if self.first[r] < 0:
            self.first[r] = self.t
        self.kv += 1.0
        self.state[r] = 2
        self.join[r] = self.steps
        self.n_dec += 1
        self.ctx += self.prompt[r] + 1.0
        heapq.heappush(self.heap, (self.steps + int(self.output[r]) - 1, r))

    def _finish_due(self) -> None:
        while self.heap and self.heap[0][0] <= self.steps:
            _, r = heapq.heappop(self.heap)
            if self.state[r] != 2:
                continue  # preempted; a stale entry
            self.state[r] = 3
            self.finish[r] = self.t
            self.n_dec -= 1
            used = self.prompt[r] + self.output[r]
            self.ctx -= used
            self.kv -= used
            self.done += 1
            if self.closed and self.released < self.arrival.size:
                self.arrival[self.released] = self.t
                self.released += 1

    def _preempt_if_full(self) -> None:
        while self.kv > self.kv_capacity and self.n_dec + len(self.prefilling) > 1:
            r = self.admitted.pop()
            if self.state[r] == 1:
                self.prefilling.remove(r)
                self.kv -= self.prompt[r]
            elif self.state[r] == 2:
                generated = float(1 + self.steps - self.join[r])
                self.n_dec -= 1
                self.ctx -= self.prompt[r] + generated
                self.kv -= self.prompt[r] + generated
                self.prompt[r] += generated  # recompute prompt and output so far
                self.output[r] -= generated
            else:
                continue
            self.prefilled[r] = 0.0
            self.state[r] = 0
            self.waiting.appendleft(r)


def _arrivals(workload: Workload, count: int, rng: np.random.Generator) -> Arr:
    if workload.kind == LoadKind.RATE:
        return np.cumsum(rng.exponential(1.0 / workload.value, count))
    if workload.kind == LoadKind.CONCURRENCY:
        first = np.zeros(count)
        first[int(workload.value) :] = np.inf  # the rest arrive as slots free
        return first
    return np.zeros(count)


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
    count = int(workload.value) if workload.kind == LoadKind.BATCH else requests
    rng = np.random.default_rng(seed)
    arrival = _arrivals(workload, count, rng)
    prompt = _lengths(rng, workload.input_tokens, workload.length_cv, count)
    output = _lengths(rng, workload.output_tokens, workload.length_cv, count)
    closed_at = int(workload.value) if workload.kind == LoadKind.CONCURRENCY else None
    sim = _Sim(
        ScalarStep(replica_costs(model, gpu, config), eff),
        config,
        float(max(fit.kv_capacity_tokens, workload.input_tokens + 1)),
        arrival,
        prompt,
        output,
        closed_at,
    )
    sim.run()
    arrival = sim.arrival
    state_first, state_finish = sim.first, sim.finish
    served = 0.0 if workload.kind == LoadKind.BATCH else float(ttft_overhead[0])
    ttft = state_first - arrival + served
    e2e = state_finish - arrival + served
    itl = np.where(output > 1, (state_finish - state_first) / np.maximum(output - 1, 1), 0.0)
    span = float(state_finish.max() - arrival.min()) or 1e-9
    notes = () if fit.fits else (fit.reason,)
    result = PerformanceEstimate(
        ttft_ms=_pct(ttft * 1e3),
        itl_ms=_pct(itl * 1e3),
        e2e_ms=_pct(e2e * 1e3),
        output_tok_per_s=float(output.sum()) / span,
        total_tok_per_s=float(output.sum() + prompt.sum()) / span,
        req_per_s=count / span,
        kv_cache_usage=min(1.0, sim.peak_kv / max(fit.kv_capacity_tokens, 1)),
        method="simulated",
        basis=basis,
        basis_detail=detail,
        notes=notes,
    )
    return with_intervals(result, calibration, config.engine, gpu)
