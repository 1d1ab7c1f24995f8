"""A vectorised first look at many configurations: light-load latency, throughput, replica floors.

One call of the simulator's array path (:func:`simulate.analytical.predict_arrays`) prices every
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
from recommend.memo import config_key
from simulate.analytical import (
    KIND_MAX,
    KIND_RATE,
    Predictions,
    Shapes,
    efficiency_arrays,
    predict_arrays,
)
from simulate.calibration import Efficiencies
from simulate.step_time import ReplicaCosts, replica_costs, stack_costs

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


@dataclass(frozen=True)
class _Priced:
    """Replica constants of many configurations, ready to price at any loads."""

    costs: list[ReplicaCosts]
    effs: list[Efficiencies]
    items: Sequence[tuple[Candidate, ServingConfig, MemoryFit]]


def _replica_costs(cand: Candidate, config: ServingConfig, ctx: RecommendContext) -> ReplicaCosts:
    return ctx.memo.get(
        ("replica_costs", cand.model.hf_id, cand.gpu.name, config_key(config)),
        lambda: replica_costs(cand.model, cand.gpu, config),
        owners=(cand.model, cand.gpu),
        weight=2,
    )


def _prepare(
    items: Sequence[tuple[Candidate, ServingConfig, MemoryFit]], ctx: RecommendContext
) -> _Priced:
    by_gpu: dict[str, Efficiencies] = {}
    effs: list[Efficiencies] = []
    costs: list[ReplicaCosts] = []
    for cand, config, _ in items:
        if cand.gpu.name not in by_gpu:
            by_gpu[cand.gpu.name] = ctx.calibration.lookup(config.engine, cand.gpu)[0]
        effs.append(by_gpu[cand.gpu.name])
        costs.append(_replica_costs(cand, config, ctx))
    return _Priced(costs, effs, items)


def _price(
    priced: _Priced, rows: Sequence[tuple[int, float, float]], tokens: tuple[int, int]
) -> Predictions:
    """Predict (item index, load kind, load value) rows in one vectorised call."""
    index = [row[0] for row in rows]
    configs = [priced.items[i][1] for i in index]
    eff, ttft_overhead = efficiency_arrays([priced.effs[i] for i in index])
    shapes = Shapes(
        input_tokens=np.full(len(rows), float(tokens[0])),
        output_tokens=np.full(len(rows), float(tokens[1])),
        kind=np.array([row[1] for row in rows]),
        value=np.array([row[2] for row in rows]),
        max_num_seqs=np.array([float(c.max_num_seqs) for c in configs]),
        max_num_batched_tokens=np.array([float(c.max_num_batched_tokens) for c in configs]),
        kv_capacity_tokens=np.array(
            [float(max(priced.items[i][2].kv_capacity_tokens, 1)) for i in index]
        ),
        length_cv=np.zeros(len(rows)),
    )
    stacked = stack_costs([priced.costs[i] for i in index])
    return predict_arrays(stacked, eff, ttft_overhead, shapes)


def first_look(
    items: Sequence[tuple[Candidate, ServingConfig, MemoryFit]],
    *,
    input_tokens: int,
    output_tokens: int,
    ctx: RecommendContext,
) -> list[FirstLook]:
    """Light-load percentiles and saturated throughput of many configurations in one pass.

    Looks depend only on the configuration and the token shape, so they are remembered in the
    context's memo; only configurations not seen with this shape are priced.

    Args:
        items: (candidate, serving configuration, memory fit) per configuration.
        input_tokens: Prompt tokens per request.
        output_tokens: Output tokens per request.
        ctx: Calibration.

    Returns:
        One look per item, in order.
    """
    keys = [
        (
            "first_look",
            cand.model.hf_id,
            cand.gpu.name,
            config_key(config),
            input_tokens,
            output_tokens,
        )
        for cand, config, _ in items
    ]
    looks: list[FirstLook | None] = []
    for (cand, _, _), key in zip(items, keys, strict=True):
        kept = ctx.memo.peek(key, owners=(cand.model, cand.gpu))
        looks.append(kept if isinstance(kept, FirstLook) else None)
    missing = [i for i, look in enumerate(looks) if look is None]
    priced = _looks([items[i] for i in missing], (input_tokens, output_tokens), ctx)
    for i, look in zip(missing, priced, strict=True):
        looks[i] = look
        cand = items[i][0]
        ctx.memo.put(keys[i], look, owners=(cand.model, cand.gpu))
    return [look for look in looks if look is not None]


def _looks(
    items: Sequence[tuple[Candidate, ServingConfig, MemoryFit]],
    tokens: tuple[int, int],
    ctx: RecommendContext,
) -> list[FirstLook]:
    if not items:
        return []
    priced = _prepare(items, ctx)
    count = len(items)
    rows = [(i, KIND_RATE, LIGHT_LOAD_RPS) for i in range(count)]
    rows += [(i, KIND_MAX, 1.0) for i in range(count)]
    pred = _price(priced, rows, tokens)
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
    priced = _prepare(items, ctx)
    rows = [(i, KIND_RATE, peak_rps / k) for i in range(len(items)) for k in REPLICA_LADDER]
    pred = _price(priced, rows, (input_tokens, output_tokens))
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
