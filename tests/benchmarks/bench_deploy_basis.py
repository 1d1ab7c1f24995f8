"""Which calibration band should a prediction for today's vLLM rest on? Measured held out.

For every vLLM row of ``benchmarks_modern.csv`` (vLLM 0.6-0.17 on A100, H100, MI300X), each
(source, GPU) group is predicted by calibrations fitted without it, three ways:

- **2024 band**: the bare ``vllm`` band (vLLM 0.4-0.5 measurements), as recommendations were
  computed before;
- **deploy band**: :func:`simulate.deploy_basis.choose_band` for the row's own vLLM version
  (its band where it has a usable scope for the GPU, else the nearest vLLM band that has one),
  as recommendations are computed now for the image they deploy;
- **modern peer**: the deploy band where it has a scope for the GPU, else SGLang's (the other
  2025 engine measured on the same GPUs), to test a peer as the stand-in instead of an older
  vLLM band.

Prints median absolute percentage error per metric for each way, overall and per group, and
the rows each rests on. Run with ``.venv/bin/python -m tests.benchmarks deploy_basis`` (about a
minute on two cores).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from domain.benchmarks import BenchmarkRecord
from domain.catalog import GpuSpec, ModelSpec
from knowledge.catalog import load_gpus, load_models
from knowledge.records import load_records
from simulate.calibration import Calibration
from simulate.deploy_basis import choose_band
from simulate.fitting import fit_calibration, predict_cases
from simulate.rows import METRICS, Case, case_from_record
from simulate.serving_features import engine_version
from simulate.validation import RowPrediction, score

MODERN_VLLM_SOURCES = frozenset(
    {"blis_training_vllm_h100", "gpustack_perf_lab", "rocm_vllm_devdocker"}
)
SHOWN = ("ttft_p50", "itl_p50", "e2e_p50", "output_tok_per_s")
Way = Callable[[Calibration, Case], str]


def _old(cal: Calibration, case: Case) -> str:
    return "vllm"


def _deploy(cal: Calibration, case: Case) -> str:
    return choose_band(cal, "vllm", engine_version(case.record), case.gpu).key


def _peer(cal: Calibration, case: Case) -> str:
    basis = choose_band(cal, "vllm", engine_version(case.record), case.gpu)
    return "sglang" if basis.borrowed else basis.key


WAYS: dict[str, Way] = {"2024 band": _old, "deploy band": _deploy, "modern peer": _peer}


def _predict(
    cases: Sequence[Case], cal: Calibration, way: Way
) -> tuple[list[RowPrediction], dict[str, int]]:
    keyed = [replace(case, engine_key=way(cal, case)) for case in cases]
    effs = [cal.lookup(case.engine_key, case.gpu)[0] for case in keyed]
    used: dict[str, int] = {}
    out = []
    for case, row in zip(keyed, predict_cases(keyed, effs), strict=True):
        used[case.engine_key] = used.get(case.engine_key, 0) + 1
        values = {metric: float(v) for metric, v in zip(METRICS, row, strict=True)}
        out.append(
            RowPrediction(
                record=case.record,
                values=values,
                engine_key=case.engine_key,
                family=case.gpu.family.value,
            )
        )
    return out, used


Results = dict[str, tuple[list[RowPrediction], dict[str, int]]]


def held_out(
    records: Sequence[BenchmarkRecord],
    models: Mapping[str, ModelSpec],
    gpus: Mapping[str, GpuSpec],
) -> tuple[Results, set[str]]:
    """Every modern vLLM row predicted three ways, each group by calibrations that never saw it.

    Args:
        records: Every shipped record (the calibration pool).
        models: Model catalog.
        gpus: GPU catalog.

    Returns:
        Way → (predictions, rows per calibration key used); the ids of burst rows (every
        prompt sent at once: their TTFT is the queue of a one-off burst, no steady state).
    """
    pool = [r for r in records if r.engine in ("vllm", "sglang")]
    targets = [
        r for r in pool if r.engine == "vllm" and r.provenance.source_id in MODERN_VLLM_SOURCES
    ]
    groups = sorted({(r.provenance.source_id, r.gpu) for r in targets})
    out: Results = {name: ([], {}) for name in WAYS}
    bursts: set[str] = set()
    for group in groups:
        cal = fit_calibration(pool, models, gpus, exclude={group})
        own = [r for r in targets if (r.provenance.source_id, r.gpu) == group]
        cases = [c for r in own if isinstance(c := case_from_record(r, models, gpus), Case)]
        bursts |= {c.record.id for c in cases if c.features.burst}
        for name, way in WAYS.items():
            predictions, used = _predict(cases, cal, way)
            out[name][0].extend(predictions)
            for key, rows in used.items():
                out[name][1][key] = out[name][1].get(key, 0) + rows
    return out, bursts


def _table(
    title: str, results: Results, models: Mapping[str, ModelSpec], gpus: Mapping[str, GpuSpec]
) -> None:
    print(f"\n{title}: median APE % (rows)")
    print(f"{'way':<12}" + "".join(f"{m:>18}" for m in SHOWN) + "  keys used (rows)")
    per_group: dict[str, dict[str, dict[str, float]]] = {}
    for name, (predictions, used) in results.items():
        report = score(predictions, models, gpus, method="held out", held_out=False)
        overall = {s.metric: s for s in report.overall}
        cells = [
            f"{overall[m].median_ape_pct:>10.1f} ({overall[m].rows:>4})" if m in overall else ""
            for m in SHOWN
        ]
        print(f"{name:<12}" + "".join(f"{c:>18}" for c in cells) + f"  {used}")
        for group, scores in report.groups.items():
            per_group.setdefault(group, {})[name] = {s.metric: s.median_ape_pct for s in scores}
    print("per group (2024 band → deploy band → modern peer)")
    for group, ways in per_group.items():
        cells = []
        for metric in SHOWN:
            values = [ways.get(name, {}).get(metric) for name in WAYS]
            if any(v is not None for v in values):
                text = " → ".join("—" if v is None else f"{v:.0f}" for v in values)
                cells.append(f"{metric} {text}")
        print(f"  {group}: " + "; ".join(cells))


def _only(results: Results, keep: Callable[[RowPrediction], bool]) -> Results:
    out: Results = {}
    for name, (predictions, _) in results.items():
        kept = [p for p in predictions if keep(p)]
        used: dict[str, int] = {}
        for p in kept:
            used[p.engine_key] = used.get(p.engine_key, 0) + 1
        out[name] = (kept, used)
    return out


def main() -> None:
    """Print the held-out comparison: every row, steady-state rows, bursts."""
    models, gpus = load_models(), load_gpus()
    start = time.perf_counter()
    results, bursts = held_out(load_records(), models, gpus)
    elapsed = time.perf_counter() - start
    print("modern vLLM rows, leave-one-(source, GPU)-group-out")
    _table("every row", results, models, gpus)
    steady = _only(results, lambda p: p.record.id not in bursts)
    _table("steady-state rows (what a recommendation predicts)", steady, models, gpus)
    _table(
        "bursts (every prompt at once)",
        _only(results, lambda p: p.record.id in bursts),
        models,
        gpus,
    )
    print(f"({elapsed:.0f} s)")


if __name__ == "__main__":
    main()
