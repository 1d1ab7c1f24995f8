"""From requirements to a ranked, explained recommendation — or a plain "nothing fits".

:func:`recommend` resolves named models, plans the demand (task defaults fill gaps, each an
assumption), searches (:mod:`recommend.search`: rules, screen, size), ranks (:func:`_rank`: the
best per model, GPU and precision by the stated priority, the top options re-predicted with the
discrete-event simulator, the shortlist), and explains each. When nothing survives it says
which rule ruled out what, and the closest options with the one change that would make each
work (:mod:`recommend.near_miss`). It never raises for contradictory requirements.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.recommendation import (
    Exclusion,
    PlannedLoad,
    Recommendation,
    RecommendedOption,
)
from domain.requirements import Priority, Requirements
from recommend import explain, retrieval
from recommend.candidates import option_quality
from recommend.context import RecommendContext
from recommend.costing import gpu_hours
from recommend.demand import Demand, describe_slo, plan_demand
from recommend.deploy_screen import deploy_view, screen, with_needs
from recommend.named_models import lookup_notes, noted, resolve_named
from recommend.near_miss import closest, why_nothing_fits
from recommend.pins import NO_PINS, Pins
from recommend.predictions import DES_REQUESTS
from recommend.ranking import Scorable, describe_weights, pareto_front, rank
from recommend.refinement import refine
from recommend.search import MAX_SIZED, search
from recommend.shortlist import Ranked, rank_reason, shortlist
from recommend.sizing import HEADROOM, Sized, predicted_ms
from recommend.technique_words import technique_reasons
from recommend.techniques import describe_allowed
from simulate.capacity import replicas_for
from simulate.cost import cost_per_million_tokens

REFINED = 3  # top options re-predicted by the discrete-event simulator
MAX_EXCLUSIONS = 60


def _scorable(option: Sized) -> Scorable:
    return Scorable(
        monthly_cost_usd=option.monthly_cost_usd,
        slo_use=option.slo_use,
        quality=option_quality(option.candidate),
        e2e_ms_p95=option.estimate.e2e_ms.p95,
        meets_slo=option.meets_slo,
    )


def _ranked(options: Sequence[Sized], priority: Priority) -> list[tuple[Sized, float]]:
    return [(options[i], score) for i, score in rank([_scorable(o) for o in options], priority)]


def _distinct(ranked: list[tuple[Sized, float]], limit: int) -> list[Sized]:
    """Best option per (model family, GPU, precision), up to ``limit``."""
    seen: set[tuple[str, str, str]] = set()
    chosen: list[Sized] = []
    for option, _ in ranked:
        cand = option.candidate
        pair = (cand.family.key, cand.gpu.name, cand.precision.value)
        if pair in seen:
            continue
        seen.add(pair)
        chosen.append(option)
        if len(chosen) == limit:
            break
    return chosen


def _option(
    option: Sized,
    score: float,
    demand: Demand,
    requirements: Requirements,
    found: tuple[RecommendContext, Sequence[Sized]],
) -> RecommendedOption:
    ctx, sized = found
    cand, est = option.candidate, option.estimate
    output_tok_per_s = est.output_tok_per_s * option.replicas
    per_million = cost_per_million_tokens(cand.gpu, option.total_gpus, output_tok_per_s)
    return deploy_view(option, output_tok_per_s=output_tok_per_s).model_copy(
        update=dict(
            monthly_cost_usd=None
            if option.monthly_cost_usd is None
            else round(option.monthly_cost_usd, 2),
            price_basis=cand.gpu.price_basis or None,
            pinned_gpu=cand.gpu.name in requirements.gpus,
            gpu_hours_per_month=round(gpu_hours(option.total_gpus, demand, cand.gpus_for(1)), 1),
            min_replicas=1 if demand.busy_hours_per_month is not None else option.replicas,
            cost_per_million_tokens_usd=None if per_million is None else round(per_million, 4),
            utilisation=round(
                min(1.0, demand.peak_rps / (option.replicas * option.per_replica_rps)), 3
            ),
            quality_score=round(option_quality(cand), 1),
            score=round(score, 3),
            reasons=technique_reasons(option, sized, demand) + explain.reasons(option, demand),
            evidence=explain.evidence(option, demand, ctx),
        )
    )


def _assumptions(
    requirements: Requirements, demand: Demand, priority: Priority, basis: str
) -> list[str]:
    notes = list(demand.assumptions)
    if requirements.quantization is None:
        notes.append(
            "Quantization not stated: 16-bit and 8-bit (FP8) weights considered, and "
            "pre-quantized checkpoints at their own precision; say 'no quantization' or "
            "'any quantization' to change it."
        )
    if requirements.priority is None:
        notes.append("Priority not stated: balanced between cost, latency and quality.")
    notes.append(describe_weights(priority))
    notes.append(
        f"Replicas keep {HEADROOM:.0%} headroom over the peak where ceilings allow; the top "
        f"{REFINED} options are re-checked in a discrete-event simulation of {DES_REQUESTS} "
        "requests, adding a replica while an SLO is missed."
    )
    notes.append(
        f"Prices: every GPU on one basis, {basis}; a GPU it has no price for shows 'no price' "
        "(set PREFLIGHT_KNOWLEDGE__PRICE_BASIS or a price file to change it). Monthly cost = "
        "price per GPU-hour × GPUs × hours it runs (730 h for a 24/7 service; a batch only its "
        "window; an autoscaled service its peak replicas in busy hours and its floor otherwise); "
        "cost per million tokens is at the peak output rate."
    )
    return notes


def recommend(
    requirements: Requirements,
    *,
    context: RecommendContext,
    limit: int = 5,
    pins: Pins = NO_PINS,
) -> Recommendation:
    """Recommend serving options for the requirements.

    Args:
        requirements: What the team needs.
        context: Catalogs, calibration, records, patterns, task defaults, inventory.
        limit: How many options to return at most.
        pins: What-if pins: only the pinned precision or GPU is searched, and a pinned
            replica count is sized as given (its predicted effect shown, SLO met or not).

    Returns:
        The recommendation; ``feasible`` is False (with why and the closest options) when
        nothing meets every rule and SLO.

    Raises:
        UnknownNameError: When a named model is not in the catalog (closest ids attached)
            and cannot be looked up (:mod:`recommend.named_models`).
        InvalidInputError: When a task has no defaults.
    """
    context, named = resolve_named(requirements.models, context)
    retrieved = context.retriever(requirements) if context.retriever is not None else None
    learned: list[str] = []
    if retrieved is not None:
        requirements, learned = retrieval.shape(requirements, retrieved)
    cited = retrieval.citations(retrieved) if retrieved is not None else []
    demand = plan_demand(requirements, context.task_defaults, pins)
    priority = requirements.priority or Priority.BALANCED
    found = search(requirements, demand, named, context, limit=limit)
    assumptions = (
        learned
        + lookup_notes(named, context)
        + _assumptions(requirements, demand, priority, context.price_basis)
    )
    if found.truncated:
        assumptions.append(f"Search stopped after sizing {MAX_SIZED} configurations.")
    if any(not option.candidate.techniques.plain for option in found.sized):
        assumptions.append(describe_allowed(context.serving_techniques))
    ranked_all = _ranked(found.sized, priority)
    screened = screen(
        _distinct(ranked_all, len(ranked_all)), limit * 3, context.deploy_check, deploy_view
    )
    exclusions = [*screened.refused, *found.exclusions]
    if not screened.kept:
        near = closest(requirements, demand, named, context)
        return Recommendation(
            feasible=False,
            excluded=exclusions[:MAX_EXCLUSIONS],
            assumptions=assumptions,
            why_nothing_fits=why_nothing_fits(requirements, demand, exclusions),
            closest=near,
            price_basis=context.price_basis,
            basis=context.basis,
            retrieved=cited,
            pins=pins.words(),
            binding=near[0].change if near else None,
        )
    kept, dominated = _rank(
        screened.kept, demand, requirements, named, limit=limit, context=context
    )
    final = [(item.option, item.score) for item in kept]
    options = [
        _labelled(
            _option(item.option, item.score, demand, requirements, (context, found.sized)),
            rank_reason(i + 1, item, kept[0], priority.value),
            named,
        )
        for i, item in enumerate(kept)
    ]
    top_reasons = options[0].reasons + explain.popular_losses(
        final[0][0], found.sized, found.exclusions
    )
    options[0] = options[0].model_copy(update={"reasons": top_reasons})
    # what deploying needs comes last, after why popular GPUs lost
    options = [with_needs(option, screened.needs) for option in options]
    options = noted(options, context)  # a registry model says so before anything else
    return Recommendation(
        feasible=any(option.meets_slo for option in options),
        options=options,
        excluded=[*dominated, *exclusions][:MAX_EXCLUSIONS],
        assumptions=assumptions,
        why_nothing_fits=None if options[0].meets_slo else _missed(final[0][0], demand),
        pareto=pareto_front([_scorable(option) for option, _ in final]),
        price_basis=context.price_basis,
        pins=pins.words(),
        binding=None if options[0].meets_slo else _binding(demand),
        load_question=load_question(
            requirements, demand, final[0][0], context.task_defaults[demand.task].peak_active_share
        ),
        basis=context.basis,
        retrieved=cited,
        planned=PlannedLoad(
            input_tokens=demand.input_tokens,
            output_tokens=demand.output_tokens,
            peak_rps=demand.peak_rps,
            slo=list(demand.slo),
        ),
    )


def _rank(
    sized: Sequence[Sized],
    demand: Demand,
    requirements: Requirements,
    named: Sequence[str],
    *,
    limit: int,
    context: RecommendContext,
) -> tuple[list[Ranked], list[Exclusion]]:
    """The rank stage over the screened best per (family, GPU, precision): the top re-checked,
    the shortlist."""
    priority = requirements.priority or Priority.BALANCED
    chosen = list(sized)
    refined = [refine(o, demand, requirements, context) for o in chosen[:REFINED]]
    ranked = [Ranked(o, s) for o, s in _ranked([*refined, *chosen[REFINED:]], priority)]
    return shortlist(ranked, demand, named, limit, priority)


def _labelled(option: RecommendedOption, why_rank: str, named: Sequence[str]) -> RecommendedOption:
    """The option with its rank explained; marked an alternative when another model was named."""
    alternative = bool(named) and option.model not in named
    lines = [why_rank]
    if alternative:
        lines.append(
            f"Checkpoint: {option.model} serves the named architecture ({', '.join(named)}) "
            "for this task; name it exactly to pin another checkpoint."
        )
    return option.model_copy(
        update={"reasons": [*lines, *option.reasons], "alternative": alternative}
    )


def load_question(
    requirements: Requirements, demand: Demand, top: Sized, share: float
) -> str | None:
    """A question to ask when the assumed active share of a population decides the GPU count.

    The load of a population rests on an assumed share of people active at the peak; when
    half or twice that share would change how many GPUs the first option needs, the answer
    depends on a number nobody stated, so the user is asked for it.

    Args:
        requirements: The requirements (population).
        demand: The demand (how the load was derived).
        top: The first option.
        share: The assumed share active at the peak.

    Returns:
        The question, or None when the load was stated or does not decide the GPU count.
    """
    if demand.load_from != "population" or requirements.user_population is None:
        return None
    gpus = {
        k: top.candidate.gpus_for(
            replicas_for(demand.peak_rps * k, top.per_replica_rps, headroom=HEADROOM)
        )
        for k in (0.5, 2.0)
    }
    if gpus[0.5] == gpus[2.0] == top.total_gpus:
        return None
    people = requirements.user_population
    return (
        f"The GPU count rests on an assumed {share:.0%} of {people:,} people active at the "
        f"busiest moment: at {share / 2:.0%} option 1 needs {gpus[0.5]} "
        f"GPU{'' if gpus[0.5] == 1 else 's'}, at "
        f"{share * 2:.0%} {gpus[2.0]}. How many people use it at the same time at the "
        "busiest hour?"
    )


def _missed(top: Sized, demand: Demand) -> str:
    model = top.candidate.model.hf_id
    missed = [
        f"{describe_slo(t)} would be {predicted_ms(top.estimate, t):,.0f} ms"
        for t in demand.slo
        if predicted_ms(top.estimate, t) > t.ms
    ]
    detail = "; ".join(missed) or "an SLO is missed"
    if demand.pins.replicas is not None:
        return (
            f"with the pinned {demand.pins.replicas} replica(s) even the best option ({model} on "
            f"{top.total_gpus} × {top.candidate.gpu.name}) misses: {detail}"
        )
    return (
        f"in discrete-event simulation even the best option ({model}) misses an SLO with the "
        f"replicas the ceilings allow: {detail}"
    )


def _binding(demand: Demand) -> str:
    if demand.pins.replicas is not None:
        return (
            f"the pinned replica count ({demand.pins.replicas}); say 'clear pins' to size for "
            "the peak"
        )
    return "the replicas the GPU ceiling, inventory or budget allow"
