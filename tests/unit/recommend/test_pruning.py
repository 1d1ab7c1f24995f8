"""Tests of recommend.pruning (the screen stage): TP pruning, bounds and kept reasons."""

from __future__ import annotations

from collections import Counter

from domain.requirements import GpuFamily, Requirements, SloTarget, Task
from recommend.candidates import enumerate_candidates, model_families
from recommend.context import RecommendContext
from recommend.demand import plan_demand
from recommend.pruning import Failures, screen
from recommend.ruling import TP_PER_GROUP, configuration_rules


def test_failures_keep_the_reason_that_reached_furthest(context: RecommendContext) -> None:
    families = model_families(context.models, ["meta-llama/Llama-3.1-70B"])
    candidates = enumerate_candidates(families, [context.gpus["L4"]], Requirements(), Task.CHATBOT)
    failures = Failures()
    failures.note(candidates[0], 0, "memory", "does not fit")
    failures.note(candidates[1], 1, "quantization", "not allowed")
    failures.note(candidates[2], 2, "slo", "too slow")
    (exclusion,) = failures.exclusions(set())
    assert (exclusion.rule, exclusion.why) == ("slo", "too slow")
    pair = (candidates[0].family.key, candidates[0].gpu.name)
    assert failures.exclusions({pair}) == []


def test_screen_keeps_two_tp_sizes_and_bounds_in_order(context: RecommendContext) -> None:
    requirements = Requirements(
        models=["meta-llama/Llama-3.1-8B"],
        gpu_families=[GpuFamily.H100, GpuFamily.L40S],
        concurrent_users=50,
    )
    demand = plan_demand(requirements, context.task_defaults)
    families = model_families(context.models, requirements.models)
    gpus = [g for g in context.gpus.values() if g.family in requirements.gpu_families]
    candidates = enumerate_candidates(families, gpus, requirements, Task.CHATBOT)
    fitting, _ = configuration_rules(
        candidates, requirements, context_tokens=demand.context_tokens, inventory=None
    )
    viable = screen(fitting, requirements, demand, context, Failures())
    groups = Counter((v.candidate.gpu.name, v.candidate.precision.value) for v in viable)
    assert viable and max(groups.values()) <= TP_PER_GROUP
    bounds = [v.bound for v in viable]
    assert bounds == sorted(bounds)
    assert all(v.floor >= 1 and v.use <= 1.0 for v in viable)


def test_screen_rules_out_by_ceiling_from_the_replica_floor(context: RecommendContext) -> None:
    requirements = Requirements(
        models=["meta-llama/Llama-3.1-8B"],
        gpu_families=[GpuFamily.L4],
        max_gpus=1,
        requests_per_second=100.0,
        slo=[SloTarget(metric="ttft", ms=1000)],
    )
    demand = plan_demand(requirements, context.task_defaults)
    families = model_families(context.models, requirements.models)
    candidates = enumerate_candidates(families, [context.gpus["L4"]], requirements, Task.CHATBOT)
    fitting, _ = configuration_rules(
        candidates, requirements, context_tokens=demand.context_tokens, inventory=None
    )
    failures = Failures()
    assert screen(fitting, requirements, demand, context, failures) == []
    (exclusion,) = failures.exclusions(set())
    assert exclusion.rule == "max_gpus"
    assert exclusion.why.startswith("at least ") and "the ceiling is 1" in exclusion.why
