"""From ranked options to the shortlist a person reads: no dominated option, named model first.

An option is *dominated* when another one on the list holds its SLOs whenever it does, costs no
more, uses no more GPUs, is no slower on any target (below :data:`COMFORT` of a target, where
latency no longer matters unless it is the priority), and scores within
:data:`QUALITY_TOLERANCE` points — and is strictly cheaper or faster. Such an option is never
worth choosing, so it leaves the list as an exclusion naming the option that beats it. When the
requirements name a model, its best option stays first and every other model is labelled an
alternative. Each option says why it holds its rank. This module never sizes or predicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.recommendation import Exclusion
from domain.requirements import Priority
from recommend.candidates import is_named
from recommend.demand import Demand
from recommend.sizing import Sized, predicted_ms

QUALITY_TOLERANCE = 1.0  # MMLU points: published FP8/AWQ evaluations move scores by ~0-2
_BETTER = 0.03  # a 3% lower cost or latency counts as better, less is noise
# Unless latency is the priority, a latency under 80% of its target buys nothing the SLO asks
# for: an option twice the cost that is only faster than a comfortable one is not worth listing.
COMFORT = 0.8
# A team rule, not a measurement: an option costing more than this many times the cheapest
# option that holds every SLO needs more than a quality edge to be worth a look (an issue
# review found 296 L4s at $174k/month listed beside 10 L4s at $5.9k for the same load). It
# applies unless accuracy is the stated priority or the model was named.
COST_CEILING = 4.0


@dataclass(frozen=True)
class Ranked:
    """One sized option with its ranking score."""

    option: Sized
    score: float


def _latencies(option: Sized, demand: Demand) -> list[tuple[float, float]]:
    """(predicted ms, target ms) per target."""
    return [(predicted_ms(option.estimate, t), t.ms) for t in demand.slo]


def _cost(option: Sized) -> float:
    return option.monthly_cost_usd if option.monthly_cost_usd is not None else 0.0


def dominated_by(
    a: Sized, b: Sized, demand: Demand, priority: Priority = Priority.BALANCED
) -> bool:
    """Whether ``a`` dominates ``b`` (see the module docstring).

    Args:
        a: The option that may dominate.
        b: The option that may be dominated.
        demand: The targets whose latencies are compared.
        priority: What matters most (below :data:`COMFORT` of a target, latency counts only
            when it is latency).

    Returns:
        True when ``b`` is never worth choosing over ``a``.
    """
    if (a.monthly_cost_usd is None) != (b.monthly_cost_usd is None):
        return False
    if b.meets_slo and not a.meets_slo:
        return False
    floor = COMFORT if a.meets_slo and priority != Priority.LATENCY else 0.0
    return dominates(
        (_cost(a), a.total_gpus, a.candidate.quality, _latencies(a, demand)),
        (_cost(b), b.total_gpus, b.candidate.quality, _latencies(b, demand)),
        floor,
    )


Profile = tuple[float, int, float, list[tuple[float, float]]]


def dominates(a: Profile, b: Profile, floor: float) -> bool:
    """Whether profile ``a`` (cost, GPUs, quality, latencies) dominates ``b``.

    No worse: cost, GPUs, quality within :data:`QUALITY_TOLERANCE`, and latency where it
    matters (each latency counted from ``floor`` × its target). Better: 3% cheaper, or 3%
    faster on a target.

    Args:
        a: The profile that may dominate.
        b: The profile that may be dominated.
        floor: Share of a target below which latency no longer counts as worse.

    Returns:
        True when ``a`` dominates ``b``.
    """
    cost_a, gpus_a, quality_a, lat_a = a
    cost_b, gpus_b, quality_b, lat_b = b
    pairs = list(zip(lat_a, lat_b, strict=True))
    no_worse = (
        cost_a <= cost_b
        and gpus_a <= gpus_b
        and quality_a >= quality_b - QUALITY_TOLERANCE
        and all(max(x, floor * t) <= max(y, floor * t) for (x, t), (y, _) in pairs)
    )
    cheaper = cost_a < cost_b * (1 - _BETTER)
    # Faster counts only where latency counts (above the floor), as no_worse does: otherwise
    # two options each faster on a different latency under the floor dominate each other and
    # both are pruned.
    faster = any(max(x, floor * t) < max(y, floor * t) * (1 - _BETTER) for (x, t), (y, _) in pairs)
    return no_worse and (cheaper or faster)


def _label(option: Sized) -> str:
    cand = option.candidate
    return (
        f"{cand.model.hf_id} {cand.precision.value} on {option.total_gpus} × {cand.gpu.name} "
        f"({option.replicas} replica(s) of TP{cand.tensor_parallel})"
    )


def _why_dominated(winner: Sized, loser: Sized, demand: Demand) -> str:
    slower = ", ".join(
        f"{t.metric.value.upper()} p{t.percentile} {predicted_ms(loser.estimate, t):,.0f} vs "
        f"{predicted_ms(winner.estimate, t):,.0f} ms of {t.ms:g}"
        for t in demand.slo
    )
    cost = (
        f"${_cost(loser):,.0f} vs ${_cost(winner):,.0f}/month"
        if loser.monthly_cost_usd is not None
        else "both unpriced"
    )
    return (
        f"dominated by {_label(winner)}: costs no less ({cost}), needs no fewer GPUs "
        f"({loser.total_gpus} vs {winner.total_gpus}), is no faster where it matters "
        f"({slower}; under {COMFORT:.0%} of a target counts as met) and scores within "
        f"{QUALITY_TOLERANCE:g} MMLU point"
    )


def shortlist(
    ranked: Sequence[Ranked],
    demand: Demand,
    named: Sequence[str],
    limit: int,
    priority: Priority = Priority.BALANCED,
) -> tuple[list[Ranked], list[Exclusion]]:
    """The options worth showing, best first, and the dominated ones with their reason.

    Args:
        ranked: Options in rank order.
        demand: The demand (targets compared).
        named: Catalog ids the requirements name.
        limit: How many options to keep.
        priority: What matters most.

    Returns:
        (kept options, exclusions of dominated ones).
    """
    ordered = _named_first(ranked, named)
    kept: list[Ranked] = []
    pruned: list[Exclusion] = []
    for index, item in enumerate(ordered):
        protected = index == 0 and bool(named)
        winner = next(
            (
                other
                for other in ordered
                if other is not item and dominated_by(other.option, item.option, demand, priority)
            ),
            None,
        )
        if winner is not None and not protected:
            why = _why_dominated(winner.option, item.option, demand)
            pruned.append(Exclusion(what=_label(item.option), why=why, rule="dominated"))
            continue
        if len(kept) < limit:
            kept.append(item)
    return _within_reason(kept, pruned, named, priority)


def _within_reason(
    kept: list[Ranked], pruned: list[Exclusion], named: Sequence[str], priority: Priority
) -> tuple[list[Ranked], list[Exclusion]]:
    """Drop options costing over :data:`COST_CEILING` × the cheapest one that holds every SLO."""
    costs = [
        r.option.monthly_cost_usd
        for r in kept
        if r.option.meets_slo and r.option.monthly_cost_usd is not None
    ]
    if priority == Priority.ACCURACY or not costs:
        return kept, pruned
    ceiling = COST_CEILING * min(costs)
    within: list[Ranked] = []
    for index, item in enumerate(kept):
        cost = item.option.monthly_cost_usd
        if (
            index == 0
            or cost is None
            or cost <= ceiling
            or is_named(item.option.candidate.model, named)
        ):
            within.append(item)
            continue
        why = (
            f"costs ${cost:,.0f}/month, over {COST_CEILING:g}× the ${min(costs):,.0f} of the "
            "cheapest option that holds every SLO (say 'quality first' to list it)"
        )
        pruned.append(Exclusion(what=_label(item.option), why=why, rule="disproportionate cost"))
    return within, pruned


def _named_first(ranked: Sequence[Ranked], named: Sequence[str]) -> list[Ranked]:
    """The best option of a named model first (when one meets its SLOs or none does)."""
    if not named:
        return list(ranked)
    own = [r for r in ranked if is_named(r.option.candidate.model, named)]
    if not own:
        return list(ranked)
    best = next((r for r in own if r.option.meets_slo), own[0])
    if not best.option.meets_slo and any(r.option.meets_slo for r in ranked):
        return list(ranked)
    return [best, *(r for r in ranked if r is not best)]


def rank_reason(position: int, item: Ranked, top: Ranked, priority: str) -> str:
    """Why an option holds its rank, in one sentence against option 1.

    Args:
        position: 1-based rank.
        item: The option.
        top: Option 1.
        priority: The ranking priority in words.

    Returns:
        The sentence.
    """
    if position == 1:
        return (
            f"Rank 1: lowest {priority} score ({item.score:.2f}) of the options that hold "
            "every SLO."
            if item.option.meets_slo
            else f"Rank 1: lowest {priority} score ({item.score:.2f}); no option holds every SLO."
        )
    parts = []
    mine, theirs = item.option.monthly_cost_usd, top.option.monthly_cost_usd
    if mine is not None and theirs:
        parts.append(f"{mine / theirs:.1f}× the cost")
    elif mine is None:
        parts.append("no price on the basis")
    use, top_use = item.option.slo_use, top.option.slo_use
    parts.append(f"SLO use {use:.0%} vs {top_use:.0%}")
    quality = item.option.candidate.quality - top.option.candidate.quality
    parts.append(f"quality {quality:+.1f} MMLU points")
    verdict = "" if item.option.meets_slo else "; misses an SLO"
    return (
        f"Rank {position}: against option 1, {', '.join(parts)} "
        f"(score {item.score:.2f} vs {top.score:.2f}){verdict}."
    )
