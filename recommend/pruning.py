"""The screen stage: a vectorised first look at what the rules left, and a bound for each survivor.

The simulator's first look (:mod:`recommend.screening`, remembered by
:mod:`recommend.predictions`) drops what misses an SLO even idle and floors the replicas the
peak needs, so the GPU ceiling, inventory and budget can rule out before anything is sized.
What survives carries a lower bound on its ranking key for the best-first search. Every
ruled-out configuration leaves its reason in :class:`Failures`. This module never sizes or ranks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from domain.recommendation import Exclusion
from domain.requirements import Priority, Requirements
from domain.serving import MemoryFit, ServingConfig
from recommend import rules
from recommend.candidates import Candidate, option_quality
from recommend.context import RecommendContext
from recommend.costing import cost_usd
from recommend.demand import Demand
from recommend.predictions import first_looks
from recommend.ranking import SLO_USE_FLOOR, rank_key
from recommend.ruling import Fitting
from recommend.screening import FirstLook, replica_floors

MAX_PAIR_EXCLUSIONS = 60  # (model, GPU) pairs whose exclusion is reported
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


def screen(
    fitting: Sequence[Fitting],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
    failures: Failures,
) -> list[Viable]:
    """Drop what misses an SLO even idle or needs too many GPUs; bound the rest.

    The simulator's first look (:func:`recommend.predictions.first_looks`) gives each
    configuration's SLO use at light load and a replica floor for the peak; the GPU ceiling,
    inventory and budget apply to the floor; the most promising floors are then raised from a
    rate ladder.

    Args:
        fitting: The configurations the rules stage left (:mod:`recommend.ruling`).
        requirements: The requirements.
        demand: Token shapes, SLOs and peak rate.
        ctx: Calibration, inventory and the memo.
        failures: Where ruled-out configurations leave their reason.

    Returns:
        The survivors, lowest bound first.
    """
    looks = first_looks(
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
    total = cand.gpus_for(item.floor)
    cost = cost_usd(cand.gpu, total, demand, cand.gpus_for(1))
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
