"""In-memory structured look-up of benchmark records, built once at load.

Calibration and explanations ask "which records of model M on GPU G at precision P ..." many
times; Qdrant local mode would check such filters in Python over every point, so they are served
here from per-field posting sets instead. ``nearest`` finds the most similar measured records to
cite as evidence. This module holds records in memory only; it never embeds or touches Qdrant.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from domain.benchmarks import BenchmarkRecord
from domain.catalog import ModelSpec
from domain.errors import UnknownNameError
from domain.requirements import GpuFamily
from knowledge.catalog import gpu_family_of, load_models

TokenRange = tuple[float, float]


def _family(gpu: str) -> str:
    try:
        return gpu_family_of(gpu).value
    except UnknownNameError:
        return gpu


def _within(value: float | None, bounds: TokenRange | None) -> bool:
    if bounds is None:
        return True
    return value is not None and bounds[0] <= value <= bounds[1]


def _bucket(tokens: float | None) -> int | None:
    """Token counts within ~5 % of each other share a bucket (measured means differ slightly)."""
    return round(math.log(tokens) * 20) if tokens and tokens > 0 else None


def _log_gap(a: float | None, b: float | None) -> float:
    if a is None or b is None or a <= 0 or b <= 0:
        return 3.0  # an unknown shape counts as far, but not infinitely
    return abs(math.log(a / b))


class RecordIndex:
    """Look up measured records by their structured fields.

    Args:
        records: The records to index (kept in the given order).
        models: The model catalog, used to group variants by base architecture
            (defaults to :func:`knowledge.catalog.load_models`).
    """

    def __init__(
        self,
        records: Iterable[BenchmarkRecord],
        models: Mapping[str, ModelSpec] | None = None,
    ) -> None:
        self.records: list[BenchmarkRecord] = list(records)
        catalog = load_models() if models is None else models
        self._arch = {hf_id: (spec.base_id or hf_id).lower() for hf_id, spec in catalog.items()}
        self._params = {hf_id.lower(): spec.params_b for hf_id, spec in catalog.items()}
        self._postings: dict[str, dict[object, set[int]]] = defaultdict(lambda: defaultdict(set))
        self._families: list[str] = []
        for position, record in enumerate(self.records):
            family = _family(record.gpu)
            self._families.append(family)
            keys: dict[str, object] = {
                "model": record.model.lower(),
                "arch": self.architecture(record.model),
                "gpu": record.gpu.lower(),
                "gpu_family": family.lower(),
                "precision": record.precision,
                "engine": record.engine,
                "tensor_parallel": record.tensor_parallel,
                "load_type": record.load_type.value,
            }
            for field, key in keys.items():
                self._postings[field][key].add(position)

    def __len__(self) -> int:
        return len(self.records)

    def architecture(self, model: str) -> str:
        """The base architecture a model id points to (itself when unknown), lower-case.

        Args:
            model: A model id.

        Returns:
            The base architecture's id, lower-case.
        """
        return self._arch.get(model, model).lower()

    def find(
        self,
        *,
        model: str | None = None,
        gpu: str | None = None,
        gpu_family: GpuFamily | str | None = None,
        precision: str | None = None,
        engine: str | None = None,
        tensor_parallel: int | None = None,
        load_type: str | None = None,
        input_tokens: TokenRange | None = None,
        output_tokens: TokenRange | None = None,
    ) -> list[BenchmarkRecord]:
        """Records matching every given field (model and GPU names case-insensitive).

        Args:
            model: Exact model id.
            gpu: GPU catalog name.
            gpu_family: GPU family ("H100").
            precision: Normalised precision.
            engine: Serving engine.
            tensor_parallel: Tensor-parallel size.
            load_type: offline, concurrency or rate.
            input_tokens: Inclusive (lo, hi) range of prompt tokens.
            output_tokens: Inclusive (lo, hi) range of output tokens.

        Returns:
            The matching records in index order.
        """
        wanted: dict[str, object] = {
            "model": model.lower() if model else None,
            "gpu": gpu.lower() if gpu else None,
            "gpu_family": str(gpu_family).lower() if gpu_family else None,
            "precision": precision,
            "engine": engine,
            "tensor_parallel": tensor_parallel,
            "load_type": str(load_type) if load_type else None,
        }
        sets = [self._postings[f].get(v, set()) for f, v in wanted.items() if v is not None]
        positions: Iterable[int]
        if sets:
            sets.sort(key=len)
            positions = sorted(sets[0].intersection(*sets[1:]))
        else:
            positions = range(len(self.records))
        return [
            self.records[p]
            for p in positions
            if _within(self.records[p].input_tokens, input_tokens)
            and _within(self.records[p].output_tokens, output_tokens)
        ]

    def nearest(
        self,
        *,
        model: str,
        gpu_family: GpuFamily | str,
        precision: str,
        input_tokens: float,
        output_tokens: float,
        k: int = 3,
        include_flagged: bool = False,
    ) -> list[BenchmarkRecord]:
        """The ``k`` measured records most like a configuration, to cite as evidence.

        Same model first, then the same base architecture, then models of a similar size; within
        those, the same GPU family, then the same precision, then the closest token shape.

        Args:
            model: Model id of the configuration.
            gpu_family: Its GPU family.
            precision: Its precision.
            input_tokens: Prompt tokens per request.
            output_tokens: Output tokens per request.
            k: How many to return.
            include_flagged: Whether records flagged WARNING/SUSPECT may be cited.

        Returns:
            Up to ``k`` records, most similar first.
        """
        family = str(gpu_family).lower()
        arch = self.architecture(model)
        pool = self._postings["arch"].get(arch, set()) | self._postings["gpu_family"].get(
            family, set()
        )
        if len(pool) < k:
            pool = set(range(len(self.records)))
        params = self._params.get(model.lower())
        scored = heapq.nsmallest(
            max(k, 0) * 32,
            (
                (
                    self._distance(
                        p, model, arch, params, family, precision, input_tokens, output_tokens
                    ),
                    p,
                )
                for p in pool
                if include_flagged or not self.records[p].flagged
            ),
        )
        return self._distinct(p for _, p in scored)[:k] if k > 0 else []

    def _distinct(self, positions: Iterable[int], limit: int = 64) -> list[BenchmarkRecord]:
        """Records in order, one per measured configuration (model, GPU, precision, shape, TP)."""
        chosen: list[BenchmarkRecord] = []
        seen: set[tuple[object, ...]] = set()
        for position in positions:
            record = self.records[position]
            key = (
                record.model,
                record.gpu,
                record.precision,
                record.engine,
                _bucket(record.input_tokens),
                _bucket(record.output_tokens),
                record.tensor_parallel,
            )
            if key not in seen:
                seen.add(key)
                chosen.append(record)
            if len(chosen) >= limit:
                break
        return chosen

    def _distance(
        self,
        position: int,
        model: str,
        arch: str,
        params: float | None,
        family: str,
        precision: str,
        input_tokens: float,
        output_tokens: float,
    ) -> tuple[float, ...]:
        record = self.records[position]
        if record.model.lower() == model.lower():
            model_gap = 0.0
        elif self.architecture(record.model) == arch:
            model_gap = 0.5
        else:
            model_gap = 1.0 + _log_gap(record.params_b, params)
        shape_gap = _log_gap(record.input_tokens, input_tokens) + _log_gap(
            record.output_tokens, output_tokens
        )
        return (
            model_gap,
            0.0 if self._families[position].lower() == family else 1.0,
            0.0 if record.precision == precision else 1.0,
            shape_gap,
        )


def families_measured(index: RecordIndex) -> Sequence[str]:
    """GPU families that have at least one record in the index.

    Args:
        index: The index.

    Returns:
        Family names, sorted.
    """
    return sorted({_family(record.gpu) for record in index.records})
