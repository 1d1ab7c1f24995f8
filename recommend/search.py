"""The search, in stages: rules, then screen, then size (the engine ranks what it sizes).

1. **Rules** (:mod:`recommend.ruling`): model families, GPUs and configurations the
   requirements rule out, each with its reason; remembered per rule inputs.
2. **Screen** (:mod:`recommend.pruning`): the simulator's first look drops what misses an SLO
   even idle or needs too many GPUs, and bounds the ranking key of the rest.
3. **Size** (:func:`recommend.sizing.size`): in bound order, replicas for the peak; the search
   stops once no unsized configuration can beat the ``limit``-th best found, which keeps a
   full-catalog recommendation fast.

This module never explains and never builds the final answer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.recommendation import Exclusion
from domain.requirements import Priority, Requirements
from recommend.candidates import option_quality
from recommend.context import RecommendContext
from recommend.demand import Demand
from recommend.pruning import Failures, Viable, screen
from recommend.ranking import rank_key
from recommend.ruling import TP_PER_GROUP, RuleInputs, apply_rules
from recommend.sizing import Rejected, Sized, size

MAX_SIZED = 80  # configurations sized at most per search
POPULAR_FAMILIES = ("H100", "A100", "L40S", "L4")
_POPULAR_TRIES = 4


@dataclass
class SearchResult:
    """What the search found: sized options and everything ruled out, with reasons."""

    sized: list[Sized] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)
    truncated: bool = False


def sized_key(option: Sized, priority: Priority) -> float:
    """The ranking key of a sized option.

    Args:
        option: The option.
        priority: What matters most.

    Returns:
        Key; lower is better.
    """
    return rank_key(
        option.monthly_cost_usd, option.slo_use, option_quality(option.candidate), priority
    )


def _kth_best(best: dict[tuple[str, str, str], float], k: int) -> float:
    if len(best) < k:
        return math.inf
    return sorted(best.values())[k - 1]


def search(
    requirements: Requirements,
    demand: Demand,
    named: Sequence[str],
    ctx: RecommendContext,
    *,
    limit: int,
    max_sized: int = MAX_SIZED,
) -> SearchResult:
    """Rule out what cannot work, screen the rest, and size the most promising.

    Args:
        requirements: The requirements.
        demand: Token shapes, SLOs and peak rate.
        named: Catalog ids of the models the requirements name.
        ctx: Catalogs, calibration, inventory.
        limit: How many distinct (model, GPU, precision) options the answer needs.
        max_sized: How many configurations to size at most.

    Returns:
        Sized options (each holds the SLOs at its share of the peak) and exclusions.
    """
    ruled = apply_rules(RuleInputs.of(requirements, demand, named), ctx)
    result = SearchResult(exclusions=list(ruled.exclusions))
    failures = Failures()
    for cand, order, rule, why in ruled.notes:
        failures.note(cand, order, rule, why)
    viable = screen(ruled.fitting, requirements, demand, ctx, failures)
    tried = _size_best_first(
        viable, requirements, demand, ctx, failures, result, (limit, max_sized)
    )
    # A pair with a configuration still unsized is not ruled out: the search just stopped.
    open_pairs = {
        (v.candidate.family.key, v.candidate.gpu.name) for v in viable if v.order not in tried
    }
    sized_pairs = {(s.candidate.family.key, s.candidate.gpu.name) for s in result.sized}
    result.exclusions += failures.exclusions(sized_pairs | open_pairs)
    return result


def _size_best_first(
    viable: list[Viable],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
    failures: Failures,
    result: SearchResult,
    limits: tuple[int, int],
) -> set[int]:
    """Size in bound order until nothing unsized can beat the limit-th best; return what was."""
    limit, max_sized = limits
    priority = requirements.priority or Priority.BALANCED
    best: dict[tuple[str, str, str], float] = {}
    per_group: Counter[tuple[str, str, str, str]] = Counter()
    tried: set[int] = set()
    for item in viable:
        if item.bound > _kth_best(best, limit):
            break
        if len(tried) >= max_sized:
            result.truncated = True
            break
        cand = item.candidate
        if per_group[cand.group] >= TP_PER_GROUP:
            continue
        tried.add(item.order)
        outcome = size(cand, item.config, item.fit, demand, requirements, ctx)
        if isinstance(outcome, Rejected):
            failures.note(cand, item.order, outcome.rule, outcome.reason)
            continue
        per_group[cand.group] += 1
        result.sized.append(outcome)
        group = cand.group[:3]  # the answer lists one option per model, GPU and precision
        best[group] = min(best.get(group, math.inf), sized_key(outcome, priority))
    _size_popular(viable, tried, requirements, demand, ctx, (failures, result))
    return tried


def _size_popular(
    viable: list[Viable],
    tried: set[int],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
    sinks: tuple[Failures, SearchResult],
) -> None:
    """Size the best few of each popular GPU family not yet sized, to say why they lost."""
    failures, result = sinks
    if not result.sized:
        return
    present = {s.candidate.gpu.family.value for s in result.sized}
    for family in POPULAR_FAMILIES:
        if family in present:
            continue
        pool = [
            v for v in viable if v.candidate.gpu.family.value == family and v.order not in tried
        ]
        for item in pool[:_POPULAR_TRIES]:
            tried.add(item.order)
            outcome = size(item.candidate, item.config, item.fit, demand, requirements, ctx)
            if isinstance(outcome, Sized):
                result.sized.append(outcome)
                break
            failures.note(item.candidate, item.order, outcome.rule, outcome.reason)
