"""Tests of recommend.screening: the vectorised first look agrees with the simulator's own path."""

from __future__ import annotations

import math

import pytest

from domain.requirements import Requirements, SloTarget, Task
from domain.serving import MemoryFit, ServingConfig
from recommend.candidates import Candidate, enumerate_candidates, model_families
from recommend.context import RecommendContext
from recommend.demand import plan_demand
from recommend.screening import first_look, replica_floors
from recommend.sizing import serving_config
from simulate.capacity import max_rate_per_replica
from simulate.memory import memory_fit

Item = tuple[Candidate, ServingConfig, MemoryFit]
SLO = [SloTarget(metric="ttft", ms=800), SloTarget(metric="itl", ms=60)]


@pytest.fixture(scope="module")
def items(context: RecommendContext) -> list[Item]:
    """16-bit Llama-3.1-8B on a few GPUs, ready to price."""
    requirements = Requirements(input_tokens=1000, output_tokens=200, slo=SLO)
    demand = plan_demand(requirements, context.task_defaults)
    families = model_families(context.models, ["meta-llama/Llama-3.1-8B"])
    gpus = [context.gpus[name] for name in ("L4", "L40S", "A100-PCIe-80GB", "H100-SXM-80GB")]
    result: list[Item] = []
    for cand in enumerate_candidates(families, gpus, requirements, Task.CHATBOT):
        config = serving_config(cand, demand.context_tokens)
        fit = memory_fit(cand.model, cand.gpu, config)
        if fit.fits and cand.tensor_parallel == 1 and cand.precision.value == "fp8":
            result.append((cand, config, fit))
    assert len(result) == 4
    return result


def test_replica_floors_never_exceed_what_capacity_needs(
    context: RecommendContext, items: list[Item]
) -> None:
    peak = 12.0
    floors = replica_floors(
        items, peak_rps=peak, slo=SLO, input_tokens=1000, output_tokens=200, ctx=context
    )
    for (cand, config, _), floor in zip(items, floors, strict=True):
        rate = max_rate_per_replica(
            cand.model,
            cand.gpu,
            config,
            input_tokens=1000,
            output_tokens=200,
            slo=SLO,
            calibration=context.calibration,
        )
        assert rate > 0
        assert 1 <= floor <= math.ceil(peak / rate - 1e-9), cand.label


def test_first_look_light_load_and_saturation(context: RecommendContext, items: list[Item]) -> None:
    looks = first_look(items, input_tokens=1000, output_tokens=200, ctx=context)
    by_gpu = {cand.gpu.name: look for (cand, _, _), look in zip(items, looks, strict=True)}
    assert by_gpu["H100-SXM-80GB"].saturated_rps > by_gpu["L4"].saturated_rps
    assert by_gpu["H100-SXM-80GB"].light_use(SLO) < by_gpu["L4"].light_use(SLO)
    impossible = [SloTarget(metric="itl", ms=0.5)]
    assert all(look.light_use(impossible) > 1 for look in looks)
