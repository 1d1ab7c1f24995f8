"""Factories for simulator test inputs."""

from __future__ import annotations

from domain.serving import LoadKind, Precision, ServingConfig, Workload


def make_config(
    model: str = "meta-llama/Llama-3.1-8B", gpu: str = "H100-SXM-80GB", **changes: object
) -> ServingConfig:
    """A serving configuration with sensible defaults."""
    fields: dict[str, object] = {
        "model": model,
        "gpu": gpu,
        "precision": Precision.FP8,
        "max_model_len": 8192,
    }
    fields.update(changes)
    return ServingConfig.model_validate(fields)


def make_workload(
    kind: LoadKind = LoadKind.RATE, value: float = 5.0, **changes: object
) -> Workload:
    """A chat-like workload."""
    fields: dict[str, object] = {
        "input_tokens": 1000,
        "output_tokens": 200,
        "kind": kind,
        "value": value,
    }
    fields.update(changes)
    return Workload.model_validate(fields)
