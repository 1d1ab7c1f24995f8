"""What serves a deployment and what scales it: the two choices an operator (or a command) makes.

This module must not render, read settings or talk to a cluster.
"""

from __future__ import annotations

from enum import StrEnum


class Autoscaler(StrEnum):
    """What scales the replicas."""

    KEDA = "keda"  # a KEDA ScaledObject on Prometheus queries of vLLM's metrics
    HPA = "hpa"  # an autoscaling/v2 HPA on the same metrics via prometheus-adapter
    NONE = "none"  # a fixed replica count


class Target(StrEnum):
    """Which KServe API serves the model."""

    INFERENCE_SERVICE = "inferenceservice"  # v1beta1 InferenceService + a vLLM ServingRuntime
    LLM_INFERENCE_SERVICE = "llminferenceservice"  # v1alpha2 LLMInferenceService (llm-d)
