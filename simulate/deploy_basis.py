"""The calibration band a prediction for a deployed engine version rests on, and its floors.

A recommendation deploys one image (vLLM 0.11 by default), so it predicts with the calibration
band of that version (:func:`simulate.serving_features.version_band`: "vllm 0.10+") wherever the
band has a scope for the GPU — its own GPU, else its family, else its vendor (a scope on few
records is fitted towards its parent, :mod:`simulate.fitting`, so it moves, it does not jump).
Where it has none, the nearest band of the same engine that has one is used (for vLLM 0.11 on
MI300X: "vllm 0.6-0.9", measured on MI300X), the estimate names it and its interval is widened
(:data:`simulate.intervals.FALLBACK_WIDENING`). README "Simulator error" compares the choice
held out with the 2024 band (``python -m tests.benchmarks deploy_basis``).

Every efficiency a band uses is checked (:func:`implausible`): none above 1.0 of peak; a band
that fails for a GPU is passed over and the estimate says so. :func:`physical_floors` gives the
floors no prediction may go below (ITL ≥ weights one token reads ÷ HBM bandwidth, TTFT ≥
2·active params·prompt ÷ peak FLOP/s) and :func:`clip_to_floors` raises interval ends below them
to them. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import PerformanceEstimate, ServingConfig, Workload
from simulate.calibration import Calibration, Efficiencies, ScopeFit, nearest_bands
from simulate.serving_features import version_band
from simulate.step_time import matmul_flops_s, replica_costs, weight_read_s

_RATIO_FIELDS = ("memory", "kv_memory", "prefill", "decode", "moe")


@dataclass(frozen=True)
class DeployBasis:
    """The calibration key a deployed version's predictions use, and why.

    Attributes:
        key: Calibration key used ("vllm 0.10+").
        wanted: The band of the version deployed ("vllm 0.10+"); equal to ``key`` unless borrowed.
        scope: The scope that answers, e.g. "H100 family (21 records)"; "" when none does.
        note: Why ``key`` is not ``wanted`` (empty when it is).
    """

    key: str
    wanted: str
    scope: str = ""
    note: str = ""

    @property
    def borrowed(self) -> bool:
        """Whether the predictions rest on another band than the deployed version's."""
        return self.key != self.wanted


def implausible(effs: Efficiencies) -> str:
    """Why a scope's efficiencies cannot describe a real GPU, or "" when they can.

    Args:
        effs: Fitted efficiencies.

    Returns:
        E.g. "prefill 1.2 of peak FLOP/s"; "" when every ratio lies in (0, 1].
    """
    values = {name: float(getattr(effs, name)) for name in _RATIO_FIELDS}
    return "; ".join(f"{n} {v:.2f} of peak" for n, v in values.items() if not 0 < v <= 1)


def _gpu_scope(calibration: Calibration, key: str, gpu: GpuSpec) -> tuple[ScopeFit | None, str]:
    """The first scope of ``key`` for this GPU (gpu → family → vendor) and, if unusable, why."""
    index: dict[tuple[str, str, str], ScopeFit] = {
        (s.kind, s.engine, s.key): s for s in calibration.scopes
    }
    for kind, name in (("gpu", gpu.name), ("family", gpu.family.value), ("vendor", gpu.vendor)):
        scope = index.get((kind, key, name))
        if scope is None:
            continue
        why = implausible(scope.efficiencies)
        return scope, (f"{key} × {name} is implausible ({why})" if why else "")
    return None, f"{key} has no measurements on {gpu.vendor} GPUs"


def choose_band(calibration: Calibration, engine: str, version: str, gpu: GpuSpec) -> DeployBasis:
    """The band predictions for ``engine`` at ``version`` on ``gpu`` rest on.

    The version's own band when it has a plausible scope for the GPU, else the nearest band of
    the engine that has one (nearer first, newer first between equals), else the version's band
    as it is (its lookup then falls back to any GPU). An unknown version keeps the engine's
    longest-measured band (the bare engine key), as before versions were known.

    Args:
        calibration: The calibration (scopes with their record counts).
        engine: The engine ("vllm").
        version: The deployed version ("0.11.0"); "" when unknown.
        gpu: The GPU.

    Returns:
        The basis.
    """
    wanted = version_band(engine, version)
    if not version:
        return DeployBasis(key=wanted, wanted=wanted)
    fitted = {s.engine for s in calibration.scopes}
    same_engine = [k for k in nearest_bands(wanted, fitted) if k.split(" ")[0] == engine]
    reasons: list[str] = []
    for key in same_engine:
        scope, why = _gpu_scope(calibration, key, gpu)
        if scope is None or why:
            reasons.append(why)
            continue
        where = f"{scope.key} {scope.kind} ({scope.records} records)"
        note = "" if key == wanted else "; ".join(reasons) + f": nearest measured band {key}"
        return DeployBasis(key=key, wanted=wanted, scope=where, note=note)
    note = "; ".join(reasons) + f": no band of {engine} has, so {wanted} over every GPU"
    return DeployBasis(key=wanted, wanted=wanted, note=note)


@dataclass(frozen=True)
class Floors:
    """What physics allows at best for one replica (milliseconds)."""

    itl_ms: float  # weights one decode step reads ÷ peak HBM bandwidth
    ttft_ms: float  # 2 · active params · prompt ÷ peak FLOP/s
    e2e_ms: float  # the first token, then one floor ITL per further token


def physical_floors(
    model: ModelSpec, gpu: GpuSpec, config: ServingConfig, workload: Workload
) -> Floors:
    """The physical floors of a configuration's latencies (no speculative decoding).

    Args:
        model: The architecture.
        gpu: The GPU.
        config: Precision and tensor parallel.
        workload: Token shape.

    Returns:
        The floors.
    """
    costs = replica_costs(model, gpu, config)
    itl = 1e3 * float(weight_read_s(costs, 1.0))
    ttft = 1e3 * float(matmul_flops_s(costs, float(workload.input_tokens)))
    return Floors(itl_ms=itl, ttft_ms=ttft, e2e_ms=ttft + itl * max(workload.output_tokens - 1, 0))


def clip_to_floors(estimate: PerformanceEstimate, floors: Floors) -> PerformanceEstimate:
    """The estimate with every latency interval's low end raised to its physical floor.

    Args:
        estimate: An estimate with intervals.
        floors: Its floors.

    Returns:
        The estimate, intervals clipped (an interval wholly below the floor becomes the floor).
    """
    bound = {"itl": floors.itl_ms, "ttft": floors.ttft_ms, "e2e": floors.e2e_ms}
    clipped: dict[str, tuple[float, float]] = {}
    for name, (low, high) in estimate.intervals.items():
        floor = bound.get(name.split("_")[0], 0.0)
        clipped[name] = (max(low, floor), max(high, floor))
    return estimate.model_copy(update={"intervals": clipped})


__all__ = [
    "DeployBasis",
    "Floors",
    "choose_band",
    "clip_to_floors",
    "implausible",
    "physical_floors",
]
