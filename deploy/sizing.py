"""How big a replica's pod is: host memory, scratch space and startup time from the weights.

Weights are sized at the precision they are stored in (a pre-quantized checkpoint's own, see
:mod:`deploy.checkpoints`), not the precision the option computes at.

This module must not render or read settings.
"""

from __future__ import annotations

import math

from domain.serving import Precision

# Seconds vLLM needs before it reads weights (CUDA init, compile, CUDA graphs), and the rate it
# reads them at when they are pulled from the Hub into an empty cache (a cautious 250 MB/s).
ENGINE_INIT_S = 180
WEIGHT_LOAD_GB_PER_S = 0.25
STARTUP_SAFETY_FACTOR = 2.0
STARTUP_PERIOD_S = 10
STARTUP_CAP_S = 3 * 3600
CACHE_GIB = 10  # HOME, XDG and vLLM compile caches on an emptyDir


def startup_failure_threshold(params_b: float, precision: Precision, tensor_parallel: int) -> int:
    """Size the startup probe so a cold start that pulls the weights is not killed.

    Args:
        params_b: Parameters, billions.
        precision: Weight precision.
        tensor_parallel: GPUs per replica (each reads its shard, but the pull is shared).

    Returns:
        Probe failures allowed at ``STARTUP_PERIOD_S`` before the container is restarted.
    """
    weights_gb = params_b * precision.bytes_per_param
    load_s = ENGINE_INIT_S + 15 * tensor_parallel + weights_gb / WEIGHT_LOAD_GB_PER_S
    budget_s = min(STARTUP_CAP_S, load_s * STARTUP_SAFETY_FACTOR)
    return max(30, math.ceil(budget_s / STARTUP_PERIOD_S))


def host_memory_gib(params_b: float, precision: Precision) -> int:
    """Host memory a replica needs to stage its weights, GiB (at least 16).

    Args:
        params_b: Parameters, billions.
        precision: Weight precision.

    Returns:
        GiB to request per replica.
    """
    weights_gib = params_b * 1e9 * precision.bytes_per_param / 2**30
    return min(4096, max(16, math.ceil(weights_gib * 1.2)))


def ephemeral_gib(params_b: float, weights: Precision, *, cached: bool) -> int:
    """Scratch space per replica, GiB: the caches, plus the weights when they are downloaded.

    Args:
        params_b: Parameters, billions.
        weights: Precision of the weights as stored.
        cached: Whether the weights come from a mounted cache (no download).

    Returns:
        GiB of ephemeral storage to request.
    """
    if cached:
        return CACHE_GIB
    weights_gib = params_b * 1e9 * weights.bytes_per_param / 2**30
    return CACHE_GIB + math.ceil(weights_gib * 1.1)
