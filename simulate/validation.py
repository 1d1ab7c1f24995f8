"""Validation: predict measured rows and score the error, never on rows calibration has seen.

:func:`predict_records` predicts each record it can (from inputs only) and says why it skips
the others; :func:`score` turns predictions into median absolute percentage error and the
share within 25 % per metric, overall and per (source, GPU); :func:`leave_one_group_out`
refits calibration once per (source, GPU) group without that group, so every row is scored
by a calibration that never saw it. No I/O here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from domain.benchmarks import BenchmarkRecord
from domain.catalog import GpuSpec, ModelSpec
from simulate.calibration import Calibration
from simulate.fitting import fit_calibration, predict_cases
from simulate.intervals import Residual, coverage
from simulate.rows import METRICS, SAME_ARCHITECTURE, Case, case_from_record, measured

# What a burst row's prediction models and what it does not (README "Simulator error").
BURST_NOTE = (
    "; burst: every prompt sent at once, slots refill as requests finish (TTFT is the slot "
    "wait); the API server's cost of that many open streams is not modelled"
)


@dataclass(frozen=True)
class RowPrediction:
    """The prediction for one record, or why there is none."""

    record: BenchmarkRecord
    values: dict[str, float] = field(default_factory=dict)
    note: str = ""
    engine_key: str = ""  # calibration key the prediction rests on (engine and version band)
    family: str = ""  # GPU family

    @property
    def predicted(self) -> bool:
        """Whether the row was predicted."""
        return bool(self.values)


class MetricScore(BaseModel):
    """Error of one metric over a set of rows."""

    model_config = ConfigDict(frozen=True)

    metric: str
    rows: int = Field(description="Rows with both a measurement and a prediction.")
    median_ape_pct: float = Field(description="Median absolute percentage error, %.")
    within_25_pct: float = Field(description="Share of rows within 25 %, %.")


class ValidationReport(BaseModel):
    """What ``preflight simulate validate`` prints."""

    model_config = ConfigDict(frozen=True)

    rows: int
    in_catalog: int = Field(description="Rows whose model and GPU are in the catalog.")
    predicted: int
    coverage_pct: float = Field(description="predicted / in_catalog, %.")
    overall: list[MetricScore]
    groups: dict[str, list[MetricScore]] = Field(description="Per 'source × GPU'.")
    skipped: dict[str, int] = Field(description="Skip reason → rows.")
    method: str = Field(default="", description="How calibration was kept apart from the rows.")
    interval_coverage_pct: dict[str, float] = Field(
        default_factory=dict,
        description="Share of measurements inside their 80 % interval (fitted on the other "
        "groups' held-out residuals), per metric family and 'all'; target 75-85 %.",
    )


def _fallback_case(
    record: BenchmarkRecord,
    reason: str,
    models: Mapping[str, ModelSpec],
    gpus: Mapping[str, GpuSpec],
) -> Case | None:
    """A row measured on hardware our memory model thinks too small is still predicted."""
    if not reason.startswith("does not fit"):
        return None
    wider = {
        name: gpu.model_copy(update={"memory_gb": gpu.memory_gb * 4}) for name, gpu in gpus.items()
    }
    case = case_from_record(record, models, wider)
    if not isinstance(case, Case):
        return None
    return replace(case, gpu=gpus[record.gpu])


def predict_records(
    records: Sequence[BenchmarkRecord],
    models: Mapping[str, ModelSpec],
    gpus: Mapping[str, GpuSpec],
    calibration: Calibration | Callable[[Case], Calibration],
) -> list[RowPrediction]:
    """Predict every record that can be predicted, from its inputs only.

    Args:
        records: The rows.
        models: Model catalog.
        gpus: GPU catalog.
        calibration: A calibration, or a function giving the calibration for a case.

    Returns:
        One prediction per record, in order.
    """
    cases: list[tuple[int, Case, str]] = []
    out = [RowPrediction(record=r) for r in records]
    for index, record in enumerate(records):
        case = case_from_record(record, models, gpus)
        note = ""
        if isinstance(case, str):
            fallback = _fallback_case(record, case, models, gpus)
            if fallback is None:
                out[index] = RowPrediction(record=record, note=case)
                continue
            case, note = fallback, "measured on a GPU our memory model thinks too small; "
        cases.append((index, case, note))
    effs = []
    notes = []
    for _, case, note in cases:
        cal = calibration(case) if callable(calibration) else calibration
        eff, _, detail = cal.lookup(case.engine_key, case.gpu)
        effs.append(eff)
        notes.append(
            f"{note}TP={case.config.tensor_parallel} × {case.replicas} replicas; {detail}"
            + (BURST_NOTE if case.features.burst else "")
        )
    predictions = predict_cases([c for _, c, _ in cases], effs)
    for (index, case, _), row, note in zip(cases, predictions, notes, strict=True):
        values = {metric: float(v) for metric, v in zip(METRICS, row, strict=True)}
        out[index] = RowPrediction(
            record=records[index],
            values=values,
            note=note,
            engine_key=case.engine_key,
            family=case.gpu.family.value,
        )
    return out


def residuals(predictions: Sequence[RowPrediction]) -> list[Residual]:
    """Measured / predicted ratios of every predicted, measured metric.

    Args:
        predictions: From :func:`predict_records` (held out, for intervals).

    Returns:
        The residuals with their basis and group.
    """
    out = []
    for pred in predictions:
        record = pred.record
        group = (record.provenance.source_id, record.gpu)
        for metric, value in measured(record).items():
            predicted = pred.values.get(metric, 0.0)
            if predicted > 0 and np.isfinite(predicted):
                out.append(Residual(pred.engine_key, pred.family, group, metric, value / predicted))
    return out


def _scores(pairs: Mapping[str, list[float]]) -> list[MetricScore]:
    scores = []
    for metric in METRICS:
        errors = np.array(pairs.get(metric, []))
        if errors.size:
            scores.append(
                MetricScore(
                    metric=metric,
                    rows=int(errors.size),
                    median_ape_pct=round(float(np.median(errors)) * 100, 1),
                    within_25_pct=round(float(np.mean(errors <= 0.25)) * 100, 1),
                )
            )
    return scores


def score(
    predictions: Sequence[RowPrediction],
    models: Mapping[str, ModelSpec],
    gpus: Mapping[str, GpuSpec],
    *,
    method: str = "",
    unreadable: int = 0,
    held_out: bool = False,
) -> ValidationReport:
    """Score predictions against the measurements of their records.

    Args:
        predictions: From :func:`predict_records`.
        models: Model catalog (for the coverage denominator).
        gpus: GPU catalog.
        method: How calibration was kept apart, for the report.
        unreadable: Rows of the file that could not be read as records (counted as skipped).
        held_out: Whether every prediction came from a calibration that never saw its group
            (then the intervals' coverage is reported).

    Returns:
        The report.
    """
    overall: dict[str, list[float]] = defaultdict(list)
    grouped: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    skipped: dict[str, int] = defaultdict(int)
    if unreadable:
        skipped["unreadable row"] = unreadable
    in_catalog = 0
    for pred in predictions:
        record = pred.record
        known = SAME_ARCHITECTURE.get(record.model, record.model) in models and record.gpu in gpus
        in_catalog += known
        if not pred.predicted:
            skipped[pred.note.split(" (")[0]] += 1
            continue
        group = f"{record.provenance.source_id} × {record.gpu}"
        for metric, value in measured(record).items():
            error = abs(pred.values[metric] / value - 1.0)
            overall[metric].append(error)
            grouped[group][metric].append(error)
    done = sum(p.predicted for p in predictions)
    return ValidationReport(
        rows=len(predictions) + unreadable,
        in_catalog=in_catalog,
        predicted=done,
        coverage_pct=round(100.0 * done / in_catalog, 1) if in_catalog else 0.0,
        overall=_scores(overall),
        groups={g: _scores(p) for g, p in sorted(grouped.items())},
        skipped=dict(sorted(skipped.items(), key=lambda kv: -kv[1])),
        method=method,
        interval_coverage_pct=coverage(residuals(predictions)) if held_out else {},
    )


def leave_one_group_out(
    records: Sequence[BenchmarkRecord],
    models: Mapping[str, ModelSpec],
    gpus: Mapping[str, GpuSpec],
    *,
    calibration_records: Sequence[BenchmarkRecord] | None = None,
    groups: Collection[tuple[str, str]] | None = None,
) -> list[RowPrediction]:
    """Predict ``records`` with calibrations that never saw the (source, GPU) group of each row.

    Args:
        records: Rows to predict.
        models: Model catalog.
        gpus: GPU catalog.
        calibration_records: Records to calibrate on (default: ``records``).
        groups: Groups to hold out (default: every group of ``records``).

    Returns:
        One prediction per record.
    """
    pool = calibration_records if calibration_records is not None else records
    wanted = (
        set(groups) if groups is not None else {(r.provenance.source_id, r.gpu) for r in records}
    )
    fitted: dict[tuple[str, str, str], Calibration] = {}

    def calibration_for(case: Case) -> Calibration:
        group = (case.record.provenance.source_id, case.record.gpu)
        exclude = {group} if group in wanted else set()
        key = (group[0] if exclude else "", case.gpu.name, case.engine_key)
        if key not in fitted:
            fitted[key] = fit_calibration(
                pool, models, gpus, exclude=exclude, only=(case.engine_key, case.gpu)
            )
        return fitted[key]

    return predict_records(records, models, gpus, calibration_for)
