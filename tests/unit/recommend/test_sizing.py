"""Tests of recommend.sizing: replicas for the peak, ceilings, discrete-event refinement."""

from __future__ import annotations

from domain.requirements import Requirements, SloTarget, Task
from recommend.candidates import enumerate_candidates, model_families
from recommend.context import RecommendContext
from recommend.demand import Demand, plan_demand
from recommend.refinement import refine
from recommend.sizing import Rejected, Sized, serving_config, size, slo_use
from simulate.memory import memory_fit


def _size(
    context: RecommendContext, requirements: Requirements, gpu: str, tp: int = 1
) -> tuple[Sized | Rejected, Demand]:
    demand = plan_demand(requirements, context.task_defaults)
    families = model_families(context.models, ["meta-llama/Llama-3.1-8B"])
    candidate = next(
        c
        for c in enumerate_candidates(families, [context.gpus[gpu]], requirements, Task.CHATBOT)
        if c.tensor_parallel == tp and c.precision.value in ("bf16", "fp16")
    )
    config = serving_config(candidate, demand.context_tokens)
    fit = memory_fit(candidate.model, candidate.gpu, config)
    return size(candidate, config, fit, demand, requirements, context), demand


def test_replicas_cover_the_peak_with_headroom(context: RecommendContext) -> None:
    requirements = Requirements(
        requests_per_second=20.0,
        input_tokens=500,
        output_tokens=200,
        slo=[SloTarget(metric="ttft", ms=1000)],
    )
    sized, demand = _size(context, requirements, "H100-SXM-80GB")
    assert isinstance(sized, Sized)
    assert sized.replicas * sized.per_replica_rps >= 20.0 * 1.2 - 1e-6
    assert (sized.replicas - 1) * sized.per_replica_rps < 20.0 * 1.2
    assert sized.meets_slo and slo_use(sized.estimate, demand.slo) <= 1.0
    assert sized.monthly_cost_usd is not None and sized.monthly_cost_usd > 0


def test_gpu_ceiling_rejects_with_the_count(context: RecommendContext) -> None:
    requirements = Requirements(
        requests_per_second=200.0,
        max_gpus=1,
        input_tokens=2000,
        output_tokens=500,
        slo=[SloTarget(metric="ttft", ms=2000)],
    )
    sized, _ = _size(context, requirements, "H100-SXM-80GB")
    assert isinstance(sized, Rejected)
    assert sized.rule == "max_gpus" and "ceiling is 1" in sized.reason


def test_refine_uses_the_discrete_event_simulator(context: RecommendContext) -> None:
    requirements = Requirements(
        requests_per_second=2.0,
        input_tokens=500,
        output_tokens=100,
        slo=[SloTarget(metric="ttft", ms=2000)],
    )
    sized, demand = _size(context, requirements, "A100-PCIe-80GB")
    assert isinstance(sized, Sized)
    refined = refine(sized, demand, requirements, context)
    assert refined.estimate.method == "simulated"
    assert refined.replicas >= sized.replicas
