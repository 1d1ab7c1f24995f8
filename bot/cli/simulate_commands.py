"""``preflight simulate``: estimate, predict measured rows, validate and calibrate the simulator.

This module is the simulator's edge: it loads catalogs and benchmark records from ``knowledge``
and files from disk, and hands plain domain objects to the pure functions of ``simulate``.
Commands:

* ``run`` — one configuration under one load (analytical or simulated);
* ``predict IN.csv --out OUT.csv`` — IN's columns plus ``pred_*`` columns for every row;
* ``validate IN.csv`` — error per metric, overall and per (source, GPU), and coverage;
* ``calibrate`` — refit efficiencies on the knowledge base's records.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from bot.cli.errors import fail
from domain.benchmarks import BenchmarkRecord
from domain.catalog import GpuSpec, ModelSpec
from domain.errors import InvalidInputError, PreflightError, UnknownNameError, UserFacingError
from domain.serving import LoadKind, PerformanceEstimate, Precision, ServingConfig, Workload
from simulate.benchmark_rows import record_from_row
from simulate.calibration import Calibration, save_calibration
from simulate.calibration_store import current, folder, merge, save_version
from simulate.intervals import fit_intervals
from simulate.memory import memory_fit
from simulate.rows import METRICS

if TYPE_CHECKING:
    from simulate.intervals import IntervalBand
    from simulate.validation import ValidationReport

simulate_app = typer.Typer(help="The serving simulator: estimates, predictions, validation.")
_err = Console(stderr=True)
PRED_OF_METRIC = {
    metric: "pred_output_tok_per_s"
    if metric == "output_tok_per_s"
    else "pred_" + metric.replace("_p", "_ms_p")
    for metric in METRICS
}
PRED_COLUMNS = (*PRED_OF_METRIC.values(), "pred_note")


def _catalogs() -> tuple[dict[str, ModelSpec], dict[str, GpuSpec]]:
    from knowledge.catalog import load_gpus, load_models

    return load_models(), load_gpus()


def _data_dir() -> Path:
    from bot.settings import load_settings

    return load_settings().data_dir


def _knowledge_records() -> list[BenchmarkRecord]:
    """The shipped records and those ingested into the data directory."""
    from knowledge.records import load_records

    return load_records(_data_dir())


def _current_calibration() -> Calibration:
    """The data directory's current calibration, else the shipped one."""

    return current(_data_dir()).calibration


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = [dict(row) for row in reader]
            return list(reader.fieldnames or []), rows
    except OSError as exc:
        raise UserFacingError(f"cannot read {path}: {exc.strerror}") from exc


def _parsed(
    rows: Sequence[Mapping[str, str]], path: Path, gpus: Mapping[str, GpuSpec]
) -> list[BenchmarkRecord | str]:
    """Each row as a record (read as ``preflight ingest`` reads it), or why it cannot be read.

    A GPU missing from the catalog keeps its name, so the row is reported as "GPU not in
    catalog" by the simulator rather than refused here.
    """
    from knowledge.catalog import resolve_gpu

    def gpu_name(name: str) -> str:
        try:
            return resolve_gpu(name, gpus).name
        except UnknownNameError:
            return name.strip()

    out: list[BenchmarkRecord | str] = []
    for line, row in enumerate(rows, start=2):
        try:
            out.append(record_from_row(row, gpu_name, source_id=path.stem, fallback_path=path.name))
        except InvalidInputError as exc:
            out.append(f"line {line}: {exc.message}")
        except ValidationError as exc:
            first = exc.errors()[0]
            out.append(f"line {line}: {'.'.join(map(str, first['loc']))}: {first['msg']}")
    return out


def _records(parsed: Sequence[BenchmarkRecord | str]) -> list[BenchmarkRecord]:
    return [item for item in parsed if isinstance(item, BenchmarkRecord)]


def _groups(records: Sequence[BenchmarkRecord]) -> set[tuple[str, str]]:
    return {(r.provenance.source_id, r.gpu) for r in records}


def _refit(exclude: set[tuple[str, str]]) -> Calibration:
    from simulate.fitting import fit_calibration

    models, gpus = _catalogs()
    return fit_calibration(_knowledge_records(), models, gpus, exclude=exclude)


def _refit_only(only: str, exclude: set[tuple[str, str]]) -> Calibration:
    """Refit one (engine, GPU) chain on the current calibration."""
    from knowledge.catalog import resolve_gpu
    from simulate.fitting import fit_calibration

    engine, _, gpu = only.partition(":")
    if not engine or not gpu:
        raise InvalidInputError(f"--only {only!r}: expected ENGINE:GPU, e.g. vllm:H100")
    models, gpus = _catalogs()
    card = resolve_gpu(gpu, gpus)
    refit = fit_calibration(
        _knowledge_records(), models, gpus, exclude=exclude, only=(engine, card)
    )
    if not refit.scopes:
        raise InvalidInputError(f"--only {only!r}: no usable {engine} records to fit")
    return merge(current(_data_dir()).calibration, refit)


def _held_out_intervals() -> tuple[IntervalBand, ...]:
    """Interval bands from leave-one-(source, GPU)-group-out residuals of the knowledge base."""
    from simulate.validation import leave_one_group_out, residuals

    models, gpus = _catalogs()
    records = _knowledge_records()
    held_out = leave_one_group_out(records, models, gpus, calibration_records=records)
    return fit_intervals(residuals(held_out))


def _fmt(value: float) -> str:
    return "" if not math.isfinite(value) else f"{value:.4g}"


@simulate_app.command("run")
def run(
    model: Annotated[
        str, typer.Option(help="Model catalog id, or org/name[@rev] read from the model registry.")
    ],
    gpu: Annotated[str, typer.Option(help="GPU catalog name or family.")],
    input_tokens: Annotated[int, typer.Option(min=1, help="Prompt tokens.")],
    output_tokens: Annotated[int, typer.Option(min=1, help="Output tokens.")],
    tp: Annotated[int, typer.Option(min=1, help="Tensor-parallel size.")] = 1,
    precision: Annotated[
        Precision | None,
        typer.Option(help="Weight precision; default: the checkpoint's own (gpt-oss: fp4)."),
    ] = None,
    rate: Annotated[float | None, typer.Option(help="Poisson requests/s.")] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight.")] = None,
    batch: Annotated[int | None, typer.Option(help="Static batch size.")] = None,
    engine: Annotated[str, typer.Option(help="Engine the calibration is for.")] = "vllm",
    engine_version: Annotated[
        str | None,
        typer.Option(
            help="vLLM version to predict for (its calibration band, else the nearest measured "
            "one); default: the version of the settings' image for the GPU's vendor; '' for "
            "the 2023-24 band. Only with --engine vllm."
        ),
    ] = None,
    length_cv: Annotated[
        float, typer.Option(min=0.0, help="Coefficient of variation of token lengths.")
    ] = 0.0,
    simulate: Annotated[bool, typer.Option("--simulate/--analytical")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Estimate one configuration under one load."""
    from bot.settings import load_settings
    from bot.wiring import build_model_lookup, engine_versions
    from knowledge.catalog import resolve_gpu
    from knowledge.model_registry import find_model
    from simulate.analytical import estimate
    from simulate.calibration import for_engine_version
    from simulate.deploy_basis import choose_band, clip_to_floors, physical_floors
    from simulate.scheduler import simulate_run

    loads = [(LoadKind.RATE, rate), (LoadKind.CONCURRENCY, concurrency), (LoadKind.BATCH, batch)]
    given = [(kind, value) for kind, value in loads if value is not None]
    if len(given) != 1:
        raise typer.BadParameter("give exactly one of --rate, --concurrency, --batch")
    try:
        settings = load_settings()
        models, gpus = _catalogs()
        spec = find_model(model, models, build_model_lookup(settings))
        card = resolve_gpu(gpu, gpus)
        calibration = _current_calibration()
        version, why = "", ""
        if engine == "vllm":
            version = engine_versions(settings).get(card.vendor, "")
            version = version if engine_version is None else engine_version
            basis = choose_band(calibration, engine, version, card)
            engine, why = basis.key, basis.note
        config = ServingConfig(
            model=spec.hf_id,
            gpu=card.name,
            precision=precision or _native(spec.native_precision),
            tensor_parallel=tp,
            engine=engine,
            max_model_len=min(spec.max_context, input_tokens + output_tokens),
        )
        workload = Workload(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            kind=given[0][0],
            value=float(given[0][1] or 0),
            length_cv=length_cv,
        )
        fit = memory_fit(spec, card, config)
        path = simulate_run if simulate else estimate
        result = path(spec, card, config, workload, calibration)
        if version:
            result = for_engine_version(result, "vllm", version)
        if why:
            result = result.model_copy(update={"notes": (*result.notes, f"vllm {version}: {why}")})
        result = clip_to_floors(result, physical_floors(spec, card, config, workload))
    except PreflightError as exc:
        raise fail(exc) from exc
    except ValueError as exc:  # a value pydantic refuses (e.g. a zero rate)
        raise fail(InvalidInputError(str(exc))) from exc
    if as_json:
        print(
            json.dumps(
                {"memory": fit.model_dump(), "estimate": result.model_dump(mode="json")}, indent=1
            )
        )
        return
    _print_estimate(result, fit.reason or f"fits: KV room for {fit.kv_capacity_tokens} tokens")


def _native(stored: str) -> Precision:
    """The precision a checkpoint's weights are published in (16-bit reads as bf16)."""
    try:
        return Precision(stored)
    except ValueError:
        return Precision.BF16


def _print_estimate(result: PerformanceEstimate, memory: str) -> None:
    table = Table(title=f"{result.method} estimate ({result.basis_detail})")
    for column in ("metric", "p50", "p90", "p95", "p99"):
        table.add_column(column)
    for name in ("ttft_ms", "itl_ms", "e2e_ms"):
        pct = getattr(result, name)
        table.add_row(name, *(f"{pct.at(p):.1f}" for p in (50, 90, 95, 99)))
    Console().print(table)
    Console().print(
        f"output {result.output_tok_per_s:.0f} tok/s, {result.req_per_s:.2f} req/s; {memory}"
    )
    for note in result.notes:
        Console().print(f"[yellow]{note}[/yellow]")


@simulate_app.command("predict")
def predict(
    in_csv: Annotated[Path, typer.Argument(help="Rows in the benchmarks.csv format.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write IN + pred_* columns.")],
) -> None:
    """Predict every row of IN.csv from its inputs; write IN's columns plus predictions."""
    from simulate.validation import predict_records

    try:
        columns, rows = _read_rows(in_csv)
        models, gpus = _catalogs()
        parsed = _parsed(rows, in_csv, gpus)
        predicted = iter(predict_records(_records(parsed), models, gpus, _current_calibration()))
    except PreflightError as exc:
        raise fail(exc) from exc
    outcomes: list[tuple[dict[str, float], str]] = []
    for item in parsed:
        if isinstance(item, str):
            outcomes.append(({}, item))
        else:
            prediction = next(predicted)
            outcomes.append((prediction.values, prediction.note))
    fieldnames = [c for c in columns if c not in PRED_COLUMNS] + list(PRED_COLUMNS)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames, extrasaction="ignore")
        writer.writeheader()
        for row, (predicted_values, note) in zip(rows, outcomes, strict=True):
            values = {PRED_OF_METRIC[m]: _fmt(v) for m, v in predicted_values.items()}
            writer.writerow({**row, **{c: "" for c in PRED_COLUMNS}, **values, "pred_note": note})
    done = sum(bool(values) for values, _ in outcomes)
    _err.print(f"wrote {out}: {done} of {len(rows)} rows predicted")


@simulate_app.command("validate")
def validate(
    in_csv: Annotated[Path, typer.Argument(help="Measured rows in the benchmarks.csv format.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    exclude_from_calibration: Annotated[
        bool,
        typer.Option(
            "--exclude-from-calibration",
            help="Refit without the file's (source, GPU) groups first.",
        ),
    ] = False,
    leave_one_group_out: Annotated[
        bool,
        typer.Option(
            "--leave-one-group-out",
            help="Score each (source, GPU) group with a calibration fitted without it.",
        ),
    ] = False,
) -> None:
    """Median absolute percentage error per metric, overall and per (source, GPU)."""
    from simulate import validation

    try:
        _, rows = _read_rows(in_csv)
        models, gpus = _catalogs()
        parsed = _parsed(rows, in_csv, gpus)
        records = _records(parsed)
        if leave_one_group_out:
            pool = _knowledge_records()
            predictions = validation.leave_one_group_out(
                records, models, gpus, calibration_records=pool
            )
            method = "leave-one-(source, GPU)-group-out: each group scored by a fit without it"
        else:
            excluded = _groups(records) if exclude_from_calibration else set()
            calibration = _refit(excluded) if excluded else _current_calibration()
            predictions = validation.predict_records(records, models, gpus, calibration)
            method = (
                "refit without the file's groups"
                if excluded
                else "shipped calibration (may have seen these rows)"
            )
        unreadable = [item for item in parsed if isinstance(item, str)]
        report = validation.score(
            predictions,
            models,
            gpus,
            method=method,
            unreadable=len(unreadable),
            held_out=leave_one_group_out,
        )
    except PreflightError as exc:
        raise fail(exc) from exc
    if as_json:
        print(report.model_dump_json(indent=1))
        return
    _print_report(report)


def _print_report(report: ValidationReport) -> None:
    console = Console(width=max(Console().width, 140))
    console.print(f"{report.method}")
    console.print(
        f"rows {report.rows}, in catalog {report.in_catalog}, predicted {report.predicted}"
        f" (coverage {report.coverage_pct}%)"
    )
    table = Table(title="overall")
    for column in ("metric", "rows", "median APE %", "within 25 %"):
        table.add_column(column)
    for s in report.overall:
        table.add_row(s.metric, str(s.rows), f"{s.median_ape_pct}", f"{s.within_25_pct}")
    console.print(table)
    groups = Table(title="per source × GPU (median APE %)")
    groups.add_column("group")
    for metric in METRICS:
        groups.add_column(metric)
    for name, scores in report.groups.items():
        by = {s.metric: f"{s.median_ape_pct} ({s.rows})" for s in scores}
        groups.add_row(name, *(by.get(m, "") for m in METRICS))
    console.print(groups)
    for reason, count in report.skipped.items():
        console.print(f"skipped {count}: {reason}")
    if report.interval_coverage_pct:
        inside = ", ".join(f"{m} {pct}%" for m, pct in report.interval_coverage_pct.items())
        console.print(f"measured inside their 80% interval (target 75-85%): {inside}")


@simulate_app.command("calibrate")
def calibrate(
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Leave out a group: source=S,gpu=G (repeatable)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Write here instead of a new version under <data dir>/calibrations."
        ),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="ENGINE:GPU — refit only the scopes that GPU's predictions use, keep the rest.",
        ),
    ] = None,
    intervals: Annotated[
        bool,
        typer.Option(
            "--intervals/--no-intervals",
            help="Also fit 80% intervals from leave-one-group-out residuals (minutes).",
        ),
    ] = False,
) -> None:
    """Refit efficiencies on the shipped and ingested records (flagged rows left out).

    The result becomes the current calibration of the data directory, kept as a new version
    (the installed package is never written); with --out it is only written to that file.
    """

    groups: set[tuple[str, str]] = set()
    for item in exclude or []:
        parts = dict(part.split("=", 1) for part in item.split(",") if "=" in part)
        if "source" not in parts or "gpu" not in parts:
            raise typer.BadParameter(f"--exclude {item!r}: expected source=S,gpu=G")
        groups.add((parts["source"], parts["gpu"]))
    try:
        calibration = _refit(groups) if only is None else _refit_only(only, groups)
        if intervals:
            calibration = calibration.model_copy(update={"intervals": _held_out_intervals()})
        if out is not None:
            save_calibration(calibration, out)
            target, version = out, ""
        else:
            saved = save_version(calibration, _data_dir())
            target = saved.path or folder(_data_dir())
            version = f" (version {saved.version}, now current)"
    except PreflightError as exc:
        raise fail(exc) from exc
    _err.print(
        f"wrote {target}{version}: {len(calibration.scopes)} scopes from "
        f"{len(calibration.record_ids)} records"
    )
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add ``preflight simulate`` to ``app``.

    Args:
        app: The root Typer app.
    """
    app.add_typer(simulate_app, name="simulate")
