"""Calibration: efficiency factors per engine and GPU, where they come from, how to look them up.

A :class:`Calibration` holds one :class:`Efficiencies` per scope. Scopes form a fallback chain:
``engine × GPU`` → ``engine × family`` → ``engine × vendor`` → ``engine`` → spec-sheet
defaults. :meth:`Calibration.lookup` walks it and says which scope answered, so every estimate
can tell the user what it rests on. The file names the benchmark groups it was fitted on.

This module reads and writes the calibration JSON only through :func:`load_calibration` and
:func:`save_calibration` (explicit paths); :func:`simulate.fitting.fit_calibration` fits one.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.catalog import GpuSpec
from domain.errors import ConfigurationError
from domain.serving import CalibrationBasis

ScopeKind = Literal["gpu", "family", "vendor", "engine"]


class Efficiencies(BaseModel):
    """Calibrated factors of the step-time model for one scope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    memory: float = Field(default=0.7, gt=0, le=1, description="Achieved / peak HBM bandwidth.")
    kv_memory: float = Field(
        default=0.5, gt=0, le=1, description="Achieved / peak HBM bandwidth reading the KV cache."
    )
    prefill: float = Field(default=0.5, gt=0, le=1, description="Achieved / peak FLOP/s, prompts.")
    decode: float = Field(default=0.4, gt=0, le=1, description="Achieved / peak FLOP/s, decode.")
    overhead_ms: float = Field(default=1.0, ge=0, description="Fixed host time per step, ms.")
    per_layer_us: float = Field(default=10.0, ge=0, description="Launch time per layer, µs.")
    per_seq_us: float = Field(
        default=5.0, ge=0, description="Host time per decoding sequence per step (sampling), µs."
    )
    allreduce_us: float = Field(default=15.0, ge=0, description="Latency of one all-reduce, µs.")
    ttft_overhead_ms: float = Field(
        default=5.0, ge=0, description="Per-request time before the first token (API, tokenizer)."
    )
    moe: float = Field(
        default=1.0, gt=0, le=1, description="Routed-expert GEMMs' efficiency relative to dense."
    )


PARAM_NAMES: tuple[str, ...] = tuple(Efficiencies.model_fields)
SPEC_SHEET_DEFAULTS = Efficiencies()


class RecordGroup(BaseModel):
    """A (source, GPU, engine) group of benchmark records a scope was fitted on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    gpu: str
    engine: str
    count: int


class ScopeFit(BaseModel):
    """Efficiencies fitted for one scope, and what they rest on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ScopeKind
    engine: str
    key: str = Field(description="GPU name, family or vendor; empty for the engine scope.")
    efficiencies: Efficiencies
    records: int = Field(description="Records the fit used.")
    median_abs_log_error: float | None = Field(
        default=None, description="Median |log(predicted/measured)| of the fit, in-sample."
    )


class Calibration(BaseModel):
    """All fitted scopes plus the spec-sheet defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    scopes: tuple[ScopeFit, ...] = ()
    defaults: Efficiencies = SPEC_SHEET_DEFAULTS
    groups: tuple[RecordGroup, ...] = Field(default=(), description="Record groups fitted on.")
    record_ids: tuple[str, ...] = Field(default=(), description="Ids of the records fitted on.")
    excluded: tuple[str, ...] = Field(default=(), description="Groups left out on request.")

    def lookup(self, engine: str, gpu: GpuSpec) -> tuple[Efficiencies, CalibrationBasis, str]:
        """The efficiencies for ``engine`` on ``gpu``, walking the fallback chain.

        Args:
            engine: Serving engine (vllm, trtllm ...).
            gpu: The GPU.

        Returns:
            (efficiencies, basis, detail such as "vllm × H100 family: 412 records").
        """
        wanted: list[tuple[ScopeKind, str, CalibrationBasis]] = [
            ("gpu", gpu.name, CalibrationBasis.MEASURED_GPU),
            ("family", gpu.family.value, CalibrationBasis.FAMILY),
            ("vendor", gpu.vendor, CalibrationBasis.ENGINE),
            ("engine", "", CalibrationBasis.ENGINE),
        ]
        index = {(s.kind, s.engine, s.key): s for s in self.scopes}
        for kind, key, basis in wanted:
            scope = index.get((kind, engine, key))
            if scope is not None:
                label = f"{engine} × {key} {kind}" if key else f"{engine}, any GPU"
                return scope.efficiencies, basis, f"{label}: {scope.records} records"
        return (
            self.defaults,
            CalibrationBasis.SPEC_SHEET,
            f"no {engine} records: {gpu.name} datasheet with default efficiencies",
        )


def default_path() -> Path:
    """Path of the calibration shipped with the package (``simulate/data/calibration.json``).

    Returns:
        The path.
    """
    return Path(str(resources.files("simulate") / "data" / "calibration.json"))


def load_calibration(path: Path | None = None) -> Calibration:
    """Read a calibration file; the shipped one by default, spec-sheet defaults if none ships.

    Args:
        path: A calibration JSON file.

    Returns:
        The calibration.

    Raises:
        ConfigurationError: When the file is unreadable or malformed.
    """
    target = path or default_path()
    if path is None and not target.exists():
        return Calibration()
    try:
        return Calibration.model_validate_json(target.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read calibration {target}: {exc.strerror}") from exc
    except ValidationError as exc:
        raise ConfigurationError(f"calibration {target} is malformed: {exc}") from exc


def save_calibration(calibration: Calibration, path: Path) -> None:
    """Write a calibration as JSON.

    Args:
        calibration: What to write.
        path: Where to write it (parent folders are created).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(calibration.model_dump_json(indent=1) + "\n", encoding="utf-8")
