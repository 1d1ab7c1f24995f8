"""Tests of recommend.explain: evidence names sources or says it is a prediction."""

from __future__ import annotations

from dataclasses import replace

from domain.requirements import GpuFamily, Requirements, SloTarget, Task
from recommend.context import RecommendContext
from recommend.demand import Demand, plan_demand
from recommend.explain import describe_record, evidence, popular_losses, reasons
from recommend.search import SearchResult, search


def _top(
    context: RecommendContext, requirements: Requirements, named: list[str]
) -> tuple[SearchResult, Demand]:
    demand = plan_demand(requirements, context.task_defaults)
    found = search(requirements, demand, named, context, limit=3)
    assert found.sized
    return found, demand


def test_measured_combination_cites_records_with_sources(context: RecommendContext) -> None:
    requirements = Requirements(
        models=["meta-llama/Llama-3.1-8B"], gpu_families=[GpuFamily.H100], concurrent_users=20
    )
    found, demand = _top(context, requirements, ["meta-llama/Llama-3.1-8B"])
    items = evidence(found.sized[0], demand, context)
    assert items[0].kind == "prediction"
    measured = [e for e in items if e.kind == "measurement"]
    assert measured
    assert all(e.source_id and e.source_path and e.record_id for e in measured)
    assert all("Measured" in e.summary for e in measured)


def test_unmeasured_combination_says_it_is_a_prediction(context: RecommendContext) -> None:
    requirements = Requirements(
        models=["google/gemma-2-9b-it"], gpu_families=[GpuFamily.T4], concurrent_users=2
    )
    found, demand = _top(context, requirements, ["google/gemma-2-9b-it"])
    items = evidence(found.sized[0], demand, context)
    assert items[0].summary.startswith("No measurement of this combination; model prediction")


def test_reasons_state_slo_load_and_quality(context: RecommendContext) -> None:
    found, demand = _top(context, Requirements(task=Task.CHATBOT, concurrent_users=30), [])
    lines = reasons(found.sized[0], demand)
    assert lines[0].startswith("Holds ")
    assert "requests/s" in lines[1]
    assert lines[2].startswith("Quality:")


def test_popular_losses_compare_cost(context: RecommendContext) -> None:
    found, _ = _top(context, Requirements(task=Task.CHATBOT, concurrent_users=30), [])
    top = min(found.sized, key=lambda s: s.monthly_cost_usd or 0)
    lines = popular_losses(top, found.sized, found.exclusions)
    assert any("× the cost" in line for line in lines)


def test_describe_record_names_its_source(context: RecommendContext) -> None:
    record = context.records.records[0]
    line = describe_record(record)
    assert record.provenance.source_id in line and record.gpu in line


def test_popular_losses_name_the_rule_that_ruled_a_family_out(context: RecommendContext) -> None:
    requirements = Requirements(
        models=["meta-llama/Llama-3.1-8B"],
        gpu_families=[GpuFamily.L4, GpuFamily.A100],
        max_gpus=1,
        quantization="forbidden",
        slo=[SloTarget(metric="itl", ms=16)],
        concurrent_users=5,
    )
    found, _ = _top(context, requirements, ["meta-llama/Llama-3.1-8B"])
    top = found.sized[0]
    assert top.candidate.gpu.family is GpuFamily.A100
    lines = popular_losses(top, found.sized, found.exclusions)
    assert any(line.startswith("Why not L4: ITL p95 would be") for line in lines), lines


def test_a_prediction_names_the_deploy_images_version_and_its_band(
    context: RecommendContext,
) -> None:
    requirements = Requirements(
        models=["meta-llama/Llama-3.1-8B"], gpu_families=[GpuFamily.H100], concurrent_users=20
    )
    newer = replace(context, engine_versions={"NVIDIA": "0.11.0"})
    found, demand = _top(newer, requirements, ["meta-llama/Llama-3.1-8B"])
    option = found.sized[0]
    assert option.estimate.engine_version == "vllm 0.11.0"
    assert option.estimate.engine_basis == "vllm 0.10+"  # its own band, measured on H100
    summary = evidence(option, demand, newer)[0].summary
    assert "Predicted for vllm 0.11.0" in summary and "own version band" in summary
    assert "widened" not in summary
    older = replace(context, engine_versions={"NVIDIA": "0.4.3"})
    found, demand = _top(older, requirements, ["meta-llama/Llama-3.1-8B"])
    assert found.sized[0].estimate.engine_basis == "vllm"
    summary = evidence(found.sized[0], demand, older)[0].summary
    assert "Predicted for vllm 0.4.3" in summary and "widened" not in summary


def test_a_version_unmeasured_on_a_gpu_borrows_the_nearest_band_and_says_so(
    context: RecommendContext,
) -> None:
    requirements = Requirements(
        models=["meta-llama/Llama-3.1-8B"], gpu_families=[GpuFamily.MI300X], concurrent_users=20
    )
    rocm = replace(context, engine_versions={"AMD": "0.11.0"})
    found, demand = _top(rocm, requirements, ["meta-llama/Llama-3.1-8B"])
    option = found.sized[0]
    assert option.estimate.engine_basis == "vllm 0.6-0.9"  # vLLM on ROCm, measured on MI300X
    summary = evidence(option, demand, rocm)[0].summary
    assert "vllm 0.10+ has no measurements on AMD GPUs" in summary
    assert "nearest measured band vllm 0.6-0.9" in summary and "widened ×1.25" in summary
