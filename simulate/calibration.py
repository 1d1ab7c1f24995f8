"""Calibration: efficiency factors per engine and GPU, where they come from, how to look them up.

A :class:`Calibration` holds one :class:`Efficiencies` per scope. Scopes form a fallback chain:
``engine × GPU`` → ``engine × family`` → ``engine × vendor`` → ``engine`` → spec-sheet
defaults. :meth:`Calibration.lookup` walks it and says which scope answered, so every estimate
can tell the user what it rests on. The file names the benchmark groups it was fitted on.

This module reads and writes the calibration JSON only through :func:`load_calibration` and
:func:`save_calibration` (explicit paths); :func:`simulate.fitting.fit_calibration` fits one.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.catalog import GpuSpec
from domain.errors import ConfigurationError
from domain.serving import CalibrationBasis, PerformanceEstimate
from simulate.intervals import FALLBACK_WIDENING, IntervalBand, interval
from simulate.serving_features import VERSION_BANDS, version_band

ScopeKind = Literal["gpu", "family", "vendor", "engine"]
# An engine with no measured group of its own falls back to the engine measured by the same
# harness on the same GPUs. ATOM (ROCm/ATOM README: a lightweight vLLM-like engine built on
# AMD's AITER kernels) is measured only by InferenceX on MI355X, where InferenceX also runs
# SGLang (whose ROCm path uses AITER); the stand-in is an assumption, and estimates resting on
# it say so and carry a widened interval (simulate.intervals.FALLBACK_WIDENING).
STAND_INS: dict[str, str] = {"atom": "sglang"}
# A family or vendor scope lends its GPU-fabric factors to GPUs it was not measured on only when
# it rests on at least this many (source, GPU) groups (see _fabric_from_engine).
MIN_SCOPE_GROUPS = 2
FABRIC_FIELDS = ("allreduce_us",)


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
    groups: int = Field(
        default=0, description="(source, GPU) groups those records come from (0: not recorded)."
    )
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
    intervals: tuple[IntervalBand, ...] = Field(
        default=(),
        description="80 % intervals (measured / predicted) per basis from held-out residuals.",
    )

    def lookup(self, engine: str, gpu: GpuSpec) -> tuple[Efficiencies, CalibrationBasis, str]:
        """The efficiencies for ``engine`` on ``gpu``, walking the fallback chain.

        ``engine`` is a calibration key: an engine, or an engine and version band such as
        "vllm 0.10+" (:func:`simulate.serving_features.version_band`). A band without fitted
        scopes falls back to the nearest band of the same engine that has them, and the detail
        says so.

        Args:
            engine: Calibration key (vllm, trtllm, "trtllm 1.x" ...).
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
        fitted = {s.engine for s in self.scopes}
        for key in nearest_bands(engine, fitted):
            for kind, scope_key, basis in wanted:
                scope = index.get((kind, key, scope_key))
                if scope is None:
                    continue
                label = f"{key} × {scope_key} {kind}" if scope_key else f"{key}, any GPU"
                detail = f"{label}: {scope.records} records"
                if key != engine:
                    same = key.split(" ")[0] == engine.split(" ")[0]
                    nearest = "nearest version band" if same else "nearest measured engine"
                    detail += f" (no {engine} measurements: {nearest})"
                return _fabric_from_engine(scope, index.get(("engine", key, ""))), basis, detail
        return (
            self.defaults,
            CalibrationBasis.SPEC_SHEET,
            f"no {engine} records: {gpu.name} datasheet with default efficiencies",
        )


def _fabric_from_engine(scope: ScopeFit, engine_scope: ScopeFit | None) -> Efficiencies:
    """A scope's efficiencies, with the engine's all-reduce latency where the scope is narrow.

    The lookup reaches a family or vendor scope only for a GPU without a scope of its own; when
    that scope rests on a single (source, GPU) group, its all-reduce latency is another GPU's
    fabric (MI300X's, say, for an MI355X), which says little about this one, so the engine's
    value over all its groups is used instead (held-out error, README "Simulator error").
    """
    narrow = scope.kind in ("family", "vendor") and 0 < scope.groups < MIN_SCOPE_GROUPS
    if not narrow or engine_scope is None:
        return scope.efficiencies
    fabric = {name: getattr(engine_scope.efficiencies, name) for name in FABRIC_FIELDS}
    return scope.efficiencies.model_copy(update=fabric)


def nearest_bands(key: str, fitted: Collection[str]) -> list[str]:
    """Calibration keys to try for ``key``: itself, its engine's other bands, its base engine's.

    Nearer bands come first; between two equally near, the newer. An engine composed of a
    front end and an engine ("dynamo+sglang", "sglang+mori") falls back to the engine after
    the front end ("dynamo+sglang" → "sglang"; "sglang+mori" → "sglang"), newest band first;
    an engine in :data:`STAND_INS` falls back to its stand-in ("atom" → "sglang").

    Args:
        key: An engine or "engine band" key.
        fitted: Keys that have fitted scopes.

    Returns:
        Keys in the order to try them.
    """
    engine = key.split(" ")[0]
    order = [
        engine if not name else f"{engine} {name}" for name, _ in VERSION_BANDS.get(engine, ())
    ]
    out = [key]
    if key in order:
        at = order.index(key)
        out += sorted(
            (k for k in order if k != key and k in fitted),
            key=lambda k: (abs(order.index(k) - at), -order.index(k)),
        )
    base = STAND_INS.get(engine, "")
    if "+" in engine:
        parts = engine.split("+")
        base = parts[1] if parts[0] == "dynamo" else parts[0]
    if base:
        bands = [base if not name else f"{base} {name}" for name, _ in VERSION_BANDS.get(base, ())]
        out += [k for k in reversed(bands or [base]) if k in fitted]
    return out


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


def for_engine_version(
    estimate: PerformanceEstimate, engine: str, version: str
) -> PerformanceEstimate:
    """The estimate as a prediction for ``engine`` at ``version`` (the image that will be deployed).

    It names the version; where the calibration it rests on (``engine_basis``) is not that
    version's band — the band has no measurements the estimate could use — its intervals are
    widened by :data:`simulate.intervals.FALLBACK_WIDENING`, as for a borrowed band.

    Args:
        estimate: The estimate (with its ``engine_basis`` and intervals).
        engine: The engine ("vllm").
        version: The version the image's tag names ("0.11.0"); "" leaves the estimate as it is.

    Returns:
        The estimate with ``engine_version`` set and its intervals widened where needed.
    """
    if not version:
        return estimate
    update: dict[str, object] = {"engine_version": f"{engine} {version}"}
    if version_band(engine, version) != estimate.engine_basis:
        update["intervals"] = {
            name: (low / FALLBACK_WIDENING, high * FALLBACK_WIDENING)
            for name, (low, high) in estimate.intervals.items()
        }
    return estimate.model_copy(update=update)


def with_intervals(
    estimate: PerformanceEstimate, calibration: Calibration, engine: str, gpu: GpuSpec
) -> PerformanceEstimate:
    """An estimate with its engine version basis and 80 % intervals from the calibration's bands.

    Args:
        estimate: The estimate.
        calibration: The calibration whose interval bands apply.
        engine: The calibration key the estimate was made for.
        gpu: The GPU.

    Returns:
        The estimate with ``engine_basis`` and ``intervals`` filled where bands exist (widened
        when the engine's own band has no measurements and a nearer one is used).
    """
    fitted = {s.engine for s in calibration.scopes}
    used = next((key for key in nearest_bands(engine, fitted) if key in fitted), engine)
    borrowed = used != engine
    bounds: dict[str, tuple[float, float]] = {}
    family = gpu.family.value
    for name in ("ttft_ms", "itl_ms", "e2e_ms"):
        found = interval(calibration.intervals, used, family, name, borrowed=borrowed)
        if found is None:
            continue
        values = getattr(estimate, name)
        for p in (50, 90, 95, 99):
            bounds[f"{name}_p{p}"] = (values.at(p) * found[0], values.at(p) * found[1])
    found = interval(calibration.intervals, used, family, "output_tok_per_s", borrowed=borrowed)
    if found is not None:
        tput = estimate.output_tok_per_s
        bounds["output_tok_per_s"] = (tput * found[0], tput * found[1])
    return estimate.model_copy(update={"engine_basis": used, "intervals": bounds})
