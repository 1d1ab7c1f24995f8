"""What-if: re-estimate a configuration with some inputs changed, returning before and after.

Changes are given as field → value for the model, the GPU, the serving configuration or the
workload; the caller resolves names to specs first. No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.catalog import GpuSpec, ModelSpec
from domain.errors import InvalidInputError
from domain.serving import PerformanceEstimate, ServingConfig, Workload
from simulate.analytical import estimate
from simulate.calibration import Calibration


def what_if(
    model: ModelSpec,
    gpu: GpuSpec,
    config: ServingConfig,
    workload: Workload,
    calibration: Calibration,
    *,
    new_model: ModelSpec | None = None,
    new_gpu: GpuSpec | None = None,
    config_changes: Mapping[str, object] | None = None,
    workload_changes: Mapping[str, object] | None = None,
) -> tuple[PerformanceEstimate, PerformanceEstimate]:
    """Estimate before and after a change.

    Args:
        model: The architecture now.
        gpu: The GPU now.
        config: The serving configuration now.
        workload: The workload now.
        calibration: Efficiency factors.
        new_model: Another model to try.
        new_gpu: Another GPU to try.
        config_changes: ServingConfig fields to change (e.g. ``{"tensor_parallel": 2}``).
        workload_changes: Workload fields to change (e.g. ``{"value": 20.0}``).

    Returns:
        (before, after).

    Raises:
        InvalidInputError: When a change names an unknown field or an invalid value.
    """
    before = estimate(model, gpu, config, workload, calibration)
    after_model = new_model or model
    after_gpu = new_gpu or gpu
    updates = dict(config_changes or {})
    updates.setdefault("model", after_model.hf_id)
    updates.setdefault("gpu", after_gpu.name)
    try:
        after_config = ServingConfig.model_validate({**config.model_dump(), **updates})
        after_workload = Workload.model_validate(
            {**workload.model_dump(), **dict(workload_changes or {})}
        )
    except ValueError as exc:
        raise InvalidInputError(f"cannot apply the change: {exc}") from exc
    after = estimate(after_model, after_gpu, after_config, after_workload, calibration)
    return before, after
