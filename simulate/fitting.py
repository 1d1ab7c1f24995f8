"""Fitting calibration to measured records, and predicting many benchmark cases at once.

:func:`fit_calibration` fits the efficiency factors of :mod:`simulate.calibration` by robust
least squares (``soft_l1`` on log-ratios of predicted to measured TTFT, ITL, end-to-end and
output throughput), scope by scope down the fallback chain: each engine starts from the
spec-sheet defaults, each ``engine × vendor`` from its engine, each family from its vendor and
each GPU from its family, pulled towards its parent by a prior so that a scope with few or
one-sided records stays close to what the rest of the data says. Each scope is fitted in two
stages: the dense factors first (MoE expert efficiency held at 1), then the MoE factor alone,
so that MoE rows cannot bend what dense models are predicted with. Flagged records never enter.

:func:`predict_cases` prices a list of :class:`~simulate.rows.Case` in one vectorised call.
No I/O here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

from domain.benchmarks import BenchmarkRecord
from domain.catalog import GpuSpec, ModelSpec
from simulate.analytical import efficiency_arrays, predict_arrays
from simulate.calibration import (
    PARAM_NAMES,
    SPEC_SHEET_DEFAULTS,
    Calibration,
    Efficiencies,
    RecordGroup,
    ScopeFit,
    ScopeKind,
    nearest_bands,
)
from simulate.load_terms import Shapes
from simulate.rows import METRICS, Case, case_costs, case_from_record, measured, technique_shapes
from simulate.step_time import Arr, stack_costs, weight_read_s

# Efficiencies stay physically plausible; software slowness has to show up as overhead,
# which carries over between GPUs of one engine far better than a tiny efficiency would.
_LOWER = np.log([0.2, 0.1, 0.1, 0.1, 0.01, 0.1, 0.1, 0.5, 0.05, 0.2])
_UPPER = np.log([1.0, 1.0, 1.0, 1.0, 100.0, 2000.0, 500.0, 500.0, 3000.0, 1.0])
_PRIOR_PSEUDO_ROWS = {"engine": 3.0, "vendor": 8.0, "family": 8.0, "gpu": 40.0}
_PRIOR_SIGMA = np.array([0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5])
_SOFT_L1_SCALE = 0.15
_DENSE_FREE = np.array([name != "moe" for name in PARAM_NAMES])


def predict_cases(cases: Sequence[Case], effs: Sequence[Efficiencies]) -> Arr:
    """Predict every metric of every case (whole-deployment throughput).

    Args:
        cases: The cases.
        effs: The efficiencies to use for each case.

    Returns:
        Array (cases × :data:`~simulate.rows.METRICS`) of predictions.
    """
    if not cases:
        return np.zeros((0, len(METRICS)))
    costs = stack_costs([case_costs(c) for c in cases])
    return _predict(cases, costs, effs)


def _shapes(cases: Sequence[Case]) -> Shapes:
    def col(values: list[float]) -> Arr:
        return np.array(values, dtype=np.float64)

    techniques = [technique_shapes(c) for c in cases]
    return Shapes(
        input_tokens=col([c.input_tokens or 1.0 for c in cases]),
        output_tokens=col([c.output_tokens or 1.0 for c in cases]),
        kind=col([float(c.kind) for c in cases]),
        value=col([c.value for c in cases]),
        max_num_seqs=col([float(c.config.max_num_seqs) for c in cases]),
        max_num_batched_tokens=col([float(c.step_tokens) for c in cases]),
        kv_capacity_tokens=col([float(c.kv_capacity_tokens) for c in cases]),
        length_cv=col([0.0 for _ in cases]),
        **{name: col([t[name] for t in techniques]) for name in techniques[0]},
    )


def _predict(cases: Sequence[Case], costs: object, effs: Sequence[Efficiencies]) -> Arr:
    eff, ttft_overhead = efficiency_arrays(list(effs))
    pred = predict_arrays(costs, eff, ttft_overhead, _shapes(cases))  # type: ignore[arg-type]
    replicas = np.array([c.replicas for c in cases], dtype=np.float64)
    return np.column_stack(
        [
            pred.ttft_ms[50],
            pred.ttft_ms[95],
            pred.itl_ms[50],
            pred.itl_ms[95],
            pred.e2e_ms[50],
            pred.e2e_ms[95],
            pred.output_tok_per_s * replicas,
        ]
    )


@dataclass(frozen=True)
class _FitData:
    cases: list[Case]
    costs: object
    targets: Arr  # cases × metrics, NaN where not measured


def itl_floor_ms(case: Case) -> float:
    """The physical floor of a case's time per output token: weights one token reads ÷ HBM.

    Args:
        case: The case.

    Returns:
        Milliseconds (divided by the accepted length under speculative decoding).
    """
    floor_s = float(weight_read_s(case_costs(case), 1.0))
    return 1e3 * floor_s / technique_shapes(case)["accepted_tokens"]


def _fit_data(cases: list[Case]) -> _FitData:
    """Targets of the cases; an ITL measured below its physical floor is not a decode time.

    Such a figure (e.g. a harness's TPOT that counts tokens differently) cannot be matched by
    any efficiency ≤ 1, so it is left out of the fit rather than bending it.
    """
    targets = np.full((len(cases), len(METRICS)), np.nan)
    for row, case in enumerate(cases):
        floor = itl_floor_ms(case)
        for col, metric in enumerate(METRICS):
            value = measured(case.record).get(metric)
            if value is not None and not (metric.startswith("itl") and value < floor):
                targets[row, col] = value
    costs = stack_costs([case_costs(c) for c in cases])
    return _FitData(cases=cases, costs=costs, targets=targets)


def _to_vector(effs: Efficiencies) -> Arr:
    return np.log([max(float(getattr(effs, name)), 1e-6) for name in PARAM_NAMES])


def _from_vector(vector: Arr) -> Efficiencies:
    values = np.exp(np.clip(vector, _LOWER, _UPPER))
    return Efficiencies(**{name: float(v) for name, v in zip(PARAM_NAMES, values, strict=True)})


def _fit_scope(data: _FitData, parent: Efficiencies, kind: ScopeKind) -> tuple[Efficiencies, float]:
    """Fit one scope in two stages, so that MoE rows cannot bend the dense efficiencies.

    First every factor but ``moe`` (held at 1), as if every model were dense; then ``moe``
    alone on top, pulled towards the parent's, and only when the scope has MoE rows.
    """
    dense = _solve(data, parent.model_copy(update={"moe": 1.0}), kind, _DENSE_FREE)
    if not any(float(c.model.moe_experts or 0) > 0 for c in data.cases):
        fitted = dense.model_copy(update={"moe": parent.moe})
        return fitted, _error(data, fitted)
    fitted = _solve(data, dense.model_copy(update={"moe": parent.moe}), kind, ~_DENSE_FREE)
    return fitted, _error(data, fitted)


def _error(data: _FitData, effs: Efficiencies) -> float:
    mask = ~np.isnan(data.targets)
    pred = _predict(data.cases, data.costs, [effs] * len(data.cases))
    errors = np.abs(np.log(np.maximum(pred, 1e-9)) - np.log(np.where(mask, data.targets, 1.0)))
    return float(np.median(errors[mask])) if mask.any() else 0.0


def _solve(
    data: _FitData, start_effs: Efficiencies, kind: ScopeKind, free: npt.NDArray[np.bool_]
) -> Efficiencies:
    """Robust least squares over the ``free`` factors, the others held at ``start_effs``."""
    mask = ~np.isnan(data.targets)
    log_meas = np.log(np.where(mask, data.targets, 1.0))
    start = np.clip(_to_vector(start_effs), _LOWER, _UPPER)
    x0 = np.clip(start[free], _LOWER[free] + 1e-6, _UPPER[free] - 1e-6)
    prior_w = np.sqrt(_PRIOR_PSEUDO_ROWS[kind]) / _PRIOR_SIGMA[free]
    n = len(data.cases)

    def full(x: Arr) -> Arr:
        vector = start.copy()
        vector[free] = x
        return vector

    def residuals(x: Arr) -> Arr:
        effs = [_from_vector(full(x))] * n
        pred = _predict(data.cases, data.costs, effs)
        data_res = (np.log(np.maximum(pred, 1e-9)) - log_meas)[mask]
        return np.concatenate([data_res, prior_w * (x - x0)])

    result = least_squares(
        residuals,
        x0,
        bounds=(_LOWER[free], _UPPER[free]),
        loss="soft_l1",
        f_scale=_SOFT_L1_SCALE,
        x_scale=1.0,
        max_nfev=60,
    )
    return _from_vector(full(result.x))


def usable_cases(
    records: Sequence[BenchmarkRecord],
    models: Mapping[str, ModelSpec],
    gpus: Mapping[str, GpuSpec],
    *,
    exclude: Collection[tuple[str, str]] = (),
) -> list[Case]:
    """Cases fit for calibration: unflagged, predictable, with some measurement, not excluded.

    Burst runs (every prompt sent at once) are predicted but not fitted on: their TTFT is
    mostly the queue a one-off burst builds, which the steady-state path only approximates.

    Args:
        records: Measured records.
        models: Model catalog.
        gpus: GPU catalog.
        exclude: (source, GPU) groups to leave out.

    Returns:
        The cases.
    """
    out = []
    for record in records:
        if record.flagged or (record.provenance.source_id, record.gpu) in exclude:
            continue
        case = case_from_record(record, models, gpus)
        if isinstance(case, Case) and measured(record) and not case.features.burst:
            out.append(case)
    return out


def fit_calibration(
    records: Sequence[BenchmarkRecord],
    models: Mapping[str, ModelSpec],
    gpus: Mapping[str, GpuSpec],
    *,
    exclude: Collection[tuple[str, str]] = (),
    only: tuple[str, GpuSpec] | None = None,
) -> Calibration:
    """Fit efficiencies on measured records, down the fallback chain.

    Args:
        records: Measured records (flagged ones are skipped).
        models: Model catalog.
        gpus: GPU catalog.
        exclude: (source, GPU) groups to leave out (for validation on unseen groups).
        only: (engine key, GPU): fit only the scopes that GPU's lookup would use (faster): the
            key's own chain, or the nearest key's when the key has no records.

    Returns:
        The calibration, naming the record groups and ids it used.
    """
    cases = usable_cases(records, models, gpus, exclude=exclude)
    scopes: list[ScopeFit] = []
    by_engine: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_engine[case.engine_key].append(case)
    wanted = None
    if only is not None:  # the key itself, else the one its lookup would fall back to
        present = set(by_engine)
        wanted = next((k for k in nearest_bands(only[0], present) if k in present), only[0])
    for engine, engine_cases in sorted(by_engine.items()):
        if wanted is not None and engine != wanted:
            continue
        scopes += _fit_chain(engine, engine_cases, None if only is None else only[1])
    groups = Counter((c.record.provenance.source_id, c.gpu.name, c.engine_key) for c in cases)
    used = {s.engine for s in scopes}
    return Calibration(
        scopes=tuple(scopes),
        groups=tuple(
            RecordGroup(source=s, gpu=g, engine=e, count=n)
            for (s, g, e), n in sorted(groups.items())
            if e in used
        ),
        record_ids=tuple(sorted(c.record.id for c in cases if c.engine_key in used)),
        excluded=tuple(f"source={s},gpu={g}" for s, g in sorted(exclude)),
    )


def _fit_chain(engine: str, cases: list[Case], only_gpu: GpuSpec | None) -> list[ScopeFit]:
    levels: list[tuple[ScopeKind, str]] = [
        ("vendor", "vendor"),
        ("family", "family"),
        ("gpu", "name"),
    ]
    engine_fit, engine_err = _fit_scope(_fit_data(cases), SPEC_SHEET_DEFAULTS, "engine")
    out = [
        ScopeFit(
            kind="engine",
            engine=engine,
            key="",
            efficiencies=engine_fit,
            records=len(cases),
            groups=_group_count(cases),
            median_abs_log_error=engine_err,
        )
    ]
    parents: dict[tuple[str, str], Efficiencies] = {("engine", ""): engine_fit}
    parent_kind: ScopeKind = "engine"
    parent_attr = ""
    for kind, attr in levels:
        buckets: dict[str, list[Case]] = defaultdict(list)
        for case in cases:
            buckets[_key(case.gpu, attr)].append(case)
        for key, members in sorted(buckets.items()):
            if only_gpu is not None and key != _key(only_gpu, attr):
                continue
            parent = parents[(parent_kind, _key(members[0].gpu, parent_attr))]
            fitted, err = _fit_scope(_fit_data(members), parent, kind)
            parents[(kind, key)] = fitted
            out.append(
                ScopeFit(
                    kind=kind,
                    engine=engine,
                    key=key,
                    efficiencies=fitted,
                    records=len(members),
                    groups=_group_count(members),
                    median_abs_log_error=err,
                )
            )
        parent_kind, parent_attr = kind, attr
    return out


def _group_count(cases: list[Case]) -> int:
    return len({(c.record.provenance.source_id, c.gpu.name) for c in cases})


def _key(gpu: GpuSpec, attr: str) -> str:
    if not attr:
        return ""
    value = getattr(gpu, attr)
    return str(value.value if hasattr(value, "value") else value)
