"""In-memory structured look-up of benchmark records, built once at load.

Calibration and explanations ask "which records of model M on GPU G at precision P ..." many
times; Qdrant local mode would check such filters in Python over every point, so they are served
here from per-field boolean masks (numpy) instead: a look-up ANDs a few masks and applies token
ranges as vector comparisons. ``nearest`` finds the most similar measured records to cite as
evidence. This module holds records in memory only; it never embeds or touches Qdrant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

from domain.benchmarks import BenchmarkRecord
from domain.catalog import ModelSpec
from domain.requirements import GpuFamily
from knowledge.catalog import family_label, load_models

TokenRange = tuple[float, float]
Mask = npt.NDArray[np.bool_]
_UNKNOWN_GAP = 3.0  # an unknown size or token count counts as far, but not infinitely


def _floats(values: Iterable[float | None]) -> npt.NDArray[np.float64]:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _log_gap(values: npt.NDArray[np.float64], target: float | None) -> npt.NDArray[np.float64]:
    if not target or target <= 0:
        return np.full(values.shape, _UNKNOWN_GAP)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.abs(np.log(values / target))
    return np.where(np.isfinite(gap), gap, _UNKNOWN_GAP)


def _bucket(tokens: float | None) -> int | None:
    """Token counts within ~5 % of each other share a bucket (measured means differ slightly)."""
    return round(float(np.log(tokens)) * 20) if tokens and tokens > 0 else None


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
        self._arch = {hf_id.lower(): (s.base_id or hf_id).lower() for hf_id, s in catalog.items()}
        params = {hf_id.lower(): spec.params_b for hf_id, spec in catalog.items()}
        self._params = params
        columns: dict[str, list[object]] = {
            "model": [r.model.lower() for r in self.records],
            "arch": [self.architecture(r.model) for r in self.records],
            "gpu": [r.gpu.lower() for r in self.records],
            "gpu_family": [family_label(r.gpu).lower() for r in self.records],
            "precision": [r.precision for r in self.records],
            "engine": [r.engine for r in self.records],
            "tensor_parallel": [r.tensor_parallel for r in self.records],
            "load_type": [r.load_type.value for r in self.records],
        }
        self._codes: dict[str, dict[object, int]] = {}
        self._columns: dict[str, npt.NDArray[np.int64]] = {}
        for field, values in columns.items():
            codes = {value: code for code, value in enumerate(dict.fromkeys(values))}
            self._codes[field] = codes
            self._columns[field] = np.array([codes[v] for v in values], dtype=np.int64)
        self._input = _floats(r.input_tokens for r in self.records)
        self._output = _floats(r.output_tokens for r in self.records)
        self._size = _floats(r.params_b or params.get(r.model.lower()) for r in self.records)
        self._flagged = np.array([r.flagged for r in self.records], dtype=np.bool_)

    def __len__(self) -> int:
        return len(self.records)

    def architecture(self, model: str) -> str:
        """The base architecture a model id points to (itself when unknown), lower-case.

        Args:
            model: A model id.

        Returns:
            The base architecture's id, lower-case.
        """
        return self._arch.get(model.lower(), model.lower())

    def _equals(self, field: str, value: object) -> Mask | None:
        code = self._codes[field].get(value)
        if code is None:
            return None
        equal: Mask = self._columns[field] == code
        return equal

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
        mask = np.ones(len(self.records), dtype=np.bool_)
        for field, value in wanted.items():
            if value is None:
                continue
            equal = self._equals(field, value)
            if equal is None:
                return []
            mask &= equal
        for values, bounds in ((self._input, input_tokens), (self._output, output_tokens)):
            if bounds is not None:
                mask &= (values >= bounds[0]) & (values <= bounds[1])
        return [self.records[p] for p in np.flatnonzero(mask).tolist()]

    def measured_on(self, model: str, gpu_family: GpuFamily | str) -> bool:
        """Whether any record measures the model's base architecture on a GPU family.

        Args:
            model: A model id (its base architecture counts).
            gpu_family: The GPU family ("H100").

        Returns:
            True when at least one such record exists.
        """
        same_arch = self._equals("arch", self.architecture(model))
        family = self._equals("gpu_family", str(gpu_family).lower())
        return same_arch is not None and family is not None and bool((same_arch & family).any())

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

        Same model first, then the same base architecture, then other models; within each, the
        same GPU family first, then the closest model size, the same precision, and the closest
        token shape. One record per measured configuration (they differ only in load).

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
        if k <= 0 or not self.records:
            return []
        same_model = self._equals("model", model.lower())
        same_arch = self._equals("arch", self.architecture(model))
        none = np.zeros(len(self.records), dtype=np.bool_)
        model_class = np.where(
            same_model if same_model is not None else none,
            0,
            np.where(same_arch if same_arch is not None else none, 1, 2),
        )
        family = self._equals("gpu_family", str(gpu_family).lower())
        precision_match = self._equals("precision", precision)
        keys = (
            _log_gap(self._input, input_tokens) + _log_gap(self._output, output_tokens),
            ~precision_match if precision_match is not None else ~none,
            _log_gap(self._size, self._params.get(model.lower())),
            ~family if family is not None else ~none,
            model_class,
            self._flagged & (not include_flagged),
        )
        order = np.lexsort(keys)
        return self._distinct(order.tolist(), k, include_flagged)

    def _distinct(self, order: list[int], k: int, include_flagged: bool) -> list[BenchmarkRecord]:
        chosen: list[BenchmarkRecord] = []
        seen: set[tuple[object, ...]] = set()
        for position in order:
            record = self.records[position]
            if record.flagged and not include_flagged:
                break  # flagged records sort last
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
                if len(chosen) == k:
                    break
        return chosen
