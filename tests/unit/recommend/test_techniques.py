"""Tests of recommend.techniques: which serving techniques a candidate may add, and where not."""

from __future__ import annotations

import pytest

from domain.serving import Precision
from recommend.candidates import Candidate, ModelFamily, technique_label
from recommend.context import RecommendContext
from recommend.techniques import (
    ALL_TECHNIQUES,
    WITHOUT_LLM_D,
    has_mtp,
    technique_variants,
)


def _candidate(context: RecommendContext, model: str, gpu: str, tp: int) -> Candidate:
    spec = context.models[model]
    family = ModelFamily(key=model, members=(spec,), named=True)
    return Candidate(spec, family, context.gpus[gpu], Precision.FP8, tp, None)


def test_deepseek_on_eight_h200_gets_ep_with_dp_attention_and_mtp_with_tp(
    context: RecommendContext,
) -> None:
    plain = _candidate(context, "deepseek-ai/DeepSeek-R1", "H200-SXM-141GB", 8)
    variants = technique_variants(plain, WITHOUT_LLM_D)
    labels = [technique_label(v) for v in variants]
    assert labels == ["EP8 + DP-attention", "MTP"]  # no MTP beside data-parallel ranks
    mtp = variants[1].techniques
    assert mtp.acceptance == pytest.approx(0.85) and "arXiv:2412.19437" in mtp.acceptance_source
    assert all(not v.techniques.disaggregated for v in variants)  # no llm-d without KServe 0.18


def test_a_prefill_decode_split_is_added_only_where_the_cluster_serves_llm_d(
    context: RecommendContext,
) -> None:
    plain = _candidate(context, "deepseek-ai/DeepSeek-R1", "H200-SXM-141GB", 8)
    variants = technique_variants(plain, ALL_TECHNIQUES, long_prompts=True)
    split = [v for v in variants if v.techniques.disaggregated]
    short = technique_variants(plain, ALL_TECHNIQUES, long_prompts=False)
    assert not any(v.techniques.disaggregated for v in short)  # llm-d's 10:1 ISL:OSL
    assert [technique_label(v) for v in split] == [
        "prefill/decode split 1:2",
        "prefill/decode split 1:1",
        "EP8 + DP-attention, prefill/decode split 1:2",
        "EP8 + DP-attention, prefill/decode split 1:1",
    ]
    one_to_two = split[0]
    assert one_to_two.prefill_replicas(3) == 2  # ceil(3 × 0.5)
    assert one_to_two.gpus_for(3) == 3 * 8 + 2 * 8


@pytest.mark.parametrize(
    ("model", "gpu", "tp"),
    [
        pytest.param("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM-80GB", 1, id="dense-8b"),
        pytest.param("meta-llama/Llama-3.1-70B-Instruct", "H100-SXM-80GB", 2, id="dense-70b-tp2"),
        pytest.param("Qwen/Qwen3-30B-A3B", "H100-SXM-80GB", 2, id="moe-on-two-gpus"),
        pytest.param("deepseek-ai/DeepSeek-R1", "MI300X", 8, id="amd-no-ep-kernels"),
    ],
)
def test_no_technique_where_it_cannot_pay(
    context: RecommendContext, model: str, gpu: str, tp: int
) -> None:
    gpu_name = next(name for name in context.gpus if name.startswith(gpu))
    plain = _candidate(context, model, gpu_name, tp)
    assert technique_variants(plain, ALL_TECHNIQUES, long_prompts=True) == []


def test_moe_models_without_an_mtp_module_get_expert_parallelism_only(
    context: RecommendContext,
) -> None:
    qwen = _candidate(context, "Qwen/Qwen3-235B-A22B", "H100-SXM-80GB", 8)
    assert not has_mtp(qwen.model)
    assert [technique_label(v) for v in technique_variants(qwen, WITHOUT_LLM_D)] == [
        "EP8 + DP-attention"
    ]
    assert technique_variants(qwen, frozenset()) == []
