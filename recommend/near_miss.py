"""When nothing fits: which rule ruled out what, and the one change that would make it work.

Each closest option comes from searching again with exactly one requirement relaxed — the
budget, the GPU ceiling, the quantization stance, the allowed GPU families, the named models,
or the SLOs — and naming the change its best option needs. This module never builds options.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from domain.recommendation import Exclusion, NearMiss
from domain.requirements import Priority, QuantizationStance, Requirements, SloTarget
from recommend.context import RecommendContext
from recommend.demand import Demand, describe_slo
from recommend.deploy_screen import deployable
from recommend.search import search, sized_key
from recommend.sizing import Sized, predicted_ms

_RULE_WORDS = {
    "memory": "memory",
    "slo": "latency targets",
    "budget": "budget",
    "max_gpus": "GPU ceiling",
    "inventory": "GPU inventory",
    "allowed_gpus": "GPUs allowed here",
    "quantization": "quantization stance",
    "license": "licence",
    "context": "context length",
    "params": "model size",
    "task": "task fit",
    "gpu_family": "allowed GPU families",
    "price": "unpriced GPUs",
    "precision": "no servable precision",
    "capacity": "capacity",
    "exact_gpu": "exact GPU models named",
    "pinned_gpu": "the pinned GPU",
    "pinned_precision": "the pinned precision",
    "dominated": "dominated by a better option",
    "preflight": "what the cluster would refuse to start",
}
_CATALOG_RULES = (
    "allowed_gpus",
    "gpu_family",
    "price",
    "task",
    "exact_gpu",
    "pinned_gpu",
    "pinned_precision",
)
_EXAMPLES = 2
NEAR_MISS_SIZED = 40  # configurations sized at most per relaxed search
_RELAXED_SLO_FACTOR = 100.0

Relaxation = tuple[Requirements, Demand, Callable[[Sized], str]]


def why_nothing_fits(
    requirements: Requirements, demand: Demand, exclusions: Sequence[Exclusion]
) -> str:
    """A plain sentence per rule saying what it ruled out, with examples.

    Args:
        requirements: The requirements.
        demand: The demand.
        exclusions: Everything the rules ruled out.

    Returns:
        The explanation (never empty).
    """
    by_rule: dict[str, list[Exclusion]] = defaultdict(list)
    for exclusion in exclusions:
        by_rule[exclusion.rule or "other"].append(exclusion)
    parts = []
    for rule, items in sorted(by_rule.items(), key=lambda kv: kv[0] in _CATALOG_RULES):
        words = _RULE_WORDS.get(rule, rule)
        if rule in _CATALOG_RULES:
            count = sum(len(e.what.split(", ")) for e in items)
            parts.append(f"{words}: {count} ruled out")
            continue
        examples = "; ".join(f"{e.what} — {e.why}" for e in items[:_EXAMPLES])
        more = f" (and {len(items) - _EXAMPLES} more)" if len(items) > _EXAMPLES else ""
        parts.append(f"{words}: {examples}{more}")
    targets = ", ".join(describe_slo(t) for t in demand.slo) or "no latency target"
    head = f"Nothing meets every requirement at {demand.peak_rps:.2f} requests/s with {targets}."
    return head + (" " + ". ".join(parts) + "." if parts else "")


def _relaxations(requirements: Requirements, demand: Demand) -> Iterator[Relaxation]:
    if requirements.budget_usd_month is not None:
        yield (
            requirements.model_copy(update={"budget_usd_month": None}),
            demand,
            lambda o: f"raise the budget to ${math.ceil(o.monthly_cost_usd or 0):,}/month",
        )
    if requirements.max_gpus is not None:
        yield (
            requirements.model_copy(update={"max_gpus": None}),
            demand,
            lambda o: f"allow {o.total_gpus} GPUs (the ceiling is {requirements.max_gpus})",
        )
    looser = {
        QuantizationStance.FORBIDDEN: QuantizationStance.EIGHT_BIT,
        QuantizationStance.EIGHT_BIT: QuantizationStance.ALLOWED,
        None: QuantizationStance.ALLOWED,
    }.get(requirements.quantization)
    if looser is not None:
        yield (
            requirements.model_copy(update={"quantization": looser}),
            demand,
            lambda o: f"allow {o.candidate.precision.value} weights (quantization)",
        )
    if requirements.gpu_families:
        yield (
            requirements.model_copy(update={"gpu_families": []}),
            demand,
            lambda o: f"use {o.candidate.tensor_parallel}× {o.candidate.gpu.name} per replica",
        )
    if requirements.models:
        yield (
            requirements.model_copy(update={"models": []}),
            demand,
            lambda o: f"another model: {o.candidate.model.hf_id} ({o.candidate.model.params_b:g}B)",
        )
    if demand.slo:
        yield (requirements, _looser_slo(demand), lambda o: _slo_change(o, demand.slo))


def _looser_slo(demand: Demand) -> Demand:
    relaxed = tuple(
        SloTarget(metric=t.metric, ms=t.ms * _RELAXED_SLO_FACTOR, percentile=t.percentile)
        for t in demand.slo
    )
    return Demand(
        demand.task,
        demand.input_tokens,
        demand.output_tokens,
        relaxed,
        demand.peak_rps,
        demand.context_tokens,
        demand.assumptions,
    )


def _slo_change(option: Sized, slo: Sequence[SloTarget]) -> str:
    missed = [
        f"{t.metric.value.upper()} p{t.percentile} to {math.ceil(value):,} ms"
        for t in slo
        if (value := predicted_ms(option.estimate, t)) > t.ms
    ]
    return "relax " + (", ".join(missed) if missed else "the latency targets")


def closest(
    requirements: Requirements, demand: Demand, named: Sequence[str], ctx: RecommendContext
) -> list[NearMiss]:
    """The closest options, each with the one change that would make it work.

    Args:
        requirements: The requirements nothing met.
        demand: The demand.
        named: Catalog ids of the named models.
        ctx: The context.

    Returns:
        One near miss per relaxation that finds something, best first as relaxations go.
    """
    priority = requirements.priority or Priority.BALANCED
    misses: list[NearMiss] = []
    for relaxed, relaxed_demand, change in _relaxations(requirements, demand):
        keep = named if relaxed.models else []
        found = search(relaxed, relaxed_demand, keep, ctx, limit=1, max_sized=NEAR_MISS_SIZED)
        if not found.sized:
            continue
        ordered = sorted(found.sized, key=lambda o: sized_key(o, priority))
        best = next((o for o in ordered if deployable(o, ctx.deploy_check)), None)
        if best is None:
            continue
        cost = f"${best.monthly_cost_usd:,.0f}/month" if best.monthly_cost_usd else "unpriced"
        replicas = f"{best.replicas} replica" + ("" if best.replicas == 1 else "s")
        what = f"{best.candidate.label} × {replicas}, {cost}"
        misses.append(NearMiss(what=what, change=change(best)))
    return misses
