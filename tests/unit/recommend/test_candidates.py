"""Tests of recommend.candidates: model families, representatives, precisions, TP sizes."""

from __future__ import annotations

import pytest

from domain.requirements import Requirements, Task
from domain.serving import Precision
from recommend.candidates import (
    enumerate_candidates,
    model_families,
    precisions_for,
    quality_of,
    quality_score,
    tp_sizes,
)
from recommend.context import RecommendContext


@pytest.mark.parametrize(
    ("named", "member", "outsider"),
    [
        pytest.param(
            "meta-llama/Llama-3.1-70B",
            "nvidia/Llama-3.3-70B-Instruct-FP8",
            "deepseek-ai/DeepSeek-R1-Distill-Llama-70B",
            id="llama-70b-keeps-3.3-drops-distill",
        ),
        pytest.param(
            "meta-llama/Llama-3.1-8B",
            "meta-llama/Llama-3.1-8B-Instruct",
            "meta-llama/Meta-Llama-3-8B-Instruct",
            id="llama-8b-drops-8k-context-llama3",
        ),
        pytest.param(
            "Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-30B-A3B-FP8", "Qwen/Qwen3-32B", id="qwen-moe"
        ),
    ],
)
def test_named_model_family_holds_its_variants_only(
    context: RecommendContext, named: str, member: str, outsider: str
) -> None:
    families = model_families(context.models, [named])
    ids = {m.hf_id for family in families for m in family.members}
    assert len(families) == 1
    assert families[0].named
    assert named in ids and member in ids
    assert outsider not in ids


def test_every_catalog_model_is_in_exactly_one_family(context: RecommendContext) -> None:
    families = model_families(context.models)
    ids = [m.hf_id for family in families for m in family.members]
    assert sorted(ids) == sorted(context.models)


@pytest.mark.parametrize(
    ("gpu", "expected"),
    [
        pytest.param("H100-SXM-80GB", [Precision.BF16, Precision.FP8, Precision.INT4], id="h100"),
        pytest.param("A100-PCIe-80GB", [Precision.BF16, Precision.FP8, Precision.INT4], id="a100"),
        pytest.param("T4", [Precision.FP16, Precision.INT4], id="t4-fp16-no-fp8"),
        pytest.param("MI300X", [Precision.BF16, Precision.FP8], id="mi300x-no-awq"),
    ],
)
def test_precisions_follow_the_hardware(
    context: RecommendContext, gpu: str, expected: list[Precision]
) -> None:
    family = model_families(context.models, ["meta-llama/Llama-3.1-8B"])[0]
    assert precisions_for(family, context.gpus[gpu]) == expected


def test_a_named_model_stands_for_its_family_at_every_precision(
    context: RecommendContext,
) -> None:
    named = "meta-llama/Llama-3.1-70B-Instruct"
    families = model_families(context.models, [named])
    requirements = Requirements(models=[named], max_gpus=2)
    candidates = enumerate_candidates(
        families, [context.gpus["H100-SXM-80GB"]], requirements, Task.CHATBOT
    )
    by_precision = {c.precision: c for c in candidates}
    # The named checkpoint, quantized at load time; Llama 3.3 is not swapped in.
    assert by_precision[Precision.FP8].model.hf_id == "meta-llama/Llama-3.1-70B-Instruct"
    assert by_precision[Precision.FP8].quantization == "fp8"
    assert by_precision[Precision.BF16].model.hf_id == "meta-llama/Llama-3.1-70B-Instruct"
    assert by_precision[Precision.INT4].quantization == "bitsandbytes"
    assert {c.tensor_parallel for c in candidates} == {1, 2}


def test_fp8_checkpoint_stands_for_an_unnamed_family_at_fp8(context: RecommendContext) -> None:
    family = next(
        f
        for f in model_families(context.models)
        if "nvidia/Llama-3.3-70B-Instruct-FP8" in {m.hf_id for m in f.members}
    )
    candidates = enumerate_candidates(
        [family], [context.gpus["H100-SXM-80GB"]], Requirements(max_gpus=2), Task.CHATBOT
    )
    by_precision = {c.precision: c for c in candidates}
    assert by_precision[Precision.FP8].model.hf_id == "nvidia/Llama-3.3-70B-Instruct-FP8"
    assert by_precision[Precision.FP8].quantization is None


def test_tp_sizes_divide_heads_and_respect_the_ceiling(context: RecommendContext) -> None:
    gemma = context.models["google/gemma-2-27b-it"]
    assert tp_sizes(gemma, None) == [1, 2, 4, 8]
    assert tp_sizes(gemma, 4) == [1, 2, 4]
    qwen = context.models["Qwen/Qwen2-7B-Instruct"]  # 28 heads
    assert tp_sizes(qwen, None) == [1, 2, 4]


def test_quality_uses_mmlu_scale_and_size_stand_in(context: RecommendContext) -> None:
    assert quality_of(context.models["meta-llama/Llama-3.1-8B-Instruct"]) == pytest.approx(69.4)
    pro_only = context.models["Qwen/Qwen2.5-72B-Instruct"]
    assert quality_of(pro_only) == pytest.approx(34.8 + 0.716 * 71.1)
    unscored = context.models["Qwen/Qwen3-8B"]
    assert quality_of(unscored) is None
    assert 55 < quality_score(unscored) < 75


@pytest.mark.parametrize(
    ("gpu", "checkpoint"),
    [
        pytest.param("H100-SXM-80GB", "nvidia/Llama-3.1-405B-Instruct-FP8", id="nvidia"),
        pytest.param("MI300X", "amd/Llama-3.1-405B-Instruct-FP8-KV", id="amd"),
    ],
)
def test_vendor_quantized_checkpoints_go_to_their_own_hardware(
    context: RecommendContext, gpu: str, checkpoint: str
) -> None:
    families = model_families(context.models, ["meta-llama/Llama-3.1-405B"])
    fp8 = [
        c
        for c in enumerate_candidates(families, [context.gpus[gpu]], Requirements(), Task.CHATBOT)
        if c.precision is Precision.FP8
    ]
    assert {c.model.hf_id for c in fp8} == {checkpoint}
