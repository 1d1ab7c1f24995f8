"""Why an option serves with expert parallelism, MTP or a prefill/decode split, in words.

:func:`technique_reasons` says what the option runs (the technique, the vLLM flags it adds, the
accepted length MTP assumes and its source, the prefill pool and how it is deployed) and how it
compares with the same model on the same GPUs served with tensor parallelism alone, when that
was sized too: "EP8 + DP-attention across 8× H200: 30% cheaper than TP8 (18 replicas) at the
same SLOs". This module writes words; it never sizes or ranks.
"""

from __future__ import annotations

from collections.abc import Sequence

from recommend.candidates import technique_label
from recommend.demand import Demand
from recommend.sizing import Sized, predicted_ms
from simulate.serving_features import ServingFeatures, accepted_tokens


def plain_sibling(option: Sized, sized: Sequence[Sized]) -> Sized | None:
    """The cheapest plain-TP option of the same checkpoint, GPU and precision that holds the SLOs.

    Args:
        option: An option served with a technique.
        sized: Every option the search sized.

    Returns:
        The sibling, or None when none was sized (or none holds the SLOs).
    """
    cand = option.candidate
    same = [
        other
        for other in sized
        if other.candidate.techniques.plain
        and other.meets_slo
        and other.candidate.model.hf_id == cand.model.hf_id
        and other.candidate.gpu.name == cand.gpu.name
        and other.candidate.precision == cand.precision
    ]
    return min(same, key=lambda o: (o.monthly_cost_usd or 0.0, o.total_gpus), default=None)


def _flags(option: Sized) -> str:
    t = option.candidate.techniques
    flags = []
    if t.dp_attention:
        flags.append(f"--data-parallel-size={option.candidate.tensor_parallel}")
    if t.expert_parallel > 1:
        flags.append("--enable-expert-parallel")
    if t.speculative == "mtp":
        flags.append(
            '--speculative-config={"method":"deepseek_mtp",'
            f'"num_speculative_tokens":{t.draft_tokens}}}'
        )
    if t.disaggregated:
        flags.append("--kv-transfer-config (NixlConnector) on both pools")
    return " ".join(flags)


def _comparison(option: Sized, plain: Sized, demand: Demand) -> str:
    cand = option.candidate
    latency = ", ".join(
        f"{t.metric.value.upper()} p{t.percentile} {predicted_ms(option.estimate, t):,.0f} vs "
        f"{predicted_ms(plain.estimate, t):,.0f} ms"
        for t in demand.slo
    )
    base = (
        f"plain TP{plain.candidate.tensor_parallel} ({plain.replicas} "
        f"replica{'' if plain.replicas == 1 else 's'}, {plain.total_gpus} GPUs"
    )
    if option.monthly_cost_usd is not None and plain.monthly_cost_usd:
        saving = 1.0 - option.monthly_cost_usd / plain.monthly_cost_usd
        base += f", ${plain.monthly_cost_usd:,.0f}/month)"
        if saving > 0:
            return (
                f"{technique_label(cand)} across {cand.tensor_parallel}× {cand.gpu.name}: "
                f"{saving:.0%} cheaper than {base} at the same SLOs ({latency})."
            )
        return (
            f"{technique_label(cand)} costs {-saving:.0%} more than {base}; it ranks for its "
            f"latency ({latency})."
        )
    return f"{technique_label(cand)} needs {option.total_gpus} GPUs where {base}) ({latency})."


def technique_reasons(option: Sized, sized: Sequence[Sized], demand: Demand) -> list[str]:
    """What an option's serving techniques are, and what they buy over plain TP.

    Args:
        option: The sized option.
        sized: Every option the search sized (for the plain-TP sibling).
        demand: The demand (SLOs compared).

    Returns:
        Sentences; none for a plain option.
    """
    cand = option.candidate
    t = cand.techniques
    if t.plain:
        return []
    plain = plain_sibling(option, sized)
    lines = [
        _comparison(option, plain, demand)
        if plain is not None
        else f"Serves with {technique_label(cand)}; plain TP on {cand.gpu.name} was not sized "
        "(the search found it could not rank higher)."
    ]
    lines.append(f"vLLM arguments it adds: {_flags(option)}.")
    if t.speculative:
        drafted = ServingFeatures(speculative=t.speculative, draft_tokens=t.draft_tokens)
        lines.append(
            f"MTP drafts {t.draft_tokens} token per step; predicted with an accepted length of "
            f"{accepted_tokens(drafted, t.acceptance):.2f} tokens per step, an input "
            f"({t.acceptance_source}); a lower acceptance on your traffic raises ITL."
        )
    if t.disaggregated:
        prefill = cand.prefill_replicas(option.replicas)
        lines.append(
            f"Prompts run on a separate prefill pool of {prefill} "
            f"replica{'' if prefill == 1 else 's'} × {t.prefill_tensor_parallel} GPUs beside "
            f"{option.replicas} decode replica{'' if option.replicas == 1 else 's'}, the KV cache "
            "shipped between them: deployed by llm-d through KServe's LLMInferenceService."
        )
    return lines
