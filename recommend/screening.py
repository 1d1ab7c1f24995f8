"""A vectorised first look at many configurations: light-load latency, throughput, replica floors.

One call of the simulator's batch entry point (:class:`simulate.batch.BatchPricer`) prices every
configuration at a trickle of requests and saturated, so the search can drop what misses an SLO
even when idle; a second call prices the promising ones at ``peak / k`` for a ladder of replica
counts, bounding how many replicas each needs at least. The numbers are the simulator's own;
the real replica count always comes from :func:`simulate.capacity.max_rate_per_replica`. This
module never sizes or ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from domain.requirements import SloTarget
from domain.serving import MemoryFit, ServingConfig
from recommend.candidates import Candidate
from recommend.context import RecommendContext
from simulate.batch import BatchPricer, LoadRow, Replica
from simulate.load_terms import LoadCode

LIGHT_LOAD_RPS = 0.01
REPLICA_LADDER = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)


@dataclass(frozen=True)
class FirstLook:
    """What the screen predicts for one configuration."""

    light_ms: dict[tuple[str, int], float]  # (metric, percentile) → ms at a trickle of load
    saturated_rps: float  # requests/s one replica completes at most

    def light_use(self, slo: Sequence[SloTarget]) -> float:
        """Largest predicted/target ratio at light load (a floor for any load).

        Args:
            slo: The targets.

        Returns:
            The ratio.
        """
        return max((self.light_ms[(t.metric.value, t.percentile)] / t.ms for t in slo), default=0.0)


def _pricer(
    items: Sequence[tuple[Candidate, ServingConfig, MemoryFit]], ctx: RecommendContext
) -> BatchPricer:
    replicas = [
        Replica(
            model=cand.model, gpu=cand.gpu, config=config, kv_capacity_tokens=fit.kv_capacity_tokens
        )
        for cand, config, fit in items
    ]
    return BatchPricer(replicas, ctx.calibration)


def first_look(
    items: Sequence[tuple[Candidate, ServingConfig, MemoryFit]],
    *,
    input_tokens: int,
    output_tokens: int,
    ctx: RecommendContext,
) -> list[FirstLook]:
    """Light-load percentiles and saturated throughput of many configurations in one pass.

    The search asks through :func:`recommend.predictions.first_looks`, which remembers them.

    Args:
        items: (candidate, serving configuration, memory fit) per configuration.
        input_tokens: Prompt tokens per request.
        output_tokens: Output tokens per request.
        ctx: Calibration.

    Returns:
        One look per item, in order.
    """
    if not items:
        return []
    count = len(items)
    rows = [LoadRow(i, LoadCode.RATE, LIGHT_LOAD_RPS) for i in range(count)]
    rows += [LoadRow(i, LoadCode.SATURATED, 1.0) for i in range(count)]
    pred = _pricer(items, ctx).price(rows, input_tokens=input_tokens, output_tokens=output_tokens)
    series = {"ttft": pred.ttft_ms, "itl": pred.itl_ms, "e2e": pred.e2e_ms}
    light = {
        (metric, p): np.asarray(values[p][:count]).tolist()
        for metric, values in series.items()
        for p in values
    }
    saturated = np.asarray(pred.req_per_s[count:]).tolist()
    return [
        FirstLook(
            light_ms={key: column[row] for key, column in light.items()},
            saturated_rps=saturated[row],
        )
        for row in range(count)
    ]


def replica_floors(
    items: Sequence[tuple[Candidate, ServingConfig, MemoryFit]],
    *,
    peak_rps: float,
    slo: Sequence[SloTarget],
    input_tokens: int,
    output_tokens: int,
    ctx: RecommendContext,
) -> list[int]:
    """The fewest replicas each configuration could hold the SLOs at the peak with.

    Each configuration is priced at ``peak / k`` for a ladder of replica counts ``k``; the
    floor is one more than the largest ``k`` at which an SLO still misses (a lower bound: the
    simulator's capacity search decides the real count).

    Args:
        items: (candidate, serving configuration, memory fit) per configuration.
        peak_rps: Peak requests per second.
        slo: The targets.
        input_tokens: Prompt tokens per request.
        output_tokens: Output tokens per request.
        ctx: Calibration.

    Returns:
        One floor per item.
    """
    if not items or not slo:
        return [1] * len(items)
    rows = [
        LoadRow(i, LoadCode.RATE, peak_rps / k) for i in range(len(items)) for k in REPLICA_LADDER
    ]
    pred = _pricer(items, ctx).price(rows, input_tokens=input_tokens, output_tokens=output_tokens)
    series = {"ttft": pred.ttft_ms, "itl": pred.itl_ms, "e2e": pred.e2e_ms}
    ok = ~np.asarray(pred.saturated, dtype=bool)
    for target in slo:
        ok &= series[target.metric.value][target.percentile] <= target.ms
    grid = ok.reshape(len(items), len(REPLICA_LADDER))
    floors = []
    for row in grid:
        missing = [k for k, good in zip(REPLICA_LADDER, row, strict=True) if not good]
        floors.append(max(missing, default=0) + 1)
    return floors
