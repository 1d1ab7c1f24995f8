"""Named terms of the steady-state path: one function per thing a served request waits for.

:func:`simulate.analytical.predict_arrays` composes these. Every term takes per-row numpy
arrays (rows broadcast), in seconds, at 100 % of what the calibrated step time says:

* :func:`running_sequences` — how many sequences decode at once under each :class:`LoadCode`;
* :func:`served_step_terms` — a decode step alone, the time one prompt adds to the steps it
  rides on, the resulting time per output token (speculative decoding divides it by the
  accepted length) and the request's own prefill;
* :func:`disaggregated_terms` — the same when prompts run on a separate prefill pool and their
  KV cache is shipped to the decode pool (no prompt rides on a decode step);
* :func:`prompt_wait` — queueing before a prompt is prefilled, per percentile (M/D/1 for
  open-loop arrivals, a burst for closed loops, the slot wait when concurrency exceeds what
  fits, the backlog of a saturated queue);
* :func:`static_batch_terms` — a static batch: all prompts, then all decodes, in waves;
* :func:`burst_terms` — every prompt sent at once to a continuous-batching server: slots refill
  as requests finish, so later prompts wait for earlier requests, not for a whole wave.

No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from enum import IntEnum
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from simulate.step_time import Arr, Efficiency, ReplicaCosts, speculative_itl_s, step_s

PERCENTILES = (50, 90, 95, 99)
_Z = {50: 0.0, 90: 1.2816, 95: 1.6449, 99: 2.3263}
QUANTILES = np.array([p / 100.0 for p in PERCENTILES])
Z_SCORES = np.array([_Z[p] for p in PERCENTILES])
SATURATED_RUN_REQUESTS = 1000.0  # a saturated queue is reported as it stands after this many
_GRID = np.geomspace(1e-3, 1.0, 48)  # shares of the most sequences that fit, for the rate solve
BoolArr = npt.NDArray[np.bool_]
_T = TypeVar("_T", ReplicaCosts, Efficiency)


class LoadCode(IntEnum):
    """How load is offered to one replica (the array code of :class:`domain.serving.LoadKind`)."""

    BATCH = 0  # a static batch of ``value`` requests at once
    CONCURRENCY = 1  # a closed loop with ``value`` requests in flight
    RATE = 2  # open-loop Poisson arrivals at ``value`` requests/s
    SATURATED = 3  # as many sequences as memory and ``max_num_seqs`` allow
    BURST = 4  # ``value`` requests sent at once to a continuous-batching server, nothing after


def _ones() -> Arr:
    return np.ones(())


def _zeros() -> Arr:
    return np.zeros(())


@dataclass(frozen=True)
class Shapes:
    """Workload, scheduler limits and serving techniques per row (1-d arrays or 0-d)."""

    input_tokens: Arr
    output_tokens: Arr
    kind: Arr  # LoadCode values
    value: Arr  # batch size, concurrency or requests/s, per replica
    max_num_seqs: Arr
    max_num_batched_tokens: Arr
    kv_capacity_tokens: Arr
    length_cv: Arr
    verify_tokens: Arr = field(default_factory=_ones)  # tokens per sequence per decode step
    accepted_tokens: Arr = field(default_factory=_ones)  # output tokens per sequence per step
    disaggregated: Arr = field(default_factory=_zeros)  # 1 where prompts run on a prefill pool
    prefill_slowdown: Arr = field(default_factory=_ones)  # decode TP / prefill TP
    prefill_workers: Arr = field(default_factory=_ones)  # prefill workers per decode replica
    kv_transfer_s: Arr = field(default_factory=_zeros)  # shipping one prompt's KV, seconds
    varied_lengths: Arr = field(default_factory=_zeros)  # 1 where request lengths differ


@dataclass(frozen=True)
class StepTerms:
    """Steady-state step terms with ``n`` sequences decoding."""

    pure: Arr  # a decode step without prompts
    marginal: Arr  # time one prompt adds to the steps it rides on (or holds the prefill pool)
    itl: Arr  # mean time per output token
    ttft: Arr  # the request's own prefill (and KV transfer)


def expand(item: _T) -> _T:
    """Add a trailing axis to every array field, so rows broadcast against a grid.

    Args:
        item: Replica constants or efficiencies.

    Returns:
        The same with each field shaped ``(..., 1)``.
    """
    return replace(
        item, **{f.name: np.asarray(getattr(item, f.name))[..., None] for f in fields(item)}
    )


def take(item: _T, rows: BoolArr) -> _T:
    """Keep only ``rows`` of every per-row array field (0-d fields broadcast and stay).

    Args:
        item: Replica constants or efficiencies.
        rows: Which rows to keep.

    Returns:
        The selection.
    """
    out = {}
    for f in fields(item):
        value = np.asarray(getattr(item, f.name))
        out[f.name] = value[rows] if value.ndim == 1 and value.size == rows.size else value
    return replace(item, **out)


def take_shapes(shapes: Shapes, rows: BoolArr) -> Shapes:
    """:func:`take` for :class:`Shapes`.

    Args:
        shapes: Per-row shapes.
        rows: Which rows to keep.

    Returns:
        The selection.
    """
    out = {}
    for f in fields(shapes):
        value = np.asarray(getattr(shapes, f.name))
        out[f.name] = value[rows] if value.ndim == 1 and value.size == rows.size else value
    return replace(shapes, **out)


def prefill_alone_s(
    costs: ReplicaCosts, eff: Efficiency, tokens: Arr, pairs: Arr, chunk: Arr
) -> Arr:
    """Seconds to prefill ``tokens`` prompt tokens with nothing else running, chunk by chunk.

    Args:
        costs: The replica.
        eff: Its efficiencies.
        tokens: Prompt tokens.
        pairs: Their causal attention pairs.
        chunk: Prompt tokens one step may carry.

    Returns:
        Seconds.
    """
    chunks = np.maximum(1.0, np.ceil(tokens / chunk))
    return chunks * step_s(
        costs,
        eff,
        decode_seqs=0.0,
        context_tokens=0.0,
        prefill_tokens=tokens / chunks,
        prefill_pairs=pairs / chunks,
    )


def served_step_terms(
    costs: ReplicaCosts, eff: Efficiency, n: Arr, shapes: Shapes, chunk: Arr
) -> StepTerms:
    """Step terms of an aggregated server: prompts ride on the decode steps (chunked prefill).

    Args:
        costs: The replica.
        eff: Its efficiencies.
        n: Sequences decoding.
        shapes: Token lengths and speculative decoding per row.
        chunk: Prompt tokens one step may carry.

    Returns:
        The terms.
    """
    i, o = shapes.input_tokens, np.maximum(shapes.output_tokens, 1.0)
    ctx = i + 0.5 * o
    chunks = np.maximum(1.0, np.ceil(i / chunk))
    pairs = 0.5 * i * (i + 1.0)
    decode = {"decode_seqs": n, "context_tokens": n * ctx, "verify_tokens": shapes.verify_tokens}
    pure = step_s(costs, eff, **decode)
    with_chunk = step_s(
        costs, eff, **decode, prefill_tokens=i / chunks, prefill_pairs=pairs / chunks
    )
    marginal = chunks * (with_chunk - pure)
    steps_per_token = 1.0 / np.maximum(shapes.accepted_tokens, 1.0)
    itl = speculative_itl_s(pure, shapes.accepted_tokens) + n / o * marginal * steps_per_token
    return StepTerms(pure=pure, marginal=marginal, itl=itl, ttft=chunks * with_chunk)


def disaggregated_terms(
    costs: ReplicaCosts, eff: Efficiency, n: Arr, shapes: Shapes, chunk: Arr
) -> StepTerms:
    """Step terms when prompts run on a separate prefill pool (prefill/decode disaggregation).

    Decode steps carry no prompts, so the time per output token is the decode step alone
    (divided by the accepted length under speculative decoding). A request's own prefill runs
    on a prefill worker — priced as this replica's prefill scaled by ``prefill_slowdown``
    (decode TP over prefill TP: prompts are compute-bound) — and its KV cache is then shipped
    (``kv_transfer_s``). One prompt holds the prefill pool for its prefill time divided by the
    prefill workers per decode replica.

    Args:
        costs: The decode replica.
        eff: Its efficiencies.
        n: Sequences decoding.
        shapes: Token lengths, speculative decoding and the prefill pool per row.
        chunk: Prompt tokens one prefill step may carry.

    Returns:
        The terms.
    """
    i, o = shapes.input_tokens, np.maximum(shapes.output_tokens, 1.0)
    pure = step_s(
        costs,
        eff,
        decode_seqs=n,
        context_tokens=n * (i + 0.5 * o),
        verify_tokens=shapes.verify_tokens,
    )
    prefill = prefill_alone_s(costs, eff, i, 0.5 * i * (i + 1.0), chunk) * shapes.prefill_slowdown
    return StepTerms(
        pure=pure,
        marginal=prefill / np.maximum(shapes.prefill_workers, 1e-9),
        itl=speculative_itl_s(pure, shapes.accepted_tokens),
        ttft=prefill + shapes.kv_transfer_s + pure,
    )


def step_terms(
    costs: ReplicaCosts, eff: Efficiency, n: Arr, shapes: Shapes, chunk: Arr
) -> StepTerms:
    """:func:`served_step_terms` or :func:`disaggregated_terms`, row by row.

    Args:
        costs: The replica.
        eff: Its efficiencies.
        n: Sequences decoding.
        shapes: Per-row shapes.
        chunk: Prompt tokens one step may carry.

    Returns:
        The terms.
    """
    served = served_step_terms(costs, eff, n, shapes, chunk)
    split = np.asarray(shapes.disaggregated) > 0.5
    if not bool(split.any()):
        return served
    apart = disaggregated_terms(costs, eff, n, shapes, chunk)
    return StepTerms(
        **{
            f.name: np.where(split, getattr(apart, f.name), getattr(served, f.name))
            for f in fields(StepTerms)
        }
    )


def _grid_shapes(shapes: Shapes) -> Shapes:
    return replace(
        shapes, **{f.name: np.asarray(getattr(shapes, f.name))[..., None] for f in fields(shapes)}
    )


def solve_rate(
    costs: ReplicaCosts, eff: Efficiency, lam: Arr, n_max: Arr, shapes: Shapes, chunk: Arr
) -> Arr:
    """Sequences in service at Poisson rate ``lam``: the least n with n = lam · time in service.

    Args:
        costs: The replicas of the rows.
        eff: Their efficiencies.
        lam: Requests/s per row.
        n_max: Most sequences that fit per row.
        shapes: Per-row shapes.
        chunk: Prompt tokens one step may carry.

    Returns:
        Sequences in service per row (``n_max`` when the rate is beyond capacity).
    """
    grid = n_max[:, None] * _GRID[None, :]
    terms = step_terms(expand(costs), expand(eff), grid, _grid_shapes(shapes), chunk[:, None])
    o = np.maximum(shapes.output_tokens, 1.0)[:, None]
    gap = lam[:, None] * ((o - 1.0) * terms.itl + terms.ttft) - grid
    below = gap <= 0.0
    first = np.where(below.any(axis=1), below.argmax(axis=1), _GRID.size - 1)
    prev = np.maximum(first - 1, 0)
    rows = np.arange(grid.shape[0])
    g0, g1 = gap[rows, prev], gap[rows, first]
    n0, n1 = grid[rows, prev], grid[rows, first]
    frac = np.where(g0 > g1, g0 / np.maximum(g0 - g1, 1e-30), 1.0)
    solved = np.where(first > 0, n0 + np.clip(frac, 0.0, 1.0) * (n1 - n0), n1)
    return np.where(below.any(axis=1), solved, n_max)


def running_sequences(
    costs: ReplicaCosts, eff: Efficiency, shapes: Shapes, n_max: Arr, chunk: Arr
) -> Arr:
    """Sequences decoding at once: the concurrency that fits, the rate's fixed point, or all.

    Args:
        costs: The replicas.
        eff: Their efficiencies.
        shapes: Per-row shapes.
        n_max: Most sequences that fit per row.
        chunk: Prompt tokens one step may carry.

    Returns:
        Sequences per row.
    """
    kind = shapes.kind
    in_flight = (kind == LoadCode.CONCURRENCY) | (kind == LoadCode.BURST)
    n = np.where(in_flight, np.minimum(shapes.value, n_max), n_max)
    rate_rows = np.asarray(kind == LoadCode.RATE)
    if bool(rate_rows.any()):
        n = np.array(n, copy=True)
        n[rate_rows] = solve_rate(
            take(costs, rate_rows),
            take(eff, rate_rows),
            np.asarray(shapes.value)[rate_rows],
            n_max[rate_rows],
            take_shapes(shapes, rate_rows),
            chunk[rate_rows],
        )
    return n


def in_step_loop(shapes: Shapes) -> BoolArr:
    """Rows whose closed loop stays in step: every request the same length, so prompts bunch.

    A closed loop of fixed-length requests (GenAI-Perf's synthetic prompts with stdev 0) starts
    together and finishes together, so its prompts keep arriving as a burst. Where lengths
    vary (a length spread, random or ShareGPT prompts) requests finish at different times and
    their replacements arrive spread over the decode time.

    Args:
        shapes: Per-row shapes.

    Returns:
        True per row where a closed loop arrives in bursts.
    """
    fixed = (np.asarray(shapes.length_cv) <= 0.0) & (np.asarray(shapes.varied_lengths) < 0.5)
    return np.asarray((shapes.kind == LoadCode.CONCURRENCY) & fixed)


@dataclass(frozen=True)
class PromptWait:
    """Seconds a prompt waits before its prefill, per percentile (rows × PERCENTILES)."""

    wait: Arr
    rho: Arr  # prefill utilisation
    saturated: BoolArr


def prompt_wait(
    terms: StepTerms, shapes: Shapes, n: Arr, lam: Arr, capacity_rps: Arr, chunk: Arr
) -> PromptWait:
    """Queueing before a prompt's prefill, per percentile.

    A prompt waits for the running step to end, then queues (M/D/1) for the step budget left
    after the decodes; prompts that fit in one budget share a step. A closed loop of
    fixed-length requests stays in step (:func:`in_step_loop`): its prompts arrive as a burst,
    and the request at quantile q waits for the prompts ahead of it (with a separate prefill
    pool, at most the M/D/1 wait of the pool); one whose lengths vary queues like the open
    loop (M/D/1) at the rate it completes requests. Concurrency beyond what fits waits for a
    slot; a rate beyond capacity builds a backlog, reported after
    :data:`SATURATED_RUN_REQUESTS` requests.

    Args:
        terms: Step terms at ``n``.
        shapes: Per-row shapes.
        n: Sequences decoding.
        lam: Completed requests/s.
        capacity_rps: Most requests/s a replica completes.
        chunk: Prompt tokens one step may carry.

    Returns:
        The waits.
    """
    kind, i = shapes.kind, shapes.input_tokens
    lam_in = np.where(kind == LoadCode.RATE, shapes.value, 0.0)
    saturated: BoolArr = np.asarray((kind == LoadCode.RATE) & (lam_in >= capacity_rps * 0.999))
    per_step = np.maximum(1.0, np.floor(np.maximum(chunk - n, 1.0) / i))
    split = np.asarray(shapes.disaggregated) > 0.5
    service = np.where(split, terms.marginal, terms.ttft / per_step)
    rho = np.clip(lam * service, 0.0, 0.99)
    wait_mean = rho * service / (2.0 * (1.0 - rho))
    n_max = np.minimum(
        shapes.max_num_seqs,
        np.maximum(1.0, np.floor(shapes.kv_capacity_tokens / (i + shapes.output_tokens))),
    )
    conc = np.where(kind == LoadCode.CONCURRENCY, shapes.value, n)
    slot_wait = np.where(kind == LoadCode.CONCURRENCY, np.maximum(conc - n_max, 0.0) / lam, 0.0)
    backlog = SATURATED_RUN_REQUESTS * np.maximum(
        0.0, 1.0 / capacity_rps - 1.0 / np.maximum(lam_in, 1e-9)
    )
    q = QUANTILES[:, None]
    tail = np.log(np.maximum(rho, 1e-12) / (1.0 - q))
    wait = np.where(rho > 1.0 - q, wait_mean / np.maximum(rho, 1e-9) * tail, 0.0)
    burst = q * np.maximum(n - 1.0, 0.0) * np.maximum(terms.marginal, service / n)
    # With a separate prefill pool a closed loop does not stay in step: its prompts queue at
    # the pool as arrivals spread over the decode time (the M/D/1 wait, at most the burst).
    burst = np.where(split, np.minimum(wait, burst), burst)
    wait = np.where(in_step_loop(shapes), burst, wait)
    wait = wait + q * terms.pure + slot_wait + np.where(saturated, backlog * q, 0.0)
    return PromptWait(wait=wait, rho=rho, saturated=saturated)


@dataclass(frozen=True)
class StaticBatch:
    """A static batch per row: its prefill, its time per output token, its end-to-end time."""

    prefill: Arr
    itl: Arr
    e2e: Arr
    running: Arr


def static_batch_terms(
    costs: ReplicaCosts, eff: Efficiency, shapes: Shapes, n_max: Arr, chunk: Arr
) -> StaticBatch:
    """Everything prefills, then everything decodes, in waves if memory forces it.

    Args:
        costs: The replicas.
        eff: Their efficiencies.
        shapes: Per-row shapes (``value`` is the batch size on batch rows).
        n_max: Most sequences that fit per row.
        chunk: Prompt tokens one step may carry.

    Returns:
        The batch terms (zeros where no row is a batch).
    """
    i, o = shapes.input_tokens, np.maximum(shapes.output_tokens, 1.0)
    batch = np.where(shapes.kind == LoadCode.BATCH, shapes.value, 1.0)
    running = np.minimum(batch, n_max)
    if not bool((shapes.kind == LoadCode.BATCH).any()):
        zero = np.zeros_like(i)
        return StaticBatch(prefill=zero, itl=zero, e2e=zero, running=running)
    prefill = prefill_alone_s(costs, eff, running * i, running * 0.5 * i * (i + 1.0), chunk)
    step = step_s(
        costs,
        eff,
        decode_seqs=running,
        context_tokens=running * (i + 0.5 * o),
        verify_tokens=shapes.verify_tokens,
    )
    itl = speculative_itl_s(step, shapes.accepted_tokens)
    e2e = np.ceil(batch / running) * (prefill + (o - 1.0) * itl)
    return StaticBatch(prefill=prefill, itl=itl, e2e=e2e, running=running)


@dataclass(frozen=True)
class Burst:
    """A burst per row: each percentile's wait before its prefill, and the whole run's length."""

    wait: Arr  # rows × PERCENTILES, seconds
    duration: Arr  # seconds from the burst to the last completion


def burst_terms(terms: StepTerms, shapes: Shapes, n: Arr, lam: Arr) -> Burst:
    """``B`` prompts sent at once to a server that runs ``n`` sequences and refills slots.

    A continuous-batching server (vLLM, SGLang, TensorRT-LLM) admits the first ``n`` prompts,
    prefilling them one after another (``marginal`` each), and admits each later prompt as a
    running request finishes, at ``lam`` completions per second. The request at quantile q of
    the burst has ``q·B`` prompts ahead of it: it waits for the prefills of those admitted
    with it and, beyond the ``n`` slots, for ``q·B − n`` completions. The run lasts the first
    prefills, the completions of the ``B − n`` later requests and one last request's service.
    This is how ``vllm bench serve`` with ``--request-rate inf`` (GPUStack's "burst" rows)
    loads a server: TTFT is mostly this wait and the throughput is ``B`` over the run.

    Args:
        terms: Step terms at ``n`` sequences (``marginal``: one prompt's prefill on the steps).
        shapes: Per-row shapes (``value`` is the burst size ``B``).
        n: Sequences the server runs at once.
        lam: Requests completed per second at ``n``.

    Returns:
        The waits and the run's duration.
    """
    burst = np.maximum(np.asarray(shapes.value, dtype=np.float64), 1.0)
    ahead = QUANTILES[:, None] * burst
    rate = np.maximum(lam, 1e-12)
    admitted = np.minimum(ahead, n) * terms.marginal
    wait = admitted + np.maximum(ahead - n, 0.0) / rate
    o = np.maximum(shapes.output_tokens, 1.0)
    service = terms.ttft + (o - 1.0) * terms.itl
    duration = np.minimum(burst, n) * terms.marginal + np.maximum(burst - n, 0.0) / rate + service
    return Burst(wait=wait, duration=duration)
