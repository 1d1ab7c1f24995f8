"""Explanations: what each option's numbers rest on, why it was picked, why popular ones lost.

Evidence is the nearest measured records (source named), deployment patterns of the same task
and model or GPU family, and always the prediction itself with what its calibration rests on
("no measurement of this combination; model prediction (calibrated on …)" when nothing of this
model on this GPU family was measured). This module writes words; it never sizes or ranks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from domain.benchmarks import BenchmarkRecord, DeploymentPattern
from domain.errors import UnknownNameError
from domain.recommendation import Evidence, Exclusion
from domain.serving import PerformanceEstimate
from knowledge.catalog import gpu_family_of
from recommend.candidates import quality_of, quality_score
from recommend.context import RecommendContext
from recommend.demand import Demand, describe_slo
from recommend.predictions import engine_basis
from recommend.sizing import Sized, predicted_ms
from simulate.deploy_basis import DeployBasis
from simulate.intervals import FALLBACK_WIDENING
from simulate.serving_features import version_band

POPULAR_FAMILIES = ("H100", "A100", "L40S", "L4")
_RECORDS_CITED = 3
_PATTERNS_CITED = 2
_SIZE_RATIO = 2.0  # records of models within 2× the size are cited as comparable


def _fmt(value: float | None, unit: str) -> str:
    return "n/a" if value is None else f"{value:,.0f} {unit}"


def describe_record(record: BenchmarkRecord) -> str:
    """One line about a measured record.

    Args:
        record: The record.

    Returns:
        Model, precision, GPUs, shape, load and the headline latencies, with its source.
    """
    tp = f"TP{record.tensor_parallel}" if record.tensor_parallel else "TP?"
    shape = f"{_fmt(record.input_tokens, 'in')}/{_fmt(record.output_tokens, 'out')} tokens"
    load = record.load_type.value + (f" {record.load_value:g}" if record.load_value else "")
    ttft = record.ttft_ms_p95 or record.ttft_ms_p50
    itl = record.itl_ms_p95 or record.itl_ms_p50
    return (
        f"Measured {record.model} {record.precision} on {record.gpu_count}× {record.gpu} "
        f"({tp}, {record.engine}), {shape}, {load}: TTFT {_fmt(ttft, 'ms')}, "
        f"ITL {_fmt(itl, 'ms')}, {_fmt(record.output_tok_per_s, 'output tok/s')} "
        f"[{record.provenance.source_id}]"
    )


def _measured_here(option: Sized, ctx: RecommendContext) -> bool:
    return ctx.records.measured_on(option.candidate.model.hf_id, option.candidate.gpu.family.value)


def _patterns(
    option: Sized, demand: Demand, patterns: Sequence[DeploymentPattern]
) -> list[DeploymentPattern]:
    model = option.candidate.model
    family_ids = {m.hf_id for m in option.candidate.family.members}
    gpu_family = option.candidate.gpu.family.value.lower()

    def relevance(pattern: DeploymentPattern) -> int:
        same_model = pattern.model in family_ids or pattern.model == model.hf_id
        same_gpu = pattern.gpu.lower().startswith(gpu_family)
        return (pattern.task == demand.task) + 2 * same_model + same_gpu

    ranked = sorted(patterns, key=relevance, reverse=True)
    return [p for p in ranked if relevance(p) >= 2][:_PATTERNS_CITED]


def _comparable(record: BenchmarkRecord, option: Sized, ctx: RecommendContext) -> bool:
    """A record worth citing: the same architecture, or a model of similar size."""
    model = option.candidate.model
    if ctx.records.architecture(record.model) == ctx.records.architecture(model.hf_id):
        return True
    size = record.params_b
    return size is not None and 1 / _SIZE_RATIO <= size / model.params_b <= _SIZE_RATIO


def _nearest(option: Sized, demand: Demand, ctx: RecommendContext) -> list[BenchmarkRecord]:
    """The most similar measured records."""
    cand = option.candidate
    return ctx.records.nearest(
        model=cand.model.hf_id,
        gpu_family=cand.gpu.family,
        precision=cand.precision.value,
        input_tokens=demand.input_tokens,
        output_tokens=demand.output_tokens,
        k=_RECORDS_CITED,
    )


def _version_note(est: PerformanceEstimate, basis: DeployBasis) -> str:
    """What engine version the prediction is for, and which band's calibration it rests on."""
    if not est.engine_version:
        return ""
    engine, _, version = est.engine_version.partition(" ")
    if version_band(engine, version) == est.engine_basis:
        return (
            f" Predicted for {est.engine_version} (the deploy image) with its own version "
            f"band's calibration ({est.engine_basis})."
        )
    why = basis.note or f"its version band {basis.wanted} has no measurements this prediction uses"
    return (
        f" Predicted for {est.engine_version} (the deploy image); {why}, so it rests on the "
        f"{est.engine_basis or engine} band and its interval is widened ×{FALLBACK_WIDENING:g}."
    )


def evidence(option: Sized, demand: Demand, ctx: RecommendContext) -> list[Evidence]:
    """What the option's numbers rest on.

    Measured records are cited when they are of the same architecture or of a model within 2×
    the size; the prediction's basis is always stated first.

    Args:
        option: The sized option.
        demand: The demand (token shapes, task).
        ctx: Records and patterns.

    Returns:
        The prediction's basis first, then measured records, then patterns.
    """
    est = option.estimate
    method = "discrete-event simulation" if est.method == "simulated" else "analytical model"
    if _measured_here(option, ctx):
        summary = f"Model prediction ({method}), calibrated on {est.basis_detail}."
    else:
        summary = (
            "No measurement of this combination; model prediction "
            f"({method}, calibrated on {est.basis_detail})."
        )
    summary += _version_note(est, engine_basis(option.candidate.gpu, ctx))
    items = [Evidence(kind="prediction", summary=summary)]
    records = [r for r in _nearest(option, demand, ctx) if _comparable(r, option, ctx)]
    items += [
        Evidence(
            kind="measurement",
            summary=describe_record(record),
            record_id=record.id,
            source_id=record.provenance.source_id,
            source_path=record.provenance.source_path,
        )
        for record in records
    ]
    items += [
        Evidence(kind="pattern", summary=f"Deployment pattern: {p.title}", pattern_id=p.id)
        for p in _patterns(option, demand, ctx.patterns)
    ]
    return items


def reasons(option: Sized, demand: Demand) -> list[str]:
    """Why this option: the SLOs it holds, load share, quality, and any caveat.

    Args:
        option: The sized option.
        demand: The demand.

    Returns:
        Sentences, most important first.
    """
    est, cand = option.estimate, option.candidate
    held = ", ".join(
        f"{describe_slo(t)} (predicted {predicted_ms(est, t):,.0f} ms)" for t in demand.slo
    )
    verdict = "Holds" if option.meets_slo else "Misses"
    utilisation = demand.peak_rps / (option.replicas * option.per_replica_rps)
    lines = [
        f"{verdict} {held} at {demand.peak_rps:.2f} requests/s peak on {option.replicas} "
        f"replica{'' if option.replicas == 1 else 's'} of {cand.tensor_parallel}× {cand.gpu.name}.",
        f"Each replica carries {demand.peak_rps / option.replicas:.2f} of its "
        f"{option.per_replica_rps:.2f} requests/s SLO capacity ({utilisation:.0%}).",
    ]
    published = quality_of(cand.model)
    if published is not None:
        lines.append(f"Quality: MMLU-scale {published:.1f} (published for {cand.model.hf_id}).")
    else:
        lines.append(
            f"Quality: no published MMLU; {quality_score(cand.model):.0f} estimated from size."
        )
    if cand.quantization:
        lines.append(
            f"Weights quantized to {cand.precision.value} at load time "
            f"(vLLM --quantization {cand.quantization})"
            + (
                "; a pre-quantized AWQ/GPTQ checkpoint would serve faster."
                if cand.quantization == "bitsandbytes"
                else "."
            )
        )
    if option.monthly_cost_usd is None or cand.gpu.price_usd_per_gpu_hr is None:
        lines.append(
            f"No price for {cand.gpu.name} on the price basis: ranked after priced options, on "
            "latency and quality alone; choose another basis or set a price file."
        )
    return lines + list(option.notes)


def _family_of_label(what: str) -> str | None:
    """The GPU family of a configuration label such as ``… on 2× L40S``."""
    match = re.search(r"× (\S+)$", what)
    if match is None:
        return None
    try:
        return gpu_family_of(match.group(1)).value
    except UnknownNameError:
        return None


def popular_losses(
    top: Sized, sized: Sequence[Sized], exclusions: Sequence[Exclusion]
) -> list[str]:
    """Why popular GPU families other than the top option's lost, in one line each.

    Args:
        top: The first option.
        sized: Every option that was sized (meeting its SLOs or not).
        exclusions: What the rules ruled out.

    Returns:
        Sentences such as "H100 was 2.3× the cost for the same SLOs".
    """
    lines: list[str] = []
    for family in POPULAR_FAMILIES:
        if family == top.candidate.gpu.family.value:
            continue
        rivals = [s for s in sized if s.candidate.gpu.family.value == family and s.meets_slo]
        if rivals and top.monthly_cost_usd:
            best = min(rivals, key=lambda s: s.monthly_cost_usd or float("inf"))
            if best.monthly_cost_usd and best.monthly_cost_usd > top.monthly_cost_usd:
                ratio = best.monthly_cost_usd / top.monthly_cost_usd
                lines.append(
                    f"Why not {family}: {best.candidate.label} was {ratio:.1f}× the cost "
                    f"(${best.monthly_cost_usd:,.0f}/month) for the same SLOs."
                )
            continue
        why = next((e.why for e in exclusions if _family_of_label(e.what) == family), None)
        if why:
            lines.append(f"Why not {family}: {why}.")
    return lines
