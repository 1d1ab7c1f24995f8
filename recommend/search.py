"""The search: apply the hard rules, size what survives, best-first with a bound.

Rules run cheapest first — model families, GPUs, then per configuration (quantization stance,
inventory, memory) — and every ruled-out thing is kept with its reason. Survivors are sized in
order of a lower bound on their ranking key (one replica's cost at the best latency that still
counts, and their quality); the search stops once no unsized configuration can beat the
``limit``-th best found, which keeps a full-catalog recommendation fast. Each (model, GPU,
precision) is sized at its two smallest tensor-parallel sizes that hold the SLOs. This module
never explains and never builds the final answer.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from domain.catalog import GpuSpec
from domain.recommendation import Exclusion
from domain.requirements import Priority, Requirements
from domain.serving import MemoryFit, ServingConfig
from recommend import rules
from recommend.candidates import (
    QUALITY_PENALTY,
    Candidate,
    ModelFamily,
    enumerate_candidates,
    family_profile,
    model_families,
    quality_score,
)
from recommend.context import RecommendContext
from recommend.demand import Demand
from recommend.ranking import QUALITY_POINTS, WEIGHTS
from recommend.screening import FirstLook, first_look, replica_floors
from recommend.sizing import Rejected, Sized, size
from simulate.memory import GIB, memory_fit, usable_gib, weight_bytes

GPU_MEMORY_UTILIZATION = 0.9
MAX_SIZED = 80  # configurations sized at most per search
POPULAR_FAMILIES = ("H100", "A100", "L40S", "L4")
_SLO_USE_FLOOR = 0.5  # below half the target, lower latency no longer counts in the ranking
_MIN_MODEL_LEN = 8192
_TP_PER_GROUP = 2
_TIGHTEN_ROUNDS = 3
_TIGHTEN_BATCH = 48
MAX_PAIR_EXCLUSIONS = 60  # (model, GPU) pairs whose exclusion is reported
_POPULAR_TRIES = 4
_STAGE = {"quantization": 1, "inventory": 2, "memory": 3, "slo": 4}
_HOURS_PER_MONTH = 730.0


@dataclass(frozen=True)
class _Viable:
    bound: float
    order: int
    candidate: Candidate
    config: ServingConfig
    fit: MemoryFit
    use: float  # SLO use at light load
    floor: int  # replicas the peak needs at least
    tightened: bool = False


@dataclass
class SearchResult:
    """What the search found: sized options and everything ruled out, with reasons."""

    sized: list[Sized] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)
    truncated: bool = False


def option_quality(candidate: Candidate) -> float:
    """Quality of a configuration: the model's MMLU-scale score less the quantization penalty.

    Args:
        candidate: The configuration.

    Returns:
        Score.
    """
    return quality_score(candidate.model) - QUALITY_PENALTY.get(candidate.precision.value, 0.0)


def rank_key(cost: float | None, slo_use: float, quality: float, priority: Priority) -> float:
    """The absolute ranking key; ranking scores differ from it by one constant per search.

    Args:
        cost: Monthly cost (None or 0 when unpriced).
        slo_use: Largest predicted/target ratio.
        quality: Option quality.
        priority: What matters most.

    Returns:
        Key; lower is better.
    """
    w_cost, w_latency, w_quality = WEIGHTS[priority]
    return (
        w_cost * math.log2(max(cost or 0.0, 1.0))
        + w_latency * math.log2(max(slo_use, _SLO_USE_FLOOR))
        - w_quality * quality / QUALITY_POINTS
    )


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


def serving_config(candidate: Candidate, demand: Demand) -> ServingConfig:
    """The vLLM configuration a candidate is sized with.

    Args:
        candidate: The configuration.
        demand: The demand (context needed).

    Returns:
        A serving configuration whose max_model_len covers the longest request (at least 8k
        tokens where the model allows).
    """
    wanted = max(demand.context_tokens, _MIN_MODEL_LEN)
    return ServingConfig(
        model=candidate.model.hf_id,
        gpu=candidate.gpu.name,
        precision=candidate.precision,
        tensor_parallel=candidate.tensor_parallel,
        max_model_len=min(candidate.model.max_context, math.ceil(wanted / 1024) * 1024),
        gpu_memory_utilization=GPU_MEMORY_UTILIZATION,
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
    families: list[ModelFamily], demand: Demand, result: SearchResult
) -> list[ModelFamily]:
    """Drop families another one beats on size, speed and quality at once (none named)."""
    profiles = [family_profile(family, demand.task) for family in families]
    kept = []
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
            f"({-family_profile(better, demand.task)[-1]:.0f} vs {-mine[-1]:.0f} MMLU-scale)"
        )
        result.exclusions.append(Exclusion(what=_names(family), why=why, rule="dominated"))
    return kept


def _gpu_rule(
    gpu: GpuSpec, requirements: Requirements, ctx: RecommendContext
) -> tuple[str, str] | None:
    checks = [
        ("gpu_family", rules.gpu_family_allowed(gpu, requirements)),
        ("inventory", rules.in_inventory(gpu, ctx.inventory)),
        ("price", rules.priced(gpu, requirements, ctx.inventory, _family_priced(gpu, ctx))),
    ]
    return next(((name, why) for name, why in checks if why), None)


def _family_priced(gpu: GpuSpec, ctx: RecommendContext) -> bool:
    return any(
        other.family == gpu.family and other.price_usd_per_gpu_hr is not None
        for other in ctx.gpus.values()
    )


class _Failures:
    """The furthest-reaching reason each (model family, GPU) pair was ruled out."""

    def __init__(self) -> None:
        self._by_pair: dict[tuple[str, str], tuple[int, int, str, str, str]] = {}

    def note(self, candidate: Candidate, order: int, rule: str, reason: str) -> None:
        pair = (candidate.family.key, candidate.gpu.name)
        # Within memory and quantization, later configurations (more GPUs, fewer bits) came
        # closer; within cost and load rules, earlier (smaller) ones did.
        closeness = order if rule in ("memory", "quantization") else -order
        entry = (_STAGE.get(rule, 5), closeness, rule, reason, candidate.label)
        if pair not in self._by_pair or entry[:2] > self._by_pair[pair][:2]:
            self._by_pair[pair] = entry

    def exclusions(self, sized_pairs: set[tuple[str, str]]) -> list[Exclusion]:
        """The furthest-reaching reasons first, at most :data:`MAX_PAIR_EXCLUSIONS`."""
        kept = sorted(
            (entry for pair, entry in self._by_pair.items() if pair not in sized_pairs),
            key=lambda entry: -entry[0],
        )[:MAX_PAIR_EXCLUSIONS]
        return [Exclusion(what=label, why=reason, rule=rule) for _, _, rule, reason, label in kept]


def _screen(
    candidates: Sequence[Candidate],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
    failures: _Failures,
) -> list[_Viable]:
    """Configuration rules: quantization stance, inventory for one replica, memory fit.

    Candidates come smallest TP first within each (model, GPU, precision); only the two
    smallest TP sizes that fit go on.
    """
    fitting: list[tuple[int, Candidate, ServingConfig, MemoryFit]] = []
    fitted: Counter[tuple[str, str, str]] = Counter()
    for order, cand in enumerate(candidates):
        group = (cand.family.key, cand.gpu.name, cand.precision.value)
        if fitted[group] >= _TP_PER_GROUP:
            continue  # larger TP sizes than the two smallest that fit are not worth sizing
        why = rules.quantization_allowed(cand.model, cand.precision, requirements.quantization)
        if why:
            failures.note(cand, order, "quantization", why)
            continue
        why = rules.in_inventory(cand.gpu, ctx.inventory, cand.tensor_parallel)
        if why:
            failures.note(cand, order, "inventory", why)
            continue
        weights = weight_bytes(cand.model, cand.precision) / cand.tensor_parallel / GIB
        usable = usable_gib(cand.gpu, GPU_MEMORY_UTILIZATION)
        if weights > usable:
            failures.note(
                cand,
                order,
                "memory",
                f"does not fit: weights alone take {weights:.1f} GiB per GPU, "
                f"{cand.tensor_parallel} × {cand.gpu.name} offer {usable:.1f} GiB each",
            )
            continue
        config = serving_config(cand, demand)
        fit = memory_fit(cand.model, cand.gpu, config)
        if not fit.fits:
            failures.note(cand, order, "memory", rules.memory(fit) or "")
            continue
        fitting.append((order, cand, config, fit))
        fitted[group] += 1
    return _bound_by_first_look(fitting, requirements, demand, ctx, failures)


def _bound_by_first_look(
    fitting: list[tuple[int, Candidate, ServingConfig, MemoryFit]],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
    failures: _Failures,
) -> list[_Viable]:
    """Drop what misses an SLO even idle or needs too many GPUs; bound the rest."""
    looks = first_look(
        [(cand, config, fit) for _, cand, config, fit in fitting],
        input_tokens=demand.input_tokens,
        output_tokens=demand.output_tokens,
        ctx=ctx,
    )
    viable: list[_Viable] = []
    for (order, cand, config, fit), look in zip(fitting, looks, strict=True):
        use = look.light_use(demand.slo)
        if use > 1.0:
            failures.note(cand, order, "slo", _idle_miss(look, demand))
            continue
        floor = max(1, math.ceil(demand.peak_rps / max(look.saturated_rps, 1e-9) - 1e-9))
        item = _bounded(_Viable(0.0, order, cand, config, fit, use, floor), requirements, ctx)
        if isinstance(item, _Viable):
            viable.append(item)
        else:
            failures.note(cand, order, item[0], item[1])
    viable.sort(key=lambda v: (v.bound, v.order))
    return _tighten(viable, requirements, demand, ctx, failures)


def _bounded(
    item: _Viable, requirements: Requirements, ctx: RecommendContext
) -> _Viable | tuple[str, str]:
    """Apply the GPU ceiling, inventory and budget to a replica floor, and bound the key."""
    cand = item.candidate
    total = item.floor * cand.tensor_parallel
    price = cand.gpu.price_usd_per_gpu_hr
    cost = None if price is None else price * total * _HOURS_PER_MONTH
    ruled = (
        ("max_gpus", rules.gpu_ceiling(total, requirements)),
        ("inventory", rules.in_inventory(cand.gpu, ctx.inventory, total)),
        ("budget", rules.budget(cost, requirements) if cost is not None else None),
    )
    broken = next(((name, why) for name, why in ruled if why), None)
    if broken:
        return broken[0], f"at least {item.floor} replica(s) for the peak: {broken[1]}"
    priority = requirements.priority or Priority.BALANCED
    bound = rank_key(cost, max(item.use, _SLO_USE_FLOOR), option_quality(cand), priority)
    return replace(item, bound=bound)


def _tighten(
    viable: list[_Viable],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
    failures: _Failures,
) -> list[_Viable]:
    """Raise the replica floors of the most promising configurations from a rate ladder.

    Rounds repeat until the first :data:`_TIGHTEN_BATCH` in bound order are all tightened.
    """
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
        tightened: dict[int, _Viable | None] = {}
        for item, floor in zip(batch, floors, strict=True):
            raised = replace(item, floor=max(item.floor, floor), tightened=True)
            outcome = _bounded(raised, requirements, ctx)
            if isinstance(outcome, tuple):
                failures.note(item.candidate, item.order, outcome[0], outcome[1])
            tightened[item.order] = outcome if isinstance(outcome, _Viable) else None
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
        families = _undominated(families, demand, result)
    gpus = []
    for gpu in ctx.gpus.values():
        ruled = _gpu_rule(gpu, requirements, ctx)
        if ruled:
            result.exclusions.append(Exclusion(what=gpu.name, why=ruled[1], rule=ruled[0]))
        else:
            gpus.append(gpu)
    failures = _Failures()
    candidates = enumerate_candidates(families, gpus, requirements, demand.task)
    viable = _screen(candidates, requirements, demand, ctx, failures)
    _size_best_first(viable, requirements, demand, ctx, failures, result, (limit, max_sized))
    pairs = {(s.candidate.family.key, s.candidate.gpu.name) for s in result.sized}
    result.exclusions += failures.exclusions(pairs)
    return result


def _size_best_first(
    viable: list[_Viable],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
    failures: _Failures,
    result: SearchResult,
    limits: tuple[int, int],
) -> None:
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
        if per_group[group] >= _TP_PER_GROUP:
            continue
        tried.add(item.order)
        outcome = size(cand, item.config, item.fit, demand, requirements, ctx)
        if isinstance(outcome, Rejected):
            failures.note(cand, item.order, outcome.rule, outcome.reason)
            continue
        per_group[group] += 1
        result.sized.append(outcome)
        best[group] = min(best.get(group, math.inf), sized_key(outcome, priority))
    _size_popular(viable, tried, requirements, demand, ctx, result)


def _size_popular(
    viable: list[_Viable],
    tried: set[int],
    requirements: Requirements,
    demand: Demand,
    ctx: RecommendContext,
    result: SearchResult,
) -> None:
    """Size the best few of each popular GPU family not yet sized, to say why they lost."""
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
