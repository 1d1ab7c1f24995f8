"""Tests of recommend.rules: each hard rule says why in words, or passes."""

from __future__ import annotations

import pytest

from domain.requirements import GpuFamily, QuantizationStance, Requirements
from domain.serving import MemoryFit, Precision
from recommend import rules
from recommend.context import RecommendContext


def test_params_bounds(context: RecommendContext) -> None:
    small = context.models["meta-llama/Llama-3.1-8B"]
    assert "under the stated minimum of 70B" in (
        rules.params_bounds(small, Requirements(min_params_b=70)) or ""
    )
    assert "over the stated maximum" in (
        rules.params_bounds(small, Requirements(max_params_b=7)) or ""
    )
    assert rules.params_bounds(small, Requirements(min_params_b=8, max_params_b=9)) is None


@pytest.mark.parametrize(
    ("model", "stance", "ruled_out"),
    [
        pytest.param("meta-llama/Llama-3.1-8B", "permissive", True, id="llama-not-permissive"),
        pytest.param("Qwen/Qwen3-8B", "permissive", False, id="apache-permissive"),
        pytest.param("microsoft/Phi-4-mini-instruct", "permissive", False, id="mit-permissive"),
        pytest.param("meta-llama/Llama-3.1-8B", "open-weights", False, id="llama-open-weights"),
        pytest.param("Qwen/Qwen2.5-3B-Instruct", None, True, id="research-only-never"),
    ],
)
def test_license(
    context: RecommendContext, model: str, stance: str | None, ruled_out: bool
) -> None:
    why = rules.license_allowed(context.models[model], Requirements(license=stance))
    assert (why is not None) is ruled_out


def test_context_length_names_both_numbers(context: RecommendContext) -> None:
    why = rules.context_length(context.models["EleutherAI/gpt-j-6b"], 8192)
    assert why is not None and "2,048" in why and "8,192" in why
    assert rules.context_length(context.models["Qwen/Qwen3-8B"], 8192) is None


@pytest.mark.parametrize(
    ("precision", "stance", "ruled_out"),
    [
        pytest.param(Precision.FP8, QuantizationStance.FORBIDDEN, True, id="fp8-forbidden"),
        pytest.param(Precision.BF16, QuantizationStance.FORBIDDEN, False, id="bf16-forbidden"),
        pytest.param(Precision.FP8, QuantizationStance.EIGHT_BIT, False, id="fp8-8bit"),
        pytest.param(Precision.INT4, QuantizationStance.EIGHT_BIT, True, id="int4-8bit"),
        pytest.param(Precision.INT4, QuantizationStance.ALLOWED, False, id="int4-allowed"),
        pytest.param(Precision.INT4, None, True, id="int4-unstated"),
        pytest.param(Precision.FP8, None, False, id="fp8-unstated"),
    ],
)
def test_quantization_stance(
    context: RecommendContext,
    precision: Precision,
    stance: QuantizationStance | None,
    ruled_out: bool,
) -> None:
    model = context.models["meta-llama/Llama-3.1-8B"]
    assert (rules.quantization_allowed(model, precision, stance) is not None) is ruled_out


def test_native_fp4_checkpoint_counts_as_its_own_precision(context: RecommendContext) -> None:
    fp4 = context.models["nvidia/Llama-3.3-70B-Instruct-FP4"]
    assert rules.quantization_allowed(fp4, Precision.FP4, None) is None
    assert rules.quantization_allowed(fp4, Precision.FP4, QuantizationStance.EIGHT_BIT)


def test_gpu_family_and_ceiling(context: RecommendContext) -> None:
    l4 = context.gpus["L4"]
    assert rules.gpu_family_allowed(l4, Requirements(gpu_families=[GpuFamily.L4])) is None
    why = rules.gpu_family_allowed(l4, Requirements(gpu_families=[GpuFamily.H100]))
    assert why is not None and "H100" in why
    assert rules.gpu_ceiling(3, Requirements(max_gpus=2)) == "needs 3 GPUs, the ceiling is 2"
    assert rules.gpu_ceiling(2, Requirements(max_gpus=2)) is None


def test_inventory_by_name_or_family(context: RecommendContext) -> None:
    l4, h100 = context.gpus["L4"], context.gpus["H100-SXM-80GB"]
    inventory = {"L4": 2}
    assert rules.in_inventory(l4, inventory, 2) is None
    assert rules.in_inventory(l4, inventory, 3) == "needs 3 × L4, the GPU inventory has 2"
    assert rules.in_inventory(h100, inventory) == "the GPU inventory has no H100-SXM-80GB"
    assert rules.in_inventory(h100, None, 99) is None


def test_unpriced_gpu_only_when_owned_or_the_only_kind_named(context: RecommendContext) -> None:
    unpriced = next(g for g in context.gpus.values() if g.price_usd_per_gpu_hr is None)
    named = Requirements(gpu_families=[unpriced.family])
    assert rules.priced(unpriced, Requirements(), None, family_priced=False)
    assert rules.priced(unpriced, named, None, family_priced=False) is None
    assert rules.priced(unpriced, named, None, family_priced=True)
    budgeted = Requirements(gpu_families=[unpriced.family], budget_usd_month=1000)
    assert "budget cannot be checked" in (rules.priced(unpriced, budgeted, None, False) or "")
    assert rules.priced(unpriced, Requirements(), {unpriced.name: 1}, family_priced=True) is None


def test_budget_and_memory() -> None:
    assert rules.budget(900.0, Requirements(budget_usd_month=700)) == (
        "costs $900/month, over the $700 budget"
    )
    assert rules.budget(600.0, Requirements(budget_usd_month=700)) is None
    assert rules.budget(600.0, Requirements()) is None
    fit = MemoryFit(
        fits=False,
        weights_gib=1,
        overhead_gib=1,
        kv_cache_gib=-1,
        usable_gib=1,
        kv_bytes_per_token=1,
        kv_capacity_tokens=0,
        max_sequences=0,
        reason="does not fit: x",
    )
    assert rules.memory(fit) == "does not fit: x"
