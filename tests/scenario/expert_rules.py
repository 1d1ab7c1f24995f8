"""A written check of a whole recommendation against the rules an LLM-serving engineer applies.

Each rule is a function returning the ways a recommendation breaks it (empty when it holds):

1. No option costs $0: an option the price basis cannot price says "no price" (None).
2. No listed option is dominated: none costs no less, needs no fewer GPUs, is no faster on
   any target where latency matters (under 80% of a target it no longer does) and scores
   within a point of another listed option, while being worse on cost or latency.
3. The named model is kept: option 1 serves the model the requirements name (the named
   checkpoint, or a checkpoint of the same architecture when the name stands for one).
4. Exact GPUs are kept: within a family whose exact models are named, only those models,
   and the option says the GPU is pinned so deploy can pin node selection.
5. Code completion gets a fill-in-the-middle model: every option is tagged for the task.
6. The load is derived as stated: a stated rate is used as is; a population becomes a peak
   through a stated active share and think time, said in the assumptions.
7. Every target bounds the answer at the percentile asked: options marked as meeting the SLOs
   predict within every target, the task's defaults included, at each target's percentile.
8. No option is out of proportion: unless accuracy is the priority or the model was named,
   none costs more than four times the cheapest listed option that holds every SLO.

:func:`violations` runs all of them. It reads only the public recommendation and the catalog.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.recommendation import Recommendation, RecommendedOption
from domain.requirements import Priority, Requirements, SloTarget, Task
from knowledge.catalog import gpu_family_of
from recommend.context import RecommendContext
from recommend.demand import plan_demand
from recommend.shortlist import COMFORT, dominates

Rule = Callable[[Recommendation, Requirements, RecommendContext], list[str]]


def _predicted(option: RecommendedOption, target: SloTarget) -> float | None:
    value: float | None = getattr(
        option.predicted, f"{target.metric.value}_ms_p{target.percentile}", None
    )
    return value


def no_zero_cost(rec: Recommendation, _: Requirements, __: RecommendContext) -> list[str]:
    """Rule 1."""
    return [
        f"option {n} costs $0 ({o.gpu})"
        for n, o in enumerate(rec.options, 1)
        if o.monthly_cost_usd is not None and o.monthly_cost_usd <= 0
    ]


def _dominates(a: RecommendedOption, b: RecommendedOption, targets: list[SloTarget]) -> bool:
    if (a.monthly_cost_usd is None) != (b.monthly_cost_usd is None):
        return False
    if b.meets_slo and not a.meets_slo:
        return False
    lat_a = [(_predicted(a, t), t.ms) for t in targets]
    lat_b = [(_predicted(b, t), t.ms) for t in targets]
    if any(value is None for value, _ in [*lat_a, *lat_b]):
        return False
    floor = COMFORT if a.meets_slo else 0.0
    return dominates(
        (a.monthly_cost_usd or 0.0, a.total_gpus, a.quality_score or 0.0, lat_a),  # type: ignore[arg-type]
        (b.monthly_cost_usd or 0.0, b.total_gpus, b.quality_score or 0.0, lat_b),  # type: ignore[arg-type]
        floor,
    )


def no_dominated(
    rec: Recommendation, requirements: Requirements, ctx: RecommendContext
) -> list[str]:
    """Rule 2 (the named model's first option may stay: it is what was asked for)."""
    targets = list(plan_demand(requirements, ctx.task_defaults).slo)
    found = []
    for j, loser in enumerate(rec.options):
        if j == 0 and requirements.models:
            continue
        for i, winner in enumerate(rec.options):
            if i != j and _dominates(winner, loser, targets):
                found.append(f"option {j + 1} is dominated by option {i + 1}")
                break
    return found


def named_model_kept(
    rec: Recommendation, requirements: Requirements, ctx: RecommendContext
) -> list[str]:
    """Rule 3."""
    if not requirements.models or not rec.options:
        return []
    top = rec.options[0]
    named = [ctx.models[name] for name in requirements.models if name in ctx.models]
    same = any(
        top.model == m.hf_id or (ctx.models[top.model].params_b == m.params_b) for m in named
    )
    return [] if same else [f"option 1 is {top.model}, not the named {requirements.models}"]


def exact_gpus_kept(
    rec: Recommendation, requirements: Requirements, _: RecommendContext
) -> list[str]:
    """Rule 4."""
    if not requirements.gpus:
        return []
    families = {gpu_family_of(name).value for name in requirements.gpus}
    found = []
    for n, option in enumerate(rec.options, 1):
        if option.gpu_family in families and option.gpu not in requirements.gpus:
            found.append(f"option {n} runs on {option.gpu}, not the named {requirements.gpus}")
        if option.gpu in requirements.gpus and not option.pinned_gpu:
            found.append(f"option {n} does not say its GPU {option.gpu} is pinned")
    return found


def task_fit_for_code_completion(
    rec: Recommendation, requirements: Requirements, ctx: RecommendContext
) -> list[str]:
    """Rule 5."""
    if requirements.task != Task.CODE_COMPLETION:
        return []
    return [
        f"option {n} ({o.model}) is not a fill-in-the-middle model"
        for n, o in enumerate(rec.options, 1)
        if Task.CODE_COMPLETION not in ctx.models[o.model].tasks
    ]


def load_derived_as_stated(
    rec: Recommendation, requirements: Requirements, _: RecommendContext
) -> list[str]:
    """Rule 6."""
    notes = " ".join(rec.assumptions)
    if requirements.requests_per_second is not None:
        return ["a stated rate was replaced by an assumption"] if "Peak load:" in notes else []
    if requirements.concurrent_users is None and requirements.user_population is not None:
        people = f"{requirements.user_population:,} people ×"
        if people not in notes or "active at the busiest moment" not in notes:
            return ["the population's active share is not stated as an assumption"]
    return []


def targets_held_at_their_percentile(
    rec: Recommendation, requirements: Requirements, ctx: RecommendContext
) -> list[str]:
    """Rule 7."""
    targets = plan_demand(requirements, ctx.task_defaults).slo
    found = []
    for n, option in enumerate(rec.options, 1):
        if not option.meets_slo:
            continue
        for target in targets:
            value = _predicted(option, target)
            if value is None or value > target.ms * 1.0001:
                found.append(
                    f"option {n} says it meets the SLOs but predicts {value} ms for "
                    f"{target.metric.value} p{target.percentile} (target {target.ms:g} ms)"
                )
    return found


def in_proportion(
    rec: Recommendation, requirements: Requirements, _: RecommendContext
) -> list[str]:
    """Rule 8."""
    if requirements.priority == Priority.ACCURACY:
        return []
    costs = [o.monthly_cost_usd for o in rec.options if o.meets_slo and o.monthly_cost_usd]
    if not costs:
        return []
    return [
        f"option {n} costs ${o.monthly_cost_usd:,.0f}, over 4× the cheapest ${min(costs):,.0f}"
        for n, o in enumerate(rec.options, 1)
        if n > 1
        and o.monthly_cost_usd is not None
        and o.monthly_cost_usd > 4 * min(costs) * 1.0001
        and not (requirements.models and not o.alternative)
    ]


RULES: tuple[Rule, ...] = (
    no_zero_cost,
    no_dominated,
    named_model_kept,
    exact_gpus_kept,
    task_fit_for_code_completion,
    load_derived_as_stated,
    targets_held_at_their_percentile,
    in_proportion,
)


def violations(rec: Recommendation, requirements: Requirements, ctx: RecommendContext) -> list[str]:
    """Every way the recommendation breaks an expert rule.

    Args:
        rec: The recommendation.
        requirements: What it answers.
        ctx: The catalogs it was made from.

    Returns:
        One line per violation; empty when an expert would sign it.
    """
    return [line for rule in RULES for line in rule(rec, requirements, ctx)]
