"""Prediction intervals from held-out residuals, and how often measurements fall inside them.

Leave-one-(source, GPU)-group-out validation gives, for every measured row, the ratio
measured / predicted from a calibration that never saw the row's group. The 6th and 94th
percentiles of those ratios for a basis — engine version band × GPU family, else the band,
else every row — bound the interval meant to hold 80 % of measurements on that basis
(:data:`LOW_Q`/:data:`HIGH_Q`: the 10th–90th percentiles held only 69 % of held-out
measurements, because error varies more between groups than within the residuals; 5th–95th
held 85.6 % and 6th–94th 83.5 % (modern file 80.8 %, 2024 file 84.7 %), measured by
:func:`coverage` over the shipped records)
(:func:`fit_intervals`, stored in the calibration file; :func:`interval` applies one).
:func:`coverage` scores the intervals honestly: each row's interval comes from the other
groups' residuals only. Where a prediction rests on the nearest version band rather than its
own, its interval is widened by :data:`FALLBACK_WIDENING` (an assumption, not a measurement).
No I/O here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

LOW_Q, HIGH_Q = 6.0, 94.0  # percentiles whose held-out coverage is 80 % (see module doc)
MIN_ROWS = 12  # fewest residuals a basis needs before its own percentiles are used
# Fewest (source, GPU) groups a basis needs: error varies more between groups than within one,
# so one group's spread says nothing about the next group's.
MIN_GROUPS = 2
FALLBACK_WIDENING = 1.25  # assumption: a borrowed band's interval is a quarter wider each way


class IntervalBand(BaseModel):
    """Held-out ratio percentiles (measured / predicted) of one basis and metric."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    basis: str = Field(description="'engine band × family', 'engine band' or '' for all.")
    metric: str = Field(description="ttft, itl, e2e or output_tok_per_s.")
    low: float = Field(gt=0, description="LOW_Q-th percentile of measured / predicted.")
    high: float = Field(gt=0, description="HIGH_Q-th percentile of measured / predicted.")
    rows: int = Field(ge=1, description="Held-out residuals it rests on.")


@dataclass(frozen=True)
class Residual:
    """One held-out residual: its basis, its (source, GPU) group and measured / predicted."""

    engine_key: str
    family: str
    group: tuple[str, str]
    metric: str
    ratio: float


def metric_family(metric: str) -> str:
    """The interval family of a metric ("itl_p95" → "itl").

    Args:
        metric: A metric name of :data:`simulate.rows.METRICS` or a ``*_ms_pNN`` field.

    Returns:
        ttft, itl, e2e or output_tok_per_s.
    """
    return metric if metric == "output_tok_per_s" else metric.split("_")[0]


def _bases(engine_key: str, family: str) -> tuple[str, ...]:
    return (f"{engine_key} × {family}", engine_key, "")


def fit_intervals(residuals: Iterable[Residual]) -> tuple[IntervalBand, ...]:
    """Interval bands for every basis with enough held-out residuals, from enough groups.

    A basis needs :data:`MIN_ROWS` residuals from at least :data:`MIN_GROUPS` (source, GPU)
    groups; the basis of every row ('') is always kept.

    Args:
        residuals: Held-out residuals.

    Returns:
        The bands (basis, metric) → LOW_Q/HIGH_Q percentile ratios.
    """
    pools: dict[tuple[str, str], list[float]] = defaultdict(list)
    groups: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for r in residuals:
        for basis in _bases(r.engine_key, r.family):
            pools[(basis, metric_family(r.metric))].append(r.ratio)
            groups[(basis, metric_family(r.metric))].add(r.group)
    bands = []
    for (basis, metric), ratios in sorted(pools.items()):
        enough = len(ratios) >= MIN_ROWS and len(groups[(basis, metric)]) >= MIN_GROUPS
        if enough or basis == "":
            low, high = np.percentile(ratios, [LOW_Q, HIGH_Q])
            bands.append(
                IntervalBand(
                    basis=basis, metric=metric, low=float(low), high=float(high), rows=len(ratios)
                )
            )
    return tuple(bands)


def interval(
    bands: Sequence[IntervalBand],
    engine_key: str,
    family: str,
    metric: str,
    *,
    borrowed: bool = False,
) -> tuple[float, float, str] | None:
    """The ratio interval for a prediction: its basis's band, else its engine band's, else all.

    Args:
        bands: From :func:`fit_intervals`.
        engine_key: Calibration key of the prediction (engine and version band).
        family: GPU family.
        metric: The metric.
        borrowed: Whether the calibration used was a nearer band's (widens the interval).

    Returns:
        (low ratio, high ratio, basis) or None when no band exists.
    """
    index = {(b.basis, b.metric): b for b in bands}
    for basis in _bases(engine_key, family):
        band = index.get((basis, metric_family(metric)))
        if band is not None:
            widen = FALLBACK_WIDENING if borrowed else 1.0
            return band.low / widen, band.high * widen, basis or "all engines"
    return None


def coverage(residuals: Sequence[Residual]) -> dict[str, float]:
    """Share of held-out measurements inside their 80 % interval, per metric family and overall.

    Each row's interval is fitted on the residuals of every other (source, GPU) group, so no
    row bounds itself.

    Args:
        residuals: Held-out residuals.

    Returns:
        Metric family → % inside, and "all".
    """
    by_group: Mapping[tuple[str, str], list[Residual]] = _grouped(residuals)
    inside: dict[str, list[bool]] = defaultdict(list)
    for group, own in by_group.items():
        others = [r for g, rows in by_group.items() if g != group for r in rows]
        bands = fit_intervals(others)
        for r in own:
            bounds = interval(bands, r.engine_key, r.family, r.metric)
            if bounds is None:
                continue
            hit = bounds[0] <= r.ratio <= bounds[1]
            inside[metric_family(r.metric)].append(hit)
            inside["all"].append(hit)
    return {metric: round(100.0 * float(np.mean(hits)), 1) for metric, hits in inside.items()}


def _grouped(residuals: Sequence[Residual]) -> dict[tuple[str, str], list[Residual]]:
    out: dict[tuple[str, str], list[Residual]] = defaultdict(list)
    for r in residuals:
        out[r.group].append(r)
    return out
