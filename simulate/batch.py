"""The simulator's batch entry point: many replicas under many loads in one vectorised call.

A :class:`BatchPricer` takes replicas (model, GPU, serving configuration, KV capacity), looks up
each one's calibrated efficiencies once, and prices any list of (replica, load kind, load
value) rows at a token shape through :func:`simulate.analytical.predict_arrays`. The
recommender screens thousands of configurations this way without reaching into the
simulator's terms. No I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import ServingConfig
from simulate.analytical import (
    Predictions,
    efficiency_arrays,
    predict_arrays,
    technique_arrays,
    technique_values,
)
from simulate.calibration import Calibration, Efficiencies
from simulate.load_terms import LoadCode, Shapes
from simulate.step_time import ReplicaCosts, replica_costs, stack_costs


@dataclass(frozen=True)
class Replica:
    """One replica to price: its model, GPU, serving configuration and KV-cache room."""

    model: ModelSpec
    gpu: GpuSpec
    config: ServingConfig
    kv_capacity_tokens: int


@dataclass(frozen=True)
class LoadRow:
    """One row to price: which replica, how load is offered, and how much."""

    replica: int
    kind: LoadCode
    value: float


class BatchPricer:
    """Prices many (replica, load) rows at once; each replica's constants are computed once."""

    def __init__(self, replicas: Sequence[Replica], calibration: Calibration) -> None:
        """Look up efficiencies and physical constants of every replica.

        Args:
            replicas: The replicas.
            calibration: Efficiencies per engine and GPU.
        """
        by_key: dict[tuple[str, str], Efficiencies] = {}
        self._replicas = list(replicas)
        self._effs: list[Efficiencies] = []
        self._costs: list[ReplicaCosts] = []
        for replica in self._replicas:
            key = (replica.config.engine, replica.gpu.name)
            if key not in by_key:
                by_key[key] = calibration.lookup(replica.config.engine, replica.gpu)[0]
            self._effs.append(by_key[key])
            self._costs.append(replica_costs(replica.model, replica.gpu, replica.config))

    def price(
        self, rows: Sequence[LoadRow], *, input_tokens: int, output_tokens: int
    ) -> Predictions:
        """Predict every row at one token shape (per replica: throughput of one replica).

        Args:
            rows: (replica index, load kind, load value per replica).
            input_tokens: Prompt tokens per request.
            output_tokens: Output tokens per request.

        Returns:
            Predictions, one entry per row.
        """
        index = [row.replica for row in rows]
        configs = [self._replicas[i].config for i in index]
        eff, ttft_overhead = efficiency_arrays([self._effs[i] for i in index])
        techniques = {
            i: technique_values(self._replicas[i].config, self._costs[i], input_tokens)
            for i in set(index)
        }
        shapes = Shapes(
            input_tokens=np.full(len(rows), float(input_tokens)),
            output_tokens=np.full(len(rows), float(output_tokens)),
            kind=np.array([float(row.kind) for row in rows]),
            value=np.array([row.value for row in rows]),
            max_num_seqs=np.array([float(c.max_num_seqs) for c in configs]),
            max_num_batched_tokens=np.array([float(c.max_num_batched_tokens) for c in configs]),
            kv_capacity_tokens=np.array(
                [float(max(self._replicas[i].kv_capacity_tokens, 1)) for i in index]
            ),
            length_cv=np.zeros(len(rows)),
            **technique_arrays([techniques[i] for i in index]),
        )
        stacked = stack_costs([self._costs[i] for i in index])
        return predict_arrays(stacked, eff, ttft_overhead, shapes)
