"""Capacity planning: replicas so every SLO percentile holds at the peak, and what that costs.

For one configuration: the simulator's highest request rate per replica that still meets every
SLO (:func:`simulate.capacity.max_rate_per_replica`), replicas for the peak with 20% headroom
(less when a GPU ceiling, the inventory or the budget leaves no room, and said so), predicted
percentiles at each replica's share of the peak, utilisation, monthly cost and cost per million
tokens (:mod:`recommend.refinement` re-checks the best in discrete-event simulation). Sizing
never ranks and never explains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from domain.requirements import Requirements, SloTarget
from domain.serving import LoadKind, MemoryFit, PerformanceEstimate, ServingConfig, Workload
from recommend import rules
from recommend.candidates import Candidate
from recommend.context import RecommendContext
from recommend.costing import affordable_replicas, cost_usd
from recommend.demand import Demand, describe_slo
from recommend.predictions import capacity, predict
from simulate.analytical import estimate
from simulate.capacity import replicas_for

HEADROOM = 0.2
# Per engine: the ServingConfig defaults (vLLM's max_num_seqs 256; 8192 batched tokens).
MAX_NUM_SEQS = 256
MAX_NUM_BATCHED_TOKENS = 8192
GPU_MEMORY_UTILIZATION = 0.9
_MIN_MODEL_LEN = 8192
_LIGHT_LOAD_RPS = 0.01


@dataclass(frozen=True)
class Sized:
    """A configuration sized for the peak load."""

    candidate: Candidate
    config: ServingConfig
    fit: MemoryFit
    per_replica_rps: float
    replicas: int
    monthly_cost_usd: float | None
    estimate: PerformanceEstimate
    meets_slo: bool
    slo_use: float
    notes: tuple[str, ...] = ()

    @property
    def total_gpus(self) -> int:
        """GPUs across all replicas.

        Returns:
            Replicas × GPUs per replica, a disaggregated option's prefill pool included.
        """
        return self.candidate.gpus_for(self.replicas)


@dataclass(frozen=True)
class Rejected:
    """A configuration a rule ruled out after sizing."""

    candidate: Candidate
    rule: str
    reason: str


def serving_config(
    candidate: Candidate, context_tokens: int, engine: str = "vllm"
) -> ServingConfig:
    """The vLLM configuration a candidate is sized with.

    Args:
        candidate: The configuration.
        context_tokens: The longest request, in tokens.
        engine: The calibration key its predictions use ("vllm 0.10+":
            :func:`recommend.predictions.engine_basis`); no manifest reads it.

    Returns:
        A serving configuration whose max_model_len covers the longest request (at least 8k
        tokens where the model allows).
    """
    wanted = max(context_tokens, _MIN_MODEL_LEN)
    techniques = candidate.techniques
    # Each data-parallel rank schedules its own batch (vLLM runs one engine core per rank:
    # docs serving/data_parallel_deployment.md), so the replica batches ranks × vLLM's defaults.
    ranks = candidate.tensor_parallel if techniques.dp_attention else 1
    return ServingConfig(
        model=candidate.model.hf_id,
        gpu=candidate.gpu.name,
        precision=candidate.precision,
        tensor_parallel=candidate.tensor_parallel,
        engine=engine,
        max_model_len=min(candidate.model.max_context, math.ceil(wanted / 1024) * 1024),
        max_num_seqs=MAX_NUM_SEQS * ranks,
        max_num_batched_tokens=MAX_NUM_BATCHED_TOKENS * ranks,
        gpu_memory_utilization=GPU_MEMORY_UTILIZATION,
        techniques=techniques,
    )


def predicted_ms(estimate_: PerformanceEstimate, target: SloTarget) -> float:
    """The predicted latency an SLO target bounds.

    Args:
        estimate_: The prediction.
        target: The SLO target.

    Returns:
        Milliseconds at the target's percentile.
    """
    series = {"ttft": estimate_.ttft_ms, "itl": estimate_.itl_ms, "e2e": estimate_.e2e_ms}
    return series[target.metric.value].at(target.percentile)


def slo_use(estimate_: PerformanceEstimate, slo: tuple[SloTarget, ...]) -> float:
    """The largest predicted/target ratio over the SLOs (≤ 1 means every SLO holds).

    Args:
        estimate_: The prediction.
        slo: The targets.

    Returns:
        The ratio (0 when there is no target).
    """
    return max((predicted_ms(estimate_, t) / t.ms for t in slo), default=0.0)


def workload(demand: Demand, rate: float) -> Workload:
    """The demand's token shape offered at ``rate`` requests/s (open-loop Poisson).

    Args:
        demand: The demand.
        rate: Requests per second.

    Returns:
        The workload.
    """
    return Workload(
        input_tokens=demand.input_tokens,
        output_tokens=demand.output_tokens,
        kind=LoadKind.RATE,
        value=max(rate, 1e-6),
    )


def _unreachable(
    candidate: Candidate, config: ServingConfig, demand: Demand, ctx: RecommendContext
) -> str:
    light = estimate(
        candidate.model, candidate.gpu, config, workload(demand, _LIGHT_LOAD_RPS), ctx.calibration
    )
    missed = [
        f"{t.metric.value.upper()} p{t.percentile} would be {predicted_ms(light, t):,.0f} ms "
        f"even at light load (target {t.ms:g} ms)"
        for t in demand.slo
        if predicted_ms(light, t) > t.ms
    ]
    if missed:
        return "; ".join(missed)
    return "no request rate meets " + ", ".join(describe_slo(t) for t in demand.slo)


def _replica_ceiling(
    candidate: Candidate,
    requirements: Requirements,
    ctx: RecommendContext,
    hours: float,
    busy: float | None = None,
) -> tuple[int | None, str]:
    """The most replicas the GPU ceiling, the inventory and the budget allow, and which binds."""
    limits: list[tuple[int, str]] = []
    if requirements.max_gpus is not None:
        limits.append((_most_replicas(candidate, requirements.max_gpus), "max_gpus"))
    have = rules.inventory_count(candidate.gpu, ctx.inventory)
    if have is not None:
        limits.append((_most_replicas(candidate, have), "inventory"))
    price = candidate.gpu.price_usd_per_gpu_hr
    if requirements.budget_usd_month is not None and price:
        limits.append(
            (
                affordable_replicas(
                    requirements.budget_usd_month, price * candidate.gpus_per_replica, hours, busy
                ),
                "budget",
            )
        )
    if not limits:
        return None, ""
    return min(limits)


def _most_replicas(candidate: Candidate, gpus: int) -> int:
    """The most (decode) replicas ``gpus`` GPUs hold, a prefill pool included."""
    replicas = gpus // candidate.tensor_parallel
    while replicas > 0 and candidate.gpus_for(replicas) > gpus:
        replicas -= 1
    return replicas


def _ceiling_broken(
    candidate: Candidate,
    replicas: int,
    requirements: Requirements,
    ctx: RecommendContext,
    demand: Demand,
) -> tuple[str, str] | None:
    """The first of GPU ceiling, inventory and budget that ``replicas`` replicas break.

    Args:
        candidate: The configuration.
        replicas: How many replicas.
        requirements: The requirements (ceiling, budget).
        ctx: The context (inventory).
        demand: The demand (hours the deployment runs, for its cost).

    Returns:
        (rule, why), or None when all three hold.
    """
    tp_floor = candidate.gpus_for(1)
    total = candidate.gpus_for(replicas)
    checks = (
        ("max_gpus", rules.gpu_ceiling(total, requirements)),
        ("inventory", rules.in_inventory(candidate.gpu, ctx.inventory, total)),
        ("budget", rules.budget(cost_usd(candidate.gpu, total, demand, tp_floor), requirements)),
    )
    return next(((name, why) for name, why in checks if why), None)


def _reject_over_ceiling(
    candidate: Candidate,
    bare: int,
    requirements: Requirements,
    ctx: RecommendContext,
    demand: Demand,
) -> Rejected:
    broken = _ceiling_broken(candidate, bare, requirements, ctx, demand)
    if broken:
        return Rejected(candidate, broken[0], f"{_replicas(bare)} needed for the peak: {broken[1]}")
    return Rejected(candidate, "capacity", f"{_replicas(bare)} needed for the peak")


def _replicas(count: int) -> str:
    """``1 replica``, ``3 replicas``."""
    return f"{count} replica" + ("" if count == 1 else "s")


def size(
    candidate: Candidate,
    config: ServingConfig,
    fit: MemoryFit,
    demand: Demand,
    requirements: Requirements,
    ctx: RecommendContext,
) -> Sized | Rejected:
    """Size one configuration for the peak, or say which rule rules it out.

    Args:
        candidate: The configuration.
        config: Its serving configuration.
        fit: Its memory fit.
        demand: Token shapes, SLOs and peak rate.
        requirements: The requirements (ceilings, budget).
        ctx: Catalogs and calibration.

    Returns:
        The sized option, or why it cannot work.
    """
    per_replica = capacity(
        candidate,
        config,
        input_tokens=demand.input_tokens,
        output_tokens=demand.output_tokens,
        slo=demand.slo,
        ctx=ctx,
    )
    if demand.pins.replicas is not None:
        return _pinned(candidate, config, fit, per_replica, demand, requirements, ctx)
    if per_replica <= 0:
        return Rejected(candidate, "slo", _unreachable(candidate, config, demand, ctx))
    wanted = replicas_for(demand.peak_rps, per_replica, headroom=HEADROOM)
    bare = max(1, math.ceil(demand.peak_rps / per_replica - 1e-9))
    ceiling, binding = _replica_ceiling(
        candidate, requirements, ctx, demand.hours_per_month, demand.busy_hours_per_month
    )
    notes: list[str] = []
    replicas = wanted
    if ceiling is not None and wanted > ceiling:
        if bare > ceiling:
            return _reject_over_ceiling(candidate, bare, requirements, ctx, demand)
        replicas = ceiling
        notes.append(
            f"Less than {HEADROOM:.0%} headroom at the peak: the {binding} allows no more replicas."
        )
    return _finish(candidate, config, fit, per_replica, replicas, demand, tuple(notes), ctx)


def _pinned(
    candidate: Candidate,
    config: ServingConfig,
    fit: MemoryFit,
    per_replica: float,
    demand: Demand,
    requirements: Requirements,
    ctx: RecommendContext,
) -> Sized | Rejected:
    """Size at the pinned replica count: its predicted effect, even when an SLO is missed."""
    replicas = demand.pins.replicas or 1
    broken = _ceiling_broken(candidate, replicas, requirements, ctx, demand)
    if broken:
        return Rejected(candidate, broken[0], f"{replicas} pinned replica(s): {broken[1]}")
    note = f"Sized at the pinned {replicas} replica(s), not for the peak with headroom."
    return _finish(candidate, config, fit, max(per_replica, 1e-9), replicas, demand, (note,), ctx)


def _finish(
    candidate: Candidate,
    config: ServingConfig,
    fit: MemoryFit,
    per_replica: float,
    replicas: int,
    demand: Demand,
    notes: tuple[str, ...],
    ctx: RecommendContext,
) -> Sized:
    share = demand.peak_rps / replicas
    predicted = predict(candidate, config, workload(demand, share), ctx)
    use = slo_use(predicted, demand.slo)
    return Sized(
        candidate=candidate,
        config=config,
        fit=fit,
        per_replica_rps=per_replica,
        replicas=replicas,
        monthly_cost_usd=cost_usd(
            candidate.gpu, candidate.gpus_for(replicas), demand, candidate.gpus_for(1)
        ),
        estimate=predicted,
        meets_slo=use <= 1.0,
        slo_use=use,
        notes=notes,
    )
