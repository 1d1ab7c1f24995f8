"""Options screened by the deploy side's pre-flight check before they are offered.

The entry point hands :class:`~recommend.context.RecommendContext` a ``deploy_check`` (the deploy
side's rules over the objects an option would render to, on the cluster the settings describe;
recommend never imports deploy). :func:`screen` walks the ranked options best first and asks it of
each until enough are kept: an option the check refuses leaves the list as an exclusion naming
the rules and their reasons (rule ``preflight``); one it offers with something the cluster needs
first (an image, a token secret) keeps what it needs, said among its reasons. Without a check
every option is kept. :func:`deploy_view` is the option as the deploy side reads it (with
:func:`vllm_args`, the one place a sized option's serving arguments are built), and
:func:`deployable` lets near misses skip what the cluster would refuse too. This module never
sizes, ranks or renders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from domain.recommendation import (
    Exclusion,
    PredictedMetrics,
    PrefillPool,
    RecommendedOption,
    SpeculativeConfig,
    VllmArgs,
)
from domain.serving import ServingTechniques
from recommend.context import DeployCheck
from recommend.sizing import Sized

_QUANTIZATION: dict[str, Literal["fp8", "awq", "gptq", "bitsandbytes"]] = {
    "fp8": "fp8",
    "awq": "awq",
    "bitsandbytes": "bitsandbytes",
}
DeployKey = tuple[str, str, str, int]


def deploy_key(model: str, gpu: str, precision: str, tensor_parallel: int) -> DeployKey:
    """What the pre-flight check's verdict depends on: checkpoint, GPU, precision, TP."""
    return (model, gpu, precision, tensor_parallel)


def key_of(option: RecommendedOption) -> DeployKey:
    """The deploy key of a recommended option."""
    return deploy_key(option.model, option.gpu, option.precision, option.tensor_parallel)


@dataclass(frozen=True)
class Screened:
    """Options kept in rank order, the refused ones as exclusions, and what kept ones need."""

    kept: list[Sized]
    refused: list[Exclusion] = field(default_factory=list)
    needs: dict[DeployKey, str] = field(default_factory=dict)


def screen(
    options: Sequence[Sized],
    limit: int,
    check: DeployCheck | None,
    view: Callable[[Sized], RecommendedOption],
) -> Screened:
    """Keep up to ``limit`` options, best first, that the cluster would run.

    Args:
        options: Sized options in rank order.
        limit: How many to keep at most.
        check: The deploy side's screen (None keeps the first ``limit``).
        view: The option as the deploy side reads it (a recommended option).

    Returns:
        What was kept, refused, and needed.
    """
    if check is None:
        return Screened(kept=list(options[:limit]))
    out = Screened(kept=[])
    for option in options:
        if len(out.kept) == limit:
            break
        seen = view(option)
        verdict = check(seen)
        if verdict.refused is not None:
            what = f"{seen.model} {seen.precision} on {seen.total_gpus} × {seen.gpu}"
            out.refused.append(
                Exclusion(what=what, why=f"pre-flight check: {verdict.refused}", rule="preflight")
            )
            continue
        if verdict.needs:
            out.needs[key_of(seen)] = verdict.needs
        out.kept.append(option)
    return out


def deployable(option: Sized, check: DeployCheck | None) -> bool:
    """Whether the deploy side's screen offers the option (always, without a screen)."""
    return check is None or check(deploy_view(option)).refused is None


def with_needs(option: RecommendedOption, needs: dict[DeployKey, str]) -> RecommendedOption:
    """The option with what deploying it needs said last among its reasons (when anything).

    Args:
        option: A ranked, explained option.
        needs: What :func:`screen` found options need, by deploy key.

    Returns:
        The option, its reasons extended when it needs something.
    """
    need = needs.get(key_of(option))
    if need is None:
        return option
    reasons = [*option.reasons, f"Deploying it needs first: {need}."]
    return option.model_copy(update={"reasons": reasons})


def vllm_args(option: Sized) -> VllmArgs:
    """The vLLM engine arguments of an option.

    Args:
        option: The sized option.

    Returns:
        Validated arguments.
    """
    config = option.config
    quantization = option.candidate.quantization
    techniques = config.techniques
    ranks = data_parallel(option)
    return VllmArgs(
        tensor_parallel_size=config.tensor_parallel // ranks,
        max_model_len=config.max_model_len or option.candidate.model.max_context,
        max_num_seqs=config.max_num_seqs // ranks,
        max_num_batched_tokens=config.max_num_batched_tokens // ranks,
        gpu_memory_utilization=config.gpu_memory_utilization,
        quantization=_QUANTIZATION.get(quantization or ""),
        kv_cache_dtype=config.kv_cache_dtype,
        data_parallel_size=ranks,
        enable_expert_parallel=techniques.expert_parallel > 1,
        speculative_config=_speculative(techniques),
    )


def data_parallel(option: Sized) -> int:
    """Data-parallel ranks of one replica: one per GPU with data-parallel attention, else 1.

    vLLM serves data-parallel attention as ``--data-parallel-size`` engine ranks of
    ``--tensor-parallel-size`` GPUs each (docs serving/data_parallel_deployment.md); the
    recommender's replica of ``tensor_parallel`` GPUs runs one rank per GPU (the recipes' DP8+EP).

    Args:
        option: The sized option.

    Returns:
        Ranks.
    """
    return option.candidate.tensor_parallel if option.config.techniques.dp_attention else 1


def _speculative(techniques: ServingTechniques) -> SpeculativeConfig | None:
    if techniques.speculative != "mtp":
        return None
    # vllm/config/speculative.py MTPModelTypes: "deepseek_mtp" drafts with DeepSeek-V3's module.
    return SpeculativeConfig(method="deepseek_mtp", num_speculative_tokens=techniques.draft_tokens)


def _prefill(option: Sized) -> PrefillPool | None:
    """The prefill pool of a disaggregated option (its GPUs' TP, replicas for its decode ones)."""
    techniques = option.config.techniques
    if not techniques.disaggregated:
        return None
    return PrefillPool(
        replicas=option.candidate.prefill_replicas(option.replicas),
        tensor_parallel=techniques.prefill_tensor_parallel,
    )


def deploy_view(option: Sized, output_tok_per_s: float = 0.0) -> RecommendedOption:
    """An option with what the deploy side reads of it (no costs, ranking or reasons)."""
    cand = option.candidate
    return RecommendedOption(
        model=cand.model.hf_id,
        params_b=cand.model.params_b,
        gpu=cand.gpu.name,
        gpu_family=cand.gpu.family.value,
        precision=cand.precision.value,
        tensor_parallel=cand.tensor_parallel // data_parallel(option),
        replicas=option.replicas,
        total_gpus=option.total_gpus,
        predicted=PredictedMetrics.from_estimate(
            option.estimate, output_tok_per_s=output_tok_per_s
        ),
        meets_slo=option.meets_slo,
        serving_args=vllm_args(option),
        prefill=_prefill(option),
    )
