"""The rules stage: what the catalog offers that the requirements allow, with why not for the rest.

Model families are ruled out first (size, licence, context, task; families another one beats on
size, speed and quality at once, when none is named), then GPUs (pinned GPU, allowed families,
exact GPUs, inventory, price); every (checkpoint, GPU, precision, TP) combination left is
enumerated and checked against the configuration rules (quantization stance, inventory for one
replica, weights and one full-length sequence in GPU memory); only the two smallest TP sizes
that fit per (model, GPU, precision) go on. No simulator is involved.

:func:`apply_rules` is the search's second caching seam (the simulator's is
:mod:`recommend.predictions`): the stage is a pure function of :class:`RuleInputs` and the
context's catalogs, so its answer is remembered under the inputs' own value. Load and latency
targets are cleared from the requirements it sees, so a follow-up that changes only the load
reuses it. This module never predicts, sizes or ranks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from domain.catalog import GpuSpec
from domain.recommendation import Exclusion
from domain.requirements import Requirements, Task
from domain.serving import MemoryFit, ServingConfig
from recommend import rules
from recommend.candidates import (
    Candidate,
    ModelFamily,
    enumerate_candidates,
    family_profile,
    model_families,
    unservable_on,
)
from recommend.context import RecommendContext
from recommend.demand import Demand
from recommend.predictions import engine_basis
from recommend.rules import Inventory
from recommend.sizing import GPU_MEMORY_UTILIZATION, serving_config
from recommend.techniques import MIN_PROMPT_TO_OUTPUT, technique_variants
from simulate.memory import GIB, memory_fit, usable_gib, weight_bytes_per_gpu

TP_PER_GROUP = 2  # tensor-parallel sizes per (model, GPU, precision, technique) worth sizing
# Requirements no rule of this stage reads: the load and the targets (the demand carries them).
_LOAD_AND_TARGETS: dict[str, object] = {
    "user_population": None,
    "concurrent_users": None,
    "requests_per_second": None,
    "requests_per_day": None,
    "window_hours": None,
    "input_tokens": None,
    "output_tokens": None,
    "slo": [],
    "priority": None,
}

Fitting = tuple[int, Candidate, ServingConfig, MemoryFit]  # (order, candidate, config, fit)
Note = tuple[Candidate, int, str, str]  # (candidate, order, rule, why) of one ruled-out config


@dataclass(frozen=True)
class RuleInputs:
    """Everything the rules stage reads besides the context's catalogs (and so its memo key)."""

    requirements: Requirements  # load and targets cleared
    task: Task
    context_tokens: int
    pinned_gpu: str | None
    pinned_precision: str | None
    named: tuple[str, ...]
    long_prompts: bool = False  # prompts 10+ times the output: a prefill/decode split is weighed

    @classmethod
    def of(cls, requirements: Requirements, demand: Demand, named: Sequence[str]) -> RuleInputs:
        """The rules stage's inputs for one search.

        Args:
            requirements: The requirements.
            demand: The demand (task, context, what-if pins).
            named: Catalog ids of the models the requirements name.

        Returns:
            The inputs.
        """
        return cls(
            requirements=requirements.model_copy(update=_LOAD_AND_TARGETS),
            task=demand.task,
            context_tokens=demand.context_tokens,
            pinned_gpu=demand.pins.gpu,
            pinned_precision=demand.pins.precision,
            named=tuple(named),
            long_prompts=demand.input_tokens >= MIN_PROMPT_TO_OUTPUT * demand.output_tokens,
        )

    def key(self) -> tuple[object, ...]:
        """The inputs as a hashable value (requirements hold lists).

        Returns:
            The key.
        """
        return (
            self.requirements.model_dump_json(),
            self.task,
            self.context_tokens,
            self.pinned_gpu,
            self.pinned_precision,
            self.named,
            self.long_prompts,
        )


@dataclass(frozen=True)
class Ruled:
    """What the rules stage leaves, and why the rest is gone."""

    fitting: tuple[Fitting, ...]  # in enumeration order
    exclusions: tuple[Exclusion, ...]  # model families and GPUs ruled out as a whole
    notes: tuple[Note, ...]  # configurations ruled out one by one


def apply_rules(inputs: RuleInputs, ctx: RecommendContext) -> Ruled:
    """Rule out model families, GPUs and configurations; remembered per inputs.

    Args:
        inputs: What the rules read.
        ctx: Catalogs, inventory and the memo.

    Returns:
        The configurations that fit, and every exclusion.
    """
    return ctx.memo.get(("rules", *inputs.key()), lambda: _rule_out(inputs, ctx))


def _rule_out(inputs: RuleInputs, ctx: RecommendContext) -> Ruled:
    requirements = inputs.requirements
    families, exclusions = _families(inputs, ctx)
    gpus, ruled_gpus = _gpus(inputs, ctx)
    exclusions += ruled_gpus
    candidates = [
        variant
        for plain in enumerate_candidates(families, gpus, requirements, inputs.task)
        for variant in (
            plain,
            *technique_variants(plain, ctx.serving_techniques, long_prompts=inputs.long_prompts),
        )
    ]
    exclusions += _unservable(families, gpus, inputs.named)
    precision = inputs.pinned_precision
    if precision is not None:
        others = {c.precision.value for c in candidates if c.precision.value != precision}
        candidates = [c for c in candidates if c.precision.value == precision]
        if others:
            exclusions.append(
                Exclusion(
                    what=f"{', '.join(sorted(others))} configurations",
                    why=f"the precision is pinned to {precision}",
                    rule="pinned_precision",
                )
            )
    fitting, notes = configuration_rules(
        candidates,
        requirements,
        context_tokens=inputs.context_tokens,
        inventory=ctx.inventory,
        engine_for=lambda gpu: engine_basis(gpu, ctx).key,
    )
    return Ruled(fitting=fitting, exclusions=tuple(exclusions), notes=notes)


def _unservable(
    families: Sequence[ModelFamily], gpus: Sequence[GpuSpec], named: Sequence[str]
) -> list[Exclusion]:
    """Named models that no precision lets run on an allowed GPU, with the reason.

    Unnamed families are left out: one line per catalog model and GPU would bury the rest.
    """
    found = []
    for family in families:
        if not any(m.hf_id in named for m in family.members):
            continue
        for gpu in gpus:
            why = unservable_on(family, gpu)
            if why is not None:
                found.append(
                    Exclusion(what=f"{_names(family)} on {gpu.name}", why=why, rule="precision")
                )
    return found


def _families(
    inputs: RuleInputs, ctx: RecommendContext
) -> tuple[list[ModelFamily], list[Exclusion]]:
    """Model families the family-level rules leave (undominated ones, when none is named)."""
    exclusions: list[Exclusion] = []
    families = []
    for family in model_families(ctx.models, inputs.named):
        ruled = _family_rule(family, inputs)
        if ruled:
            exclusions.append(Exclusion(what=_names(family), why=ruled[1], rule=ruled[0]))
        else:
            families.append(family)
    if not inputs.named:
        families, dominated = _undominated(families, inputs.task)
        exclusions += dominated
    return families, exclusions


def _family_rule(family: ModelFamily, inputs: RuleInputs) -> tuple[str, str] | None:
    model = family.members[0]
    checks = [
        ("params", rules.params_bounds(model, inputs.requirements)),
        ("license", rules.license_allowed(model, inputs.requirements)),
        ("context", rules.context_length(model, inputs.context_tokens)),
    ]
    if not family.named:
        checks.append(("task", rules.task_fit(family, inputs.task)))
    return next(((name, why) for name, why in checks if why), None)


def _names(family: ModelFamily) -> str:
    return ", ".join(m.hf_id for m in family.members[:3])


def _undominated(
    families: list[ModelFamily], task: Task
) -> tuple[list[ModelFamily], list[Exclusion]]:
    """Drop families another one beats on size, speed and quality at once."""
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
    return kept, dominated


def _gpus(inputs: RuleInputs, ctx: RecommendContext) -> tuple[list[GpuSpec], list[Exclusion]]:
    """GPUs the GPU-level rules leave, and one exclusion per rule for the rest."""
    gpus = []
    ruled_gpus: dict[str, list[str]] = {}
    for gpu in ctx.gpus.values():
        ruled = _gpu_rule(gpu, inputs, ctx)
        if ruled:
            ruled_gpus.setdefault(ruled[0], []).append(gpu.name)
        else:
            gpus.append(gpu)
    exclusions = [
        Exclusion(what=", ".join(names), why=_gpu_rule_words(rule, inputs.requirements), rule=rule)
        for rule, names in ruled_gpus.items()
    ]
    return gpus, exclusions


def _gpu_rule(gpu: GpuSpec, inputs: RuleInputs, ctx: RecommendContext) -> tuple[str, str] | None:
    pinned = inputs.pinned_gpu
    requirements = inputs.requirements
    checks = [
        ("pinned_gpu", f"the GPU is pinned to {pinned}" if pinned and gpu.name != pinned else None),
        ("allowed_gpus", rules.gpu_allowed(gpu, ctx.allowed_gpus)),
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
    if rule == "allowed_gpus":
        return "not among the GPUs this workspace may use (set by the operator)"
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


def configuration_rules(
    candidates: Sequence[Candidate],
    requirements: Requirements,
    *,
    context_tokens: int,
    inventory: Inventory | None,
    engine_for: Callable[[GpuSpec], str] | None = None,
) -> tuple[tuple[Fitting, ...], tuple[Note, ...]]:
    """What passes quantization, inventory and memory, and why the rest did not.

    Candidates come smallest TP first within each (model, GPU, precision); only the two
    smallest TP sizes that fit go on.

    Args:
        candidates: Every configuration to check, in enumeration order.
        requirements: The requirements (quantization stance).
        context_tokens: The longest request, in tokens (sets the serving configuration).
        inventory: The operator's GPUs, if known.
        engine_for: The calibration key of a GPU's predictions (None: plain "vllm").

    Returns:
        The configurations that fit, and one note per configuration ruled out.
    """
    fitting: list[Fitting] = []
    notes: list[Note] = []
    fitted: Counter[tuple[str, str, str, str]] = Counter()
    for order, cand in enumerate(candidates):
        group = cand.group
        if fitted[group] >= TP_PER_GROUP:
            continue  # larger TP sizes than the two smallest that fit are not worth sizing
        ruled = _configuration_rule(cand, requirements, inventory)
        if ruled:
            notes.append((cand, order, ruled[0], ruled[1]))
            continue
        engine = engine_for(cand.gpu) if engine_for is not None else "vllm"
        config = serving_config(cand, context_tokens, engine)
        fit = memory_fit(cand.model, cand.gpu, config)
        if not fit.fits:
            notes.append((cand, order, "memory", rules.memory(fit) or ""))
            continue
        fitting.append((order, cand, config, fit))
        fitted[group] += 1
    return tuple(fitting), tuple(notes)


def _configuration_rule(
    cand: Candidate, requirements: Requirements, inventory: Inventory | None
) -> tuple[str, str] | None:
    """Quantization stance, inventory for one replica, weights against GPU memory."""
    why = rules.quantization_allowed(cand.model, cand.precision, requirements.quantization)
    if why:
        return "quantization", why
    why = rules.in_inventory(cand.gpu, inventory, cand.tensor_parallel)
    if why:
        return "inventory", why
    weights = weight_bytes_per_gpu(cand.model, serving_config(cand, 0)) / GIB
    usable = usable_gib(cand.gpu, GPU_MEMORY_UTILIZATION)
    if weights > usable:
        return "memory", (
            f"does not fit: weights alone take {weights:.1f} GiB per GPU, "
            f"{cand.tensor_parallel} × {cand.gpu.name} offer {usable:.1f} GiB each"
        )
    return None
