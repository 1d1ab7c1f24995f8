"""Ranking sized options by the stated priority, with a score a person can recompute.

score = w_cost × log2(cost / cheapest) + w_latency × log2(slo_use / lowest slo_use)
        + w_quality × (best quality − quality) / QUALITY_POINTS

``slo_use`` is the largest predicted-to-target ratio over the SLOs (0.5 = half the budget used),
counted from :data:`SLO_USE_FLOOR` (lower latency than that does not count);
quality is the MMLU-scale score (:func:`recommend.candidates.quality_score`) less the
quantization penalty. Lower scores rank first. Every option that holds its SLOs ranks before
any that does not, and every priced option before any the price basis has no price for (an
unpriced option's cost term is 0: it is ranked on latency and quality alone, and says so).
This module only orders; it never filters or predicts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from domain.requirements import Priority

QUALITY_POINTS = 5.0  # five MMLU points weigh as much as doubling the cost (balanced)
WEIGHTS: dict[Priority, tuple[float, float, float]] = {
    Priority.BALANCED: (1.0, 0.5, 1.0),
    Priority.COST: (1.0, 0.15, 0.3),
    Priority.LATENCY: (0.3, 1.0, 0.3),
    Priority.ACCURACY: (0.3, 0.15, 2.0),
}
_MIN_COST = 1.0  # owned, unpriced GPUs cost $0; keep the logarithm finite
SLO_USE_FLOOR = 0.5  # below half the target, lower latency no longer counts
UNPRICED_KEY = 1e6  # above any priced key: log2 of a cost, weighted, stays under 100


@dataclass(frozen=True)
class Scorable:
    """What the ranking reads of one option."""

    monthly_cost_usd: float | None
    slo_use: float
    quality: float
    e2e_ms_p95: float
    meets_slo: bool


def describe_weights(priority: Priority) -> str:
    """The ranking formula with the weights of ``priority``, for the assumptions list.

    Args:
        priority: The stated (or default) priority.

    Returns:
        One sentence.
    """
    cost, latency, quality = WEIGHTS[priority]
    return (
        f"Ranked for {priority.value}: score = {cost:g}×log2(cost/cheapest) + "
        f"{latency:g}×log2(SLO use/lowest) + {quality:g}×(best MMLU − MMLU)/{QUALITY_POINTS:g}; "
        f"SLO use = predicted/target, counted from {SLO_USE_FLOOR:g}; lower is better."
    )


def scores(items: Sequence[Scorable], priority: Priority) -> list[float]:
    """The score of every item, relative to the best of each term among ``items``.

    Args:
        items: The options.
        priority: What matters most.

    Returns:
        One score per item (lower is better).
    """
    if not items:
        return []
    w_cost, w_latency, w_quality = WEIGHTS[priority]
    costs = [item.monthly_cost_usd for item in items if item.monthly_cost_usd is not None]
    cheapest = min((max(cost, _MIN_COST) for cost in costs), default=_MIN_COST)
    lowest_use = min(max(item.slo_use, SLO_USE_FLOOR) for item in items)
    best_quality = max(item.quality for item in items)
    return [
        _cost_term(item.monthly_cost_usd, cheapest, w_cost)
        + w_latency * math.log2(max(item.slo_use, SLO_USE_FLOOR) / lowest_use)
        + w_quality * (best_quality - item.quality) / QUALITY_POINTS
        for item in items
    ]


def _cost_term(cost: float | None, cheapest: float, weight: float) -> float:
    if cost is None:
        return 0.0
    return weight * math.log2(max(cost, _MIN_COST) / cheapest)


def rank(items: Sequence[Scorable], priority: Priority) -> list[tuple[int, float]]:
    """Order items: those meeting their SLOs first, then by score, then by cost.

    Args:
        items: The options.
        priority: What matters most.

    Returns:
        (index into items, score) best first.
    """
    values = scores(items, priority)
    order = sorted(
        range(len(items)),
        key=lambda i: (
            not items[i].meets_slo,
            items[i].monthly_cost_usd is None,
            values[i],
            items[i].monthly_cost_usd or 0.0,
        ),
    )
    return [(i, values[i]) for i in order]


def pareto_front(items: Sequence[Scorable]) -> list[int]:
    """Indexes of items no other item beats on cost, p95 latency and quality at once.

    Args:
        items: The options.

    Returns:
        Indexes on the front, in the given order.
    """

    return [
        i
        for i, item in enumerate(items)
        if not any(dominates(other, item) for j, other in enumerate(items) if j != i)
    ]


def dominates(a: Scorable, b: Scorable) -> bool:
    """Whether ``a`` is no worse than ``b`` on cost, p95 latency and quality, and better on one.

    Unpriced options are compared only with unpriced ones on cost (neither is cheaper).

    Args:
        a: One option.
        b: Another.

    Returns:
        True when ``a`` dominates ``b``.
    """
    if (a.monthly_cost_usd is None) != (b.monthly_cost_usd is None):
        return False
    cost_a, cost_b = a.monthly_cost_usd or 0.0, b.monthly_cost_usd or 0.0
    no_worse = cost_a <= cost_b and a.e2e_ms_p95 <= b.e2e_ms_p95 and a.quality >= b.quality
    better = cost_a < cost_b or a.e2e_ms_p95 < b.e2e_ms_p95 or a.quality > b.quality
    return no_worse and better


def rank_key(cost: float | None, slo_use: float, quality: float, priority: Priority) -> float:
    """The absolute ranking key; ranking scores differ from it by one constant per search.

    An unpriced option (no price on the basis) keys after every priced one, as :func:`rank`
    lists it: counted as free, it would be sized first and crowd priced options out of the
    search (an unpriced A100-PCIe-80GB hid the priced A100-SXM-80GB when both were named).

    Args:
        cost: Monthly cost (None when unpriced).
        slo_use: Largest predicted/target ratio.
        quality: Option quality.
        priority: What matters most.

    Returns:
        Key; lower is better.
    """
    w_cost, w_latency, w_quality = WEIGHTS[priority]
    cost_term = UNPRICED_KEY if cost is None else w_cost * math.log2(max(cost, 1.0))
    return (
        cost_term
        + w_latency * math.log2(max(slo_use, SLO_USE_FLOOR))
        - w_quality * quality / QUALITY_POINTS
    )
