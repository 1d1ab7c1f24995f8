"""The search: rule out what cannot work, then size the most promising survivors best-first.

Model families and GPUs are ruled out first (licence, context, size, task, allowed families,
inventory, price; families another one beats on size, speed and quality at once); the
configurations left are pruned and bounded (:mod:`recommend.pruning`) and sized in bound order
(:func:`recommend.sizing.size`). The search stops once no unsized configuration can beat the
``limit``-th best found, which keeps a full-catalog recommendation fast. This module never
explains and never builds the final answer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from domain.catalog import GpuSpec
from domain.recommendation import Exclusion
from domain.requirements import Priority, Requirements, Task
from recommend import rules
from recommend.candidates import (
    ModelFamily,
    enumerate_candidates,
    family_profile,
    model_families,
    option_quality,
)
from recommend.context import RecommendContext
from recommend.demand import Demand
from recommend.pruning import TP_PER_GROUP, Failures, Viable, screen
from recommend.ranking import rank_key
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


def _family_rule(
    family: ModelFamily, requirements: Requirements, demand: Demand
) -> tuple[str, str] | None:
    model = family.members[0]
    checks = [
        ("params", rules.params_bounds(model, requirements)),
        ("license", rules.license_allowed(model, requirements)),
        ("context", rules.context_length(model, demand.context_tokens)),
    ]
    if not family.named:
        checks.append(("task", rules.task_fit(family, demand.task)))
    return next(((name, why) for name, why in checks if why), None)


def _names(family: ModelFamily) -> str:
    return ", ".join(m.hf_id for m in family.members[:3])


def _undominated(
    families: list[ModelFamily], task: Task
) -> tuple[tuple[ModelFamily, ...], tuple[Exclusion, ...]]:
    """Drop families another one beats on size, speed and quality at once (none named)."""
    profiles = [family_profile(family, task) for family in families]
    kept = []
    dominated = []
    for family, mine in zip(families, profiles, strict=True):
        better = next(
            (
                other
                for other, theirs in zip(families, profiles, strict=True)
                if theirs != mine and all(t <= m for t, m in zip(theirs, mine, strict=True))
            ),
            None,
        )
        if better is None:
            kept.append(family)
            continue
        why = (
            f"{better.members[0].hf_id} is no larger, no slower and scores at least as well "
            f"({-family_profile(better, task)[-1]:.0f} vs {-mine[-1]:.0f} MMLU-scale)"
        )
        dominated.append(Exclusion(what=_names(family), why=why, rule="dominated"))
    return tuple(kept), tuple(dominated)


def _gpu_rule(
    gpu: GpuSpec, requirements: Requirements, demand: Demand, ctx: RecommendContext
) -> tuple[str, str] | None:
    pinned = demand.pins.gpu
    checks = [
        ("pinned_gpu", f"the GPU is pinned to {pinned}" if pinned and gpu.name != pinned else None),
        ("gpu_family", rules.gpu_family_allowed(gpu, requirements)),
        ("exact_gpu", rules.exact_gpu_allowed(gpu, rules.exact_families(requirements, ctx.gpus))),
        ("inventory", rules.in_inventory(gpu, ctx.inventory)),
        ("price", rules.priced(gpu, requirements, ctx.inventory, _family_priced(gpu, ctx))),
    ]
    return next(((name, why) for name, why in checks if why), None)


def _gpu_rule_words(rule: str, requirements: Requirements) -> str:
    """One reason for every GPU a catalog-level rule ruled out."""
    if rule == "gpu_family":
        allowed = ", ".join(family.value for family in requirements.gpu_families)
        return f"not among the allowed GPU families ({allowed})"
    if rule == "inventory":
        return "not in the GPU inventory"
    if rule == "pinned_gpu":
        return "not the pinned GPU"
    if rule == "exact_gpu":
        return "other models of a family whose exact GPUs the requirements name (" + (
            ", ".join(requirements.gpus) + ")"
        )
    budget = ", so the budget cannot be checked" if requirements.budget_usd_month else ""
    return (
        f"no price on the price basis{budget}; choose another basis "
        "(PREFLIGHT_KNOWLEDGE__PRICE_BASIS) or a price file to consider them"
    )


def _family_priced(gpu: GpuSpec, ctx: RecommendContext) -> bool:
    return any(
        other.family == gpu.family and other.price_usd_per_gpu_hr is not None
        for other in ctx.gpus.values()
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
    """Rule out what cannot work and size the most promising of the rest.

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
    result = SearchResult()
    families = []
    for family in model_families(ctx.models, named):
        ruled = _family_rule(family, requirements, demand)
        if ruled:
            result.exclusions.append(Exclusion(what=_names(family), why=ruled[1], rule=ruled[0]))
        else:
            families.append(family)
    if not named:
        kept, dominated = ctx.memo.get(
            ("undominated", tuple(family.key for family in families), demand.task),
            lambda: _undominated(families, demand.task),
            weight=150,  # ≈ kB with the family profiles' exclusions
        )
        families = list(kept)
        result.exclusions += dominated
    gpus = []
    ruled_gpus: dict[str, list[str]] = {}
    for gpu in ctx.gpus.values():
        ruled = _gpu_rule(gpu, requirements, demand, ctx)
        if ruled:
            ruled_gpus.setdefault(ruled[0], []).append(gpu.name)
        else:
            gpus.append(gpu)
    result.exclusions += [
        Exclusion(what=", ".join(names), why=_gpu_rule_words(rule, requirements), rule=rule)
        for rule, names in ruled_gpus.items()
    ]
    failures = Failures()
    key = (
        tuple((family.key, family.named) for family in families),
        tuple(gpu.name for gpu in gpus),
        frozenset(requirements.models),
        demand.task,
        requirements.max_gpus,
    )
    candidates = ctx.memo.get(
        ("candidates", key),
        lambda: tuple(enumerate_candidates(families, gpus, requirements, demand.task)),
        weight=lambda found: len(found) // 25,  # ≈ kB
    )
    precision = demand.pins.precision
    if precision is not None:
        others = {c.precision.value for c in candidates if c.precision.value != precision}
        candidates = tuple(c for c in candidates if c.precision.value == precision)
        if others:
            result.exclusions.append(
                Exclusion(
                    what=f"{', '.join(sorted(others))} configurations",
                    why=f"the precision is pinned to {precision}",
                    rule="pinned_precision",
                )
            )
    viable = screen(candidates, requirements, demand, ctx, failures, memo_key=(key, precision))
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
    per_group: Counter[tuple[str, str, str]] = Counter()
    tried: set[int] = set()
    for item in viable:
        if item.bound > _kth_best(best, limit):
            break
        if len(tried) >= max_sized:
            result.truncated = True
            break
        cand = item.candidate
        group = (cand.family.key, cand.gpu.name, cand.precision.value)
        if per_group[group] >= TP_PER_GROUP:
            continue
        tried.add(item.order)
        outcome = size(cand, item.config, item.fit, demand, requirements, ctx)
        if isinstance(outcome, Rejected):
            failures.note(cand, item.order, outcome.rule, outcome.reason)
            continue
        per_group[group] += 1
        result.sized.append(outcome)
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
