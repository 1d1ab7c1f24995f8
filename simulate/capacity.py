"""Capacity: the highest request rate one replica sustains with every SLO percentile held.

:func:`max_rate_per_replica` bisects over the analytical path (vectorised: a whole ladder of
rates is priced in one call per round), and :func:`replicas_for` turns a peak rate into
replicas with headroom. No I/O here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from domain.catalog import GpuSpec, ModelSpec
from domain.requirements import SloMetric, SloTarget
from domain.serving import LoadKind, ServingConfig, Workload
from simulate.analytical import (
    BoolArr,
    Predictions,
    efficiency_arrays,
    predict_arrays,
    technique_arrays,
    technique_values,
)
from simulate.calibration import Calibration
from simulate.load_terms import LoadCode, Shapes
from simulate.memory import memory_fit
from simulate.step_time import Arr, replica_costs

_LADDER = 24  # rates priced per round
_ROUNDS = 3


def _meets(pred: Predictions, slo: Sequence[SloTarget]) -> BoolArr:
    ok: BoolArr = ~pred.saturated
    for target in slo:
        table = {
            SloMetric.TTFT: pred.ttft_ms,
            SloMetric.ITL: pred.itl_ms,
            SloMetric.E2E: pred.e2e_ms,
        }
        ok = ok & np.asarray(table[target.metric][target.percentile] <= target.ms, dtype=bool)
    return np.asarray(ok, dtype=bool)


def max_rate_per_replica(
    model: ModelSpec,
    gpu: GpuSpec,
    config: ServingConfig,
    *,
    input_tokens: int,
    output_tokens: int,
    slo: Sequence[SloTarget],
    calibration: Calibration,
    length_cv: float = 0.0,
) -> float:
    """Highest Poisson rate (req/s) one replica serves with every SLO target met.

    Args:
        model: The architecture.
        gpu: The GPU.
        config: One replica's configuration.
        input_tokens: Mean prompt tokens.
        output_tokens: Mean output tokens.
        slo: Targets that must all hold (none: the rate just below saturation).
        calibration: Efficiency factors.
        length_cv: Coefficient of variation of token lengths.

    Returns:
        Requests per second; 0.0 when even a trickle misses an SLO or nothing fits.
    """
    fit = memory_fit(model, gpu, config)
    if not fit.fits:
        return 0.0
    effs, _, _ = calibration.lookup(config.engine, gpu)
    eff, ttft_overhead = efficiency_arrays([effs])
    costs = replica_costs(model, gpu, config)
    techniques = technique_values(config, costs, input_tokens)
    probe = Workload(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        kind=LoadKind.RATE,
        value=1.0,
        length_cv=length_cv,
    )

    def ok_at(rates: Arr) -> BoolArr:
        n = rates.size
        shapes = Shapes(
            input_tokens=np.full(n, float(probe.input_tokens)),
            output_tokens=np.full(n, float(probe.output_tokens)),
            kind=np.full(n, float(LoadCode.RATE)),
            value=rates,
            max_num_seqs=np.full(n, float(config.max_num_seqs)),
            max_num_batched_tokens=np.full(n, float(config.max_num_batched_tokens)),
            kv_capacity_tokens=np.full(n, float(max(fit.kv_capacity_tokens, 1))),
            length_cv=np.full(n, length_cv),
            **technique_arrays([techniques] * n),
        )
        return _meets(predict_arrays(costs, eff, ttft_overhead, shapes), slo)

    low, high = 0.0, 1.0
    while bool(ok_at(np.array([high]))[0]) and high < 1e6:
        low, high = high, high * 8.0
    for _ in range(_ROUNDS):
        ladder = np.linspace(low, high, _LADDER + 2)[1:-1]
        good = ok_at(ladder)
        passing = ladder[good]
        failing = ladder[~good]
        low = float(passing.max()) if passing.size else low
        above = failing[failing > low]
        high = float(above.min()) if above.size else high
    return low


def replicas_for(peak_rate: float, per_replica_rate: float, headroom: float = 0.2) -> int:
    """Replicas needed for ``peak_rate`` when each sustains ``per_replica_rate``, with headroom.

    Args:
        peak_rate: Peak requests per second.
        per_replica_rate: Sustainable requests per second of one replica.
        headroom: Extra share of capacity kept free (0.2 = plan for 1.2 × peak).

    Returns:
        At least one replica.

    Raises:
        ValueError: When ``per_replica_rate`` is not positive and the peak is.
    """
    if peak_rate <= 0:
        return 1
    if per_replica_rate <= 0:
        raise ValueError("a replica that sustains no load cannot be scaled out")
    return max(1, math.ceil(peak_rate * (1.0 + headroom) / per_replica_rate - 1e-9))
