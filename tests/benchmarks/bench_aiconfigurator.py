"""Benchmark: Preflight's simulator against NVIDIA AIConfigurator on the same measured rows.

Run with ``make bench`` or ``.venv/bin/python -m tests.benchmarks aiconfigurator``. It needs
AIConfigurator in its own virtualenv ``.venv-aic`` (never a Preflight dependency); without it
this prints how to create one and returns.

Steps: ``aic_worker.py --plan-only`` (under ``.venv-aic``) decides which rows of the measured
benchmarks AIConfigurator supports, by inputs only (criteria in ``aic_worker.plan_row``); of
those, rows with a measured TTFT and ITL are kept, thinned by a fixed stride to at most
``PREFLIGHT_BENCH_AIC_MAX_ROWS`` (default 600, 0 = all). AIConfigurator estimates them (results
cached in ``.preflight/bench/aic_cache.jsonl``), ``preflight simulate predict`` predicts them
with the shipped calibration (in-sample: it has seen these rows) and, where the CLI allows it,
with a calibration refitted without each row's (source, GPU) group (leave-group-out, the fair
figure). Scores are median absolute percentage error and the share within 25%, on the rows
every predictor answered. Joined rows go to ``.preflight/bench/aic_compare.csv``.

It prints figures only; it never asserts, and never calibrates on AIConfigurator's data.
"""

from __future__ import annotations

import csv
import math
import os
import statistics
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AIC_PYTHON = ROOT / ".venv-aic" / "bin" / "python"
PREFLIGHT = ROOT / ".venv" / "bin" / "preflight"
WORKER = Path(__file__).with_name("aic_worker.py")
OUT_DIR = ROOT / ".preflight" / "bench"
SETUP_HINT = (
    "AIConfigurator is not installed; this benchmark needs it in its own virtualenv:\n"
    "  cd {root} && python3.11 -m venv .venv-aic\n"
    "  .venv-aic/bin/pip install aiconfigurator==0.12.0\n"
    "then rerun: .venv/bin/python -m tests.benchmarks aiconfigurator"
)
CRITERIA = (
    "rows AIConfigurator supports (inputs only): not flagged; engine trtllm/vllm/sglang; GPU with\n"
    "an AIConfigurator system of the same chip and memory (A100-SXM-80GB, H100-SXM-80GB,\n"
    "H200-SXM-141GB, B200, GB200, L40S, RTX PRO 6000); architecture it models (Llama family,\n"
    "Mixtral); precision it runs on that GPU (bf16/fp16, fp8 from Hopper, fp4 on Blackwell);\n"
    "TP, ISL, OSL given; static batch of a given size or closed-loop concurrency; measured\n"
    "TTFT and ITL present."
)
# metric -> measured columns, in order of preference (median = _p50, else _mean)
METRICS = {
    "TTFT": ("ttft_ms_p50", "ttft_ms_mean"),
    "ITL": ("itl_ms_p50", "itl_ms_mean"),
    "E2E": ("e2e_ms_p50", "e2e_ms_mean"),
    "tok/s": ("output_tok_per_s",),
}
AIC_COLUMNS = {
    "TTFT": "aic_ttft_ms",
    "ITL": "aic_itl_ms",
    "E2E": "aic_e2e_ms",
    "tok/s": "aic_output_tok_per_s",
}
PREFLIGHT_COLUMNS = {
    "TTFT": "pred_ttft_ms_p50",
    "ITL": "pred_itl_ms_p50",
    "E2E": "pred_e2e_ms_p50",
    "tok/s": "pred_output_tok_per_s",
}
Row = dict[str, str]


def _float(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if value > 0 else None


def measured(row: Row, columns: tuple[str, ...]) -> float | None:
    """Return the row's measured median: the first non-empty positive column."""
    for column in columns:
        value = _float(row.get(column))
        if value is not None:
            return value
    return None


def read_csv(path: Path) -> tuple[list[str], list[Row]]:
    """Read a CSV into its header and rows."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, fields: list[str], rows: list[Row]) -> None:
    """Write rows under ``fields`` (extra keys ignored)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def run_worker(args: list[str]) -> None:
    """Run ``aic_worker.py`` under the ``.venv-aic`` interpreter."""
    models_csv = ROOT / "knowledge" / "data" / "models.csv"
    command = [str(AIC_PYTHON), str(WORKER), *args, "--models-csv", str(models_csv)]
    subprocess.run(command, check=True, cwd=ROOT)


def select_rows(source: Path, limit: int) -> tuple[list[str], list[Row]]:
    """Rows AIConfigurator supports that have a measured TTFT and ITL, thinned by stride."""
    plan_path = OUT_DIR / "aic_plan.csv"
    run_worker([str(source), str(plan_path), "--plan-only"])
    fields, _ = read_csv(source)
    _, planned = read_csv(plan_path)
    kept = [
        row
        for row in planned
        if row["aic_supported"] == "1"
        and measured(row, METRICS["TTFT"]) is not None
        and measured(row, METRICS["ITL"]) is not None
    ]
    print(CRITERIA)
    print(f"rows in {source}: {len(planned)}; AIConfigurator supports {len(kept)} with TTFT+ITL")
    if limit and len(kept) > limit:
        step = len(kept) / limit
        kept = [kept[int(i * step)] for i in range(limit)]
        print(f"thinned by a fixed stride to {len(kept)} (PREFLIGHT_BENCH_AIC_MAX_ROWS={limit})")
    return fields, kept


def simulate(*args: str) -> None:
    """Run ``preflight simulate ARGS`` in the repository, output hidden, failing loudly."""
    command = [str(PREFLIGHT), "simulate", *args]
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def predict_preflight(selection: Path, out: Path) -> list[Row]:
    """Run ``preflight simulate predict`` with the shipped calibration."""
    simulate("predict", str(selection), "--out", str(out))
    return read_csv(out)[1]


def predict_leave_group_out(rows: list[Row]) -> list[Row]:
    """Predict each row with a calibration fitted without its (source, GPU) group.

    The same computation as ``preflight simulate validate --leave-one-group-out`` (which prints
    only aggregates; ``predict`` takes no calibration file), done in-process for row values.
    """
    from knowledge.catalog import load_gpus, load_models
    from knowledge.records import load_records
    from simulate import validation
    from simulate.benchmark_rows import record_from_row

    models, gpus = load_models(), load_gpus()
    records = [record_from_row(row, str.strip, source_id="") for row in rows]
    predictions = validation.leave_one_group_out(
        records, models, gpus, calibration_records=load_records()
    )
    names = {"ttft_p50": "TTFT", "itl_p50": "ITL", "e2e_p50": "E2E", "output_tok_per_s": "tok/s"}
    return [
        {
            PREFLIGHT_COLUMNS[names[metric]]: f"{value:.6g}"
            for metric, value in prediction.values.items()
            if metric in names and math.isfinite(value)
        }
        | {"pred_note": prediction.note}
        for prediction in predictions
    ]


def score(pairs: list[tuple[float, float]]) -> str:
    """Format median APE and share within 25% for (predicted, measured) pairs."""
    if not pairs:
        return f"{'-':>7} {'-':>6}"
    errors = [abs(p - m) / m for p, m in pairs]
    within = sum(e <= 0.25 for e in errors) / len(errors)
    return f"{100 * statistics.median(errors):6.1f}% {100 * within:5.0f}%"


Getter = Callable[[int, str], float | None]
Predictor = tuple[str, Getter]


def common_rows(rows: list[Row], predictors: list[Predictor]) -> list[int]:
    """Indices of rows where every predictor answered TTFT and ITL."""
    return [
        i
        for i in range(len(rows))
        if all(get(i, label) is not None for _, get in predictors for label in ("TTFT", "ITL"))
    ]


def print_table(title: str, rows: list[Row], idx: list[int], predictors: list[Predictor]) -> None:
    """Print one side-by-side table of every metric over the rows ``idx``."""
    names = "".join(f" | {name:>25}" for name, _ in predictors)
    print(f"\n{title}  (n={len(idx)}; each cell: median APE, share within 25%)")
    print(f"{'metric':8} {'n':>5}{names}")
    for label, columns in METRICS.items():
        scored = [
            i
            for i in idx
            if measured(rows[i], columns) is not None
            and all(get(i, label) is not None for _, get in predictors)
        ]
        cells = "".join(
            f" | {score(pairs_for(rows, scored, get, label)):>25}" for _, get in predictors
        )
        print(f"{label:8} {len(scored):5}{cells}")


def median_ape(pairs: list[tuple[float, float]]) -> float | None:
    """Median absolute percentage error (in %) of (predicted, measured) pairs."""
    return 100 * statistics.median(abs(p - m) / m for p, m in pairs) if pairs else None


def pairs_for(
    rows: list[Row], idx: list[int], get: Getter, label: str
) -> list[tuple[float, float]]:
    """(predicted, measured) pairs of ``label`` over rows ``idx`` where both exist."""
    out = []
    for i in idx:
        predicted, actual = get(i, label), measured(rows[i], METRICS[label])
        if predicted is not None and actual is not None:
            out.append((predicted, actual))
    return out


def print_groups(rows: list[Row], idx: list[int], predictors: list[Predictor]) -> None:
    """Print TTFT and ITL median APE per (source, GPU) group."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i in idx:
        groups.setdefault((rows[i]["source_id"], rows[i]["gpu"]), []).append(i)
    header = "".join(f" | {name[:26]:>26}" for name, _ in predictors)
    print(f"\nper (source, GPU): median APE TTFT / ITL\n{'group':44} {'n':>4}{header}")
    for (source, gpu), members in sorted(groups.items()):
        cells = ""
        for _, get in predictors:
            ttft = median_ape(pairs_for(rows, members, get, "TTFT"))
            itl = median_ape(pairs_for(rows, members, get, "ITL"))
            cells += f" | {ttft or 0:11.1f}% / {itl or 0:10.1f}%"
        print(f"{source + ' ' + gpu:44} {len(members):4}{cells}")


def print_coverage(rows: list[Row], aic_rows: list[Row], predictors: list[Predictor]) -> None:
    """Print how many rows each predictor answered and which AIConfigurator databases it used."""
    for name, get in predictors:
        answered = len(common_rows(rows, [(name, get)]))
        print(f"{name}: predicted TTFT and ITL for {answered} of {len(rows)} rows")
    used = Counter(
        f"{r['aic_system']}/{r['aic_backend']} {r['aic_version']}"
        for r in aic_rows
        if r["aic_version"]
    )
    print("AIConfigurator databases: " + ", ".join(f"{k} ({n})" for k, n in sorted(used.items())))
    prefix = "AIConfigurator failed: "
    failed = Counter(
        r["aic_note"][len(prefix) :][:90] for r in aic_rows if r["aic_note"].startswith(prefix)
    )
    for reason, count in failed.items():
        print(f"AIConfigurator failed on {count} rows: {reason}…")


def print_verdict(rows: list[Row], idx: list[int], predictors: list[Predictor]) -> None:
    """Say, per Preflight variant, whether its median APE beats AIConfigurator's."""
    aic = predictors[0][1]
    for name, get in predictors[1:]:
        for label in ("TTFT", "ITL"):
            ours = median_ape(pairs_for(rows, idx, get, label))
            theirs = median_ape(pairs_for(rows, idx, aic, label))
            if ours is None or theirs is None:
                continue
            verdict = "lower" if ours < theirs else "NOT lower"
            print(
                f"{name}: {label} median APE {ours:.1f}% vs AIConfigurator {theirs:.1f}%"
                f" -> {verdict}"
            )


def column_getter(rows: list[Row], columns: dict[str, str]) -> Getter:
    """Return a getter of row ``i``'s prediction for a metric, read from ``columns``."""

    def get(i: int, label: str) -> float | None:
        return _float(rows[i].get(columns[label]))

    return get


def main() -> None:
    """Run both predictors on the same supported rows and print their scores side by side."""
    if not AIC_PYTHON.exists():
        print(SETUP_HINT.format(root=ROOT))
        return
    shared = ROOT.parent / "shared" / "data" / "benchmarks.csv"
    default = shared if shared.exists() else ROOT / "knowledge" / "data" / "benchmarks.csv"
    source = Path(os.environ.get("PREFLIGHT_BENCH_CSV", str(default)))
    limit = int(os.environ.get("PREFLIGHT_BENCH_AIC_MAX_ROWS", "600"))
    fields, selected = select_rows(source, limit)
    selection = OUT_DIR / "aic_selection.csv"
    write_csv(selection, fields, selected)
    aic_path = OUT_DIR / "aic_predictions.csv"
    run_worker([str(selection), str(aic_path), "--cache", str(OUT_DIR / "aic_cache.jsonl")])
    aic_rows = read_csv(aic_path)[1]
    in_sample = predict_preflight(selection, OUT_DIR / "aic_preflight_in_sample.csv")
    held_out = predict_leave_group_out(selected)
    predictors: list[Predictor] = [
        ("AIConfigurator", column_getter(aic_rows, AIC_COLUMNS)),
        ("Preflight in-sample", column_getter(in_sample, PREFLIGHT_COLUMNS)),
        ("Preflight leave-group-out", column_getter(held_out, PREFLIGHT_COLUMNS)),
    ]
    print_coverage(selected, aic_rows, predictors)
    idx = common_rows(selected, predictors)
    print_table("AIConfigurator vs Preflight", selected, idx, predictors)
    print_groups(selected, idx, predictors)
    print()
    print_verdict(selected, idx, predictors)
    joined = [
        {**row, **_prefixed(aic_rows[i], "aic_"), **_prefixed(in_sample[i], "pred_")}
        for i, row in enumerate(selected)
    ]
    for i, row in enumerate(joined):
        row.update({f"logo_{k}": v for k, v in _prefixed(held_out[i], "pred_").items()})
    extra = sorted({k for row in joined for k in row} - set(fields))
    write_csv(OUT_DIR / "aic_compare.csv", fields + extra, joined)
    print(f"\njoined rows: {OUT_DIR / 'aic_compare.csv'}")


def _prefixed(row: Row, prefix: str) -> Row:
    return {k: v for k, v in row.items() if k.startswith(prefix)}
