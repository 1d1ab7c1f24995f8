"""Tests of recommend.near_miss: one change per closest option, and why nothing fits."""

from __future__ import annotations

from domain.recommendation import Exclusion
from domain.requirements import GpuFamily, QuantizationStance, Requirements, SloTarget
from recommend.context import RecommendContext
from recommend.demand import plan_demand
from recommend.near_miss import closest, why_nothing_fits


def test_budget_too_small_suggests_the_budget_needed(context: RecommendContext) -> None:
    requirements = Requirements(models=["meta-llama/Llama-3.1-8B"], budget_usd_month=100)
    demand = plan_demand(requirements, context.task_defaults)
    misses = closest(requirements, demand, ["meta-llama/Llama-3.1-8B"], context)
    budget = [m for m in misses if m.change.startswith("raise the budget to $")]
    assert budget and "/month" in budget[0].what


def test_forbidden_quantization_suggests_fp8(context: RecommendContext) -> None:
    requirements = Requirements(
        models=["meta-llama/Llama-3.1-405B"],
        quantization=QuantizationStance.FORBIDDEN,
        gpu_families=[GpuFamily.H100],
        max_gpus=8,
        slo=[SloTarget(metric="ttft", ms=3000)],
    )
    demand = plan_demand(requirements, context.task_defaults)
    misses = closest(requirements, demand, ["meta-llama/Llama-3.1-405B"], context)
    assert any(m.change == "allow fp8 weights (quantization)" for m in misses)


def test_why_nothing_fits_groups_by_rule(context: RecommendContext) -> None:
    requirements = Requirements()
    demand = plan_demand(requirements, context.task_defaults)
    text = why_nothing_fits(
        requirements,
        demand,
        [
            Exclusion(what="X on 1× L4", why="does not fit: needs 40 GiB", rule="memory"),
            Exclusion(what="H100-SXM-80GB", why="not allowed", rule="gpu_family"),
        ],
    )
    assert text.startswith("Nothing meets every requirement")
    assert "memory: X on 1× L4 — does not fit: needs 40 GiB" in text
    assert "allowed GPU families: 1 ruled out" in text
