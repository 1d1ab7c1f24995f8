"""Serving techniques a candidate may add: expert parallelism, MTP, disaggregated prefill/decode.

For each plain (checkpoint, GPU, precision, TP) candidate, :func:`technique_variants` adds the
variants vLLM can serve and the cluster allows (:data:`EXPERT_PARALLEL`, :data:`SPECULATIVE`,
:data:`DISAGGREGATED` in ``allowed``, which the entry point sets from the cluster settings):

* **expert parallelism with data-parallel attention** for MoE models on a replica of at least
  :data:`MIN_EP_GPUS` GPUs: vLLM ``--data-parallel-size N --enable-expert-parallel`` (docs
  serving/data_parallel_deployment.md: "for MoE models, particularly those like DeepSeek that
  employ MLA, it can be advantageous to use data parallel for the attention layers and expert
  or tensor parallel for the expert layers"; recipes DeepSeek-V3.md: DP8+EP on 8×H200 "works
  better for high-load workloads");
* **MTP speculative decoding** for checkpoints that ship an MTP module (:func:`has_mtp`),
  with the accepted share of drafted tokens an input with its source;
* **disaggregated prefill/decode** (llm-d through KServe's LLMInferenceService) where prompts
  are long (:data:`MIN_PROMPT_TO_OUTPUT`): a prefill pool of the same GPUs at
  :data:`PREFILL_RATIOS` prefill replicas per decode replica.

Whether a variant is worth it is the simulator's and the ranking's call, never this module's:
variants are sized, pruned and ranked like any other candidate. This module only enumerates.
"""

from __future__ import annotations

from dataclasses import replace

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import ServingTechniques
from recommend.candidates import Candidate
from simulate.serving_features import DRAFT_ACCEPTANCE

EXPERT_PARALLEL = "expert_parallel"
SPECULATIVE = "speculative"
DISAGGREGATED = "disaggregated"
ALL_TECHNIQUES = frozenset({EXPERT_PARALLEL, SPECULATIVE, DISAGGREGATED})
# Served with a plain InferenceService: vLLM flags only. Disaggregation needs llm-d through an
# LLMInferenceService, which the entry point allows only where the KServe version serves one.
WITHOUT_LLM_D = frozenset({EXPERT_PARALLEL, SPECULATIVE})
# Expert parallelism pays its all-to-all back only when experts spread over a node's worth of
# GPUs (the recipes' DP8+EP on 8 GPUs); on 2 GPUs TP is as good (the simulator agrees).
MIN_EP_GPUS = 4
MIN_EXPERTS = 16
# vLLM's EP all-to-all kernels (DeepEP, pplx; docs serving/expert_parallel_deployment.md) and
# its MTP proposer are CUDA builds; other vendors keep plain tensor parallelism here.
_TECHNIQUE_VENDORS = frozenset({"NVIDIA"})
# Acceptance of the one token an MTP module drafts: 85-90 % (DeepSeek-V3 Technical Report,
# arXiv:2412.19437, section 5.4.3); the low end.
MTP_ACCEPTANCE_SOURCE = (
    "DeepSeek-V3 Technical Report (arXiv:2412.19437) section 5.4.3: the MTP module's second "
    "token is accepted 85-90% of the time; 85% assumed"
)
# Prefill replicas per decode replica of a disaggregated option (the prefill pool uses the
# decode replica's GPU and TP).
PREFILL_RATIOS = (0.5, 1.0)
MIN_DISAGG_GPUS = 4
# llm-d's P/D guide (llm-d.ai/docs/guides/pd-disaggregation): the split is for "long context
# workloads (10:1 ISL:OSL) and medium-to-large models"; shorter prompts are not offered one.
MIN_PROMPT_TO_OUTPUT = 10.0


def _expert_parallel(model: ModelSpec, gpu: GpuSpec, tp: int) -> bool:
    experts = model.moe_experts or 0
    return (
        experts >= MIN_EXPERTS
        and tp >= MIN_EP_GPUS
        and experts % tp == 0
        and gpu.vendor in _TECHNIQUE_VENDORS
    )


def has_mtp(model: ModelSpec) -> bool:
    """Whether the checkpoint ships an MTP module vLLM drafts with (DeepSeek-V3/R1).

    The catalog's ``mtp_modules`` (knowledge/data/model_facts.yaml, from config.json
    ``num_nextn_predict_layers``); vLLM drafts with it as ``deepseek_mtp``
    (vllm/config/speculative.py MTPModelTypes), the only MTP method options carry.

    Args:
        model: The checkpoint.

    Returns:
        True when it ships one and is of DeepSeek-V3's MLA architecture.
    """
    return model.mtp_modules > 0 and bool(model.kv_lora_rank)


def _layouts(candidate: Candidate, allowed: frozenset[str]) -> list[ServingTechniques]:
    """Aggregated layouts beyond plain TP: EP with DP attention, MTP, and both."""
    model, gpu, tp = candidate.model, candidate.gpu, candidate.tensor_parallel
    out: list[ServingTechniques] = []
    if EXPERT_PARALLEL in allowed and _expert_parallel(model, gpu, tp):
        out.append(ServingTechniques(expert_parallel=tp, dp_attention=True))
    if SPECULATIVE in allowed and has_mtp(model) and gpu.vendor in _TECHNIQUE_VENDORS:
        mtp = {
            "speculative": "mtp",
            "draft_tokens": 1,
            "acceptance": DRAFT_ACCEPTANCE,
            "acceptance_source": MTP_ACCEPTANCE_SOURCE,
        }
        # With tensor parallelism only: vLLM documents MTP with TP (docs features/
        # speculative_decoding/mtp.md); MTP beside data-parallel ranks is not offered until a
        # source says the deployed version runs it.
        out.append(ServingTechniques().model_copy(update=mtp))
    return out


def technique_variants(
    candidate: Candidate, allowed: frozenset[str], *, long_prompts: bool = False
) -> list[Candidate]:
    """The candidate served with each technique vLLM can use for it and the cluster allows.

    Args:
        candidate: A plain candidate (tensor parallelism only).
        allowed: Techniques the cluster allows (names above).
        long_prompts: Whether prompts are at least :data:`MIN_PROMPT_TO_OUTPUT` times the
            output (only then is a prefill/decode split weighed).

    Returns:
        Variants (none for a dense model, a small replica or a vendor without the kernels).
    """
    if not allowed or candidate.gpu.vendor not in _TECHNIQUE_VENDORS:
        return []
    aggregated = _layouts(candidate, allowed)
    out = [replace(candidate, techniques=t) for t in aggregated]
    split = DISAGGREGATED in allowed and long_prompts
    if split and candidate.tensor_parallel >= MIN_DISAGG_GPUS:
        bases = [ServingTechniques(), *(t for t in aggregated if not t.speculative)]
        out += [
            replace(
                candidate,
                techniques=base.model_copy(
                    update={
                        "prefill_tensor_parallel": candidate.tensor_parallel,
                        "prefill_per_decode": ratio,
                    }
                ),
            )
            for base in bases
            for ratio in PREFILL_RATIOS
        ]
    return out


def describe_allowed(allowed: frozenset[str]) -> str:
    """The techniques options were allowed to add, and what would allow the rest, in words.

    Args:
        allowed: Technique names.

    Returns:
        One sentence.
    """
    said = []
    if EXPERT_PARALLEL in allowed:
        said.append(f"expert parallelism with data-parallel attention (MoE on {MIN_EP_GPUS}+ GPUs)")
    if SPECULATIVE in allowed:
        said.append("MTP speculative decoding (checkpoints that ship an MTP module)")
    if DISAGGREGATED in allowed:
        said.append(
            "a prefill/decode split (llm-d through KServe's LLMInferenceService) where prompts "
            f"are {MIN_PROMPT_TO_OUTPUT:g}+ times the output"
        )
    text = "Serving techniques weighed against plain tensor parallelism: " + (
        "; ".join(said) or "none"
    )
    if DISAGGREGATED not in allowed:
        text += (
            "; no prefill/decode split: it needs KServe 0.18+ for an LLMInferenceService "
            "(PREFLIGHT_CLUSTER__KSERVE_VERSION)"
        )
    return text + "."
