"""A vectorised first look at every configuration: latency at light load, saturated throughput.

One call of the simulator's array path (:func:`simulate.analytical.predict_arrays`) prices every
configuration twice — at a trickle of requests and saturated — so the search can drop what
misses an SLO even when idle, bound how many replicas the peak needs at least, and size the
rest best-first. The numbers are the simulator's own; this module never sizes or ranks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from domain.requirements import SloTarget
from domain.serving import MemoryFit, ServingConfig
from recommend.candidates import Candidate
from recommend.context import RecommendContext
from simulate.analytical import (
    KIND_MAX,
    KIND_RATE,
    Shapes,
    efficiency_arrays,
    predict_arrays,
)
from simulate.calibration import Efficiencies
from simulate.step_time import replica_costs, stack_costs

LIGHT_LOAD_RPS = 0.01


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


def first_look(
    items: Sequence[tuple[Candidate, ServingConfig, MemoryFit]],
    *,
    input_tokens: int,
    output_tokens: int,
    ctx: RecommendContext,
) -> list[FirstLook]:
    """Light-load percentiles and saturated throughput of many configurations in one pass.

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
    effs_by_gpu: dict[str, Efficiencies] = {}
    effs: list[Efficiencies] = []
    costs = []
    for cand, config, _ in items:
        if cand.gpu.name not in effs_by_gpu:
            effs_by_gpu[cand.gpu.name] = ctx.calibration.lookup(config.engine, cand.gpu)[0]
        effs.append(effs_by_gpu[cand.gpu.name])
        costs.append(replica_costs(cand.model, cand.gpu, config))
    count = len(items)
    stacked = stack_costs(costs + costs)
    eff, ttft_overhead = efficiency_arrays(effs + effs)

    def col(values: list[float]) -> np.ndarray:  # type: ignore[type-arg]
        return np.array(values + values, dtype=np.float64)

    shapes = Shapes(
        input_tokens=np.full(2 * count, float(input_tokens)),
        output_tokens=np.full(2 * count, float(output_tokens)),
        kind=np.array([KIND_RATE] * count + [KIND_MAX] * count),
        value=np.array([LIGHT_LOAD_RPS] * count + [1.0] * count),
        max_num_seqs=col([float(c.max_num_seqs) for _, c, _ in items]),
        max_num_batched_tokens=col([float(c.max_num_batched_tokens) for _, c, _ in items]),
        kv_capacity_tokens=col([float(max(f.kv_capacity_tokens, 1)) for _, _, f in items]),
        length_cv=np.zeros(2 * count),
    )
    pred = predict_arrays(stacked, eff, ttft_overhead, shapes)
    series = {"ttft": pred.ttft_ms, "itl": pred.itl_ms, "e2e": pred.e2e_ms}
    return [
        FirstLook(
            light_ms={
                (metric, p): float(values[p][row])
                for metric, values in series.items()
                for p in values
            },
            saturated_rps=float(pred.req_per_s[count + row]),
        )
        for row in range(count)
    ]
