"""Pruning: configuration rules, a vectorised first look, and a lower bound for each survivor.

Per configuration, cheapest first: the quantization stance, the inventory for one replica, the
memory fit (only the two smallest tensor-parallel sizes that fit go on), then the simulator's
first look (:mod:`recommend.screening`) drops what misses an SLO even idle and floors the
replicas the peak needs, so the GPU ceiling, inventory and budget can rule out early. What
survives carries a lower bound on its ranking key for the best-first search. Every ruled-out
configuration leaves its reason in :class:`Failures`. This module never sizes or ranks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace

from domain.recommendation import Exclusion
from domain.requirements import Priority, Requirements
from domain.serving import MemoryFit, ServingConfig
from recommend import rules
from recommend.candidates import Candidate, option_quality
from recommend.context import RecommendContext
from recommend.costing import cost_usd
from recommend.demand import Demand
from recommend.ranking import SLO_USE_FLOOR, rank_key
from recommend.screening import FirstLook, first_look, replica_floors
from recommend.sizing import GPU_MEMORY_UTILIZATION, serving_config
from simulate.memory import GIB, memory_fit, usable_gib, weight_bytes

MAX_PAIR_EXCLUSIONS = 60  # (model, GPU) pairs whose exclusion is reported
TP_PER_GROUP = 2  # tensor-parallel sizes per (model, GPU, precision) worth sizing
_TIGHTEN_ROUNDS = 3
_TIGHTEN_BATCH = 48
_STAGE = {"quantization": 1, "inventory": 2, "memory": 3, "slo": 4}


@dataclass(frozen=True)
class Viable:
    """A configuration that passed the rules, with a lower bound on its ranking key."""

    bound: float
    order: int
    candidate: Candidate
    config: ServingConfig
    fit: MemoryFit
    use: float  # SLO use at light load
    floor: int  # replicas the peak needs at least
    tightened: bool = False


class Failures:
    """The furthest-reaching reason each (model family, GPU) pair was ruled out."""

    def __init__(self) -> None:
        self._by_pair: dict[tuple[str, str], tuple[int, int, str, str, str]] = {}

    def note(self, candidate: Candidate, order: int, rule: str, reason: str) -> None:
        """Keep ``reason`` if it reaches further than what the pair has so far.

        Args:
            candidate: The configuration ruled out.
            order: Its position in enumeration order.
            rule: The rule's name.
            reason: Why, in words.
        """
        pair = (candidate.family.key, candidate.gpu.name)
        # Within memory and quantization, later configurations (more GPUs, fewer bits) came
        # closer; within cost and load rules, earlier (smaller) ones did.
        closeness = order if rule in ("memory", "quantization") else -order
        entry = (_STAGE.get(rule, 5), closeness, rule, reason, candidate.label)
        if pair not in self._by_pair or entry[:2] > self._by_pair[pair][:2]:
            self._by_pair[pair] = entry

    def exclusions(self, sized_pairs: set[tuple[str, str]]) -> list[Exclusion]:
        """The furthest-reaching reasons first, at most :data:`MAX_PAIR_EXCLUSIONS`.

        Args:
            sized_pairs: (family, GPU) pairs not to report (sized, or not ruled out yet).

        Returns:
            One exclusion per remaining pair.
        """
        kept = sorted(
            (entry for pair, entry in self._by_pair.items() if pair not in sized_pairs),
            key=lambda entry: -entry[0],
        )[:MAX_PAIR_EXCLUSIONS]
        return [Exclusion(what=label, why=reason, rule=rule) for _, _, rule, reason, label in kept]


Fitting = tuple[tuple[int, Candidate, ServingConfig, MemoryFit], ...]
Notes = tuple[tuple[Candidate, int, str, str], ...]


def screen(
    candidates: Sequence[Candidate],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
    failures: Failures,
    *,
    memo_key: Hashable | None = None,
) -> list[Viable]:
    """Apply the configuration rules and bound what survives.

    Quantization stance, inventory for one replica, memory fit; then the first look (SLO at
    light load, replica floors against the GPU ceiling, inventory and budget). Candidates come
    smallest TP first within each (model, GPU, precision); only the two smallest TP sizes that
    fit go on.

    Args:
        candidates: Every configuration to check.
        requirements: The requirements.
        demand: Token shapes, SLOs and peak rate.
        ctx: Catalogs, calibration, inventory.
        failures: Where ruled-out configurations leave their reason.
        memo_key: Names ``candidates`` exactly (everything they were enumerated from); when
            given, the configuration rules' outcome is remembered in the context's memo.

    Returns:
        The survivors, lowest bound first.
    """
    if memo_key is None:
        fitting, notes = _fitting(candidates, requirements, demand, ctx)
    else:
        key = ("screen", memo_key, requirements.quantization, demand.context_tokens)
        fitting, notes = ctx.memo.get(
            key,
            lambda: _fitting(candidates, requirements, demand, ctx),
            weight=lambda answer: len(answer[0]) + len(answer[1]),  # ≈ kB
        )
    for cand, order, rule, why in notes:
        failures.note(cand, order, rule, why)
    return _bound_by_first_look(list(fitting), requirements, demand, ctx, failures)


def _fitting(
    candidates: Sequence[Candidate],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
) -> tuple[Fitting, Notes]:
    """What passes quantization, inventory and memory, and why the rest did not."""
    fitting: list[tuple[int, Candidate, ServingConfig, MemoryFit]] = []
    notes: list[tuple[Candidate, int, str, str]] = []
    fitted: Counter[tuple[str, str, str]] = Counter()
    for order, cand in enumerate(candidates):
        group = (cand.family.key, cand.gpu.name, cand.precision.value)
        if fitted[group] >= TP_PER_GROUP:
            continue  # larger TP sizes than the two smallest that fit are not worth sizing
        ruled = _configuration_rule(cand, requirements, ctx)
        if ruled:
            notes.append((cand, order, ruled[0], ruled[1]))
            continue
        config = serving_config(cand, demand)
        fit = memory_fit(cand.model, cand.gpu, config)
        if not fit.fits:
            notes.append((cand, order, "memory", rules.memory(fit) or ""))
            continue
        fitting.append((order, cand, config, fit))
        fitted[group] += 1
    return tuple(fitting), tuple(notes)


def _configuration_rule(
    cand: Candidate, requirements: Requirements, ctx: RecommendContext
) -> tuple[str, str] | None:
    """Quantization stance, inventory for one replica, weights against GPU memory."""
    why = rules.quantization_allowed(cand.model, cand.precision, requirements.quantization)
    if why:
        return "quantization", why
    why = rules.in_inventory(cand.gpu, ctx.inventory, cand.tensor_parallel)
    if why:
        return "inventory", why
    weights = weight_bytes(cand.model, cand.precision) / cand.tensor_parallel / GIB
    usable = usable_gib(cand.gpu, GPU_MEMORY_UTILIZATION)
    if weights > usable:
        return "memory", (
            f"does not fit: weights alone take {weights:.1f} GiB per GPU, "
            f"{cand.tensor_parallel} × {cand.gpu.name} offer {usable:.1f} GiB each"
        )
    return None


def _bound_by_first_look(
    fitting: list[tuple[int, Candidate, ServingConfig, MemoryFit]],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
    failures: Failures,
) -> list[Viable]:
    """Drop what misses an SLO even idle or needs too many GPUs; bound the rest."""
    looks = first_look(
        [(cand, config, fit) for _, cand, config, fit in fitting],
        input_tokens=demand.input_tokens,
        output_tokens=demand.output_tokens,
        ctx=ctx,
    )
    viable: list[Viable] = []
    for (order, cand, config, fit), look in zip(fitting, looks, strict=True):
        use = look.light_use(demand.slo)
        if use > 1.0:
            failures.note(cand, order, "slo", _idle_miss(look, demand))
            continue
        floor = max(1, math.ceil(demand.peak_rps / max(look.saturated_rps, 1e-9) - 1e-9))
        if demand.pins.replicas is not None:
            floor = demand.pins.replicas  # pinned: sized as given, SLO or not
        item = _bounded(
            Viable(0.0, order, cand, config, fit, use, floor), requirements, demand, ctx
        )
        if isinstance(item, Viable):
            viable.append(item)
        else:
            failures.note(cand, order, item[0], item[1])
    viable.sort(key=lambda v: (v.bound, v.order))
    return _tighten(viable, requirements, demand, ctx, failures)


def _bounded(
    item: Viable, requirements: Requirements, demand: Demand, ctx: RecommendContext
) -> Viable | tuple[str, str]:
    """Apply the GPU ceiling, inventory and budget to a replica floor, and bound the key."""
    cand = item.candidate
    total = item.floor * cand.tensor_parallel
    cost = cost_usd(cand.gpu, total, demand, cand.tensor_parallel)
    ruled = (
        ("max_gpus", rules.gpu_ceiling(total, requirements)),
        ("inventory", rules.in_inventory(cand.gpu, ctx.inventory, total)),
        ("budget", rules.budget(cost, requirements) if cost is not None else None),
    )
    broken = next(((name, why) for name, why in ruled if why), None)
    if broken:
        floor = f"{item.floor} replica" + ("" if item.floor == 1 else "s")
        return broken[0], f"at least {floor} for the peak: {broken[1]}"
    priority = requirements.priority or Priority.BALANCED
    bound = rank_key(cost, max(item.use, SLO_USE_FLOOR), option_quality(cand), priority)
    return Viable(
        bound, item.order, cand, item.config, item.fit, item.use, item.floor, item.tightened
    )


def _tighten(
    viable: list[Viable],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
    failures: Failures,
) -> list[Viable]:
    """Raise the replica floors of the most promising configurations from a rate ladder.

    Rounds repeat until the first :data:`_TIGHTEN_BATCH` in bound order are all tightened.
    """
    if demand.pins.replicas is not None:
        return viable  # the replica count is pinned, there is no floor to raise
    for _ in range(_TIGHTEN_ROUNDS):
        batch = [v for v in viable[:_TIGHTEN_BATCH] if not v.tightened]
        if not batch:
            break
        floors = replica_floors(
            [(v.candidate, v.config, v.fit) for v in batch],
            peak_rps=demand.peak_rps,
            slo=demand.slo,
            input_tokens=demand.input_tokens,
            output_tokens=demand.output_tokens,
            ctx=ctx,
        )
        tightened: dict[int, Viable | None] = {}
        for item, floor in zip(batch, floors, strict=True):
            raised = replace(item, floor=max(item.floor, floor), tightened=True)
            outcome = _bounded(raised, requirements, demand, ctx)
            if isinstance(outcome, tuple):
                failures.note(item.candidate, item.order, outcome[0], outcome[1])
            tightened[item.order] = outcome if isinstance(outcome, Viable) else None
        kept = (tightened.get(v.order, v) for v in viable)
        viable = sorted((v for v in kept if v is not None), key=lambda v: (v.bound, v.order))
    return viable


def _idle_miss(look: FirstLook, demand: Demand) -> str:
    missed = [
        f"{t.metric.value.upper()} p{t.percentile} would be "
        f"{look.light_ms[(t.metric.value, t.percentile)]:,.0f} ms even at light load "
        f"(target {t.ms:g} ms)"
        for t in demand.slo
        if look.light_ms[(t.metric.value, t.percentile)] > t.ms
    ]
    return "; ".join(missed)
