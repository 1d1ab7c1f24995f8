"""How big a replica's pod is: host memory, scratch space and startup time from the weights.

Everything is sized from the bytes of the checkpoint as stored (:func:`checkpoint_weight_bytes`):
a pre-quantized checkpoint at its own precision (see :mod:`deploy.checkpoints`), not the
precision the option computes at, counted as the recommender counts device memory
(:func:`simulate.memory.weight_bytes`: embeddings kept at 16 bit, per-group scales of low-bit
formats) — gpt-oss-120b's MXFP4 checkpoint is about 61 GB, not the 234 GB of 16-bit weights.

This module must not render or read settings.
"""

from __future__ import annotations

import math

from deploy.catalog_view import catalog_models
from domain.serving import Precision
from simulate.memory import weight_bytes

GIB = 2**30
# Seconds vLLM needs before it reads weights (CUDA init, compile, CUDA graphs), and the rate it
# reads them at when they are pulled from the Hub into an empty cache (a cautious 250 MB/s).
ENGINE_INIT_S = 180
WEIGHT_LOAD_GB_PER_S = 0.25
STARTUP_SAFETY_FACTOR = 2.0
STARTUP_PERIOD_S = 10
STARTUP_CAP_S = 3 * 3600
CACHE_GIB = 10  # HOME, XDG and vLLM compile caches on an emptyDir
HOST_MEMORY_FACTOR = 1.2  # staging the weights in host memory, plus the engine's own


def checkpoint_weight_bytes(model: str, params_b: float, precision: Precision) -> float:
    """Bytes of a checkpoint's weights as stored.

    Args:
        model: Hugging Face id (a catalog model is counted with its architecture).
        params_b: Parameters, billions (used alone for models outside the catalog).
        precision: Precision the weights are stored at.

    Returns:
        Bytes.
    """
    spec = catalog_models().get(model)
    if spec is not None:
        return weight_bytes(spec, precision)
    return params_b * 1e9 * precision.bytes_per_param


def startup_failure_threshold(weights_bytes: float, tensor_parallel: int) -> int:
    """Size the startup probe so a cold start that pulls the weights is not killed.

    Args:
        weights_bytes: Bytes of the checkpoint.
        tensor_parallel: GPUs per replica (each reads its shard, but the pull is shared).

    Returns:
        Probe failures allowed at ``STARTUP_PERIOD_S`` before the container is restarted.
    """
    load_s = ENGINE_INIT_S + 15 * tensor_parallel + weights_bytes / 1e9 / WEIGHT_LOAD_GB_PER_S
    budget_s = min(STARTUP_CAP_S, load_s * STARTUP_SAFETY_FACTOR)
    return max(30, math.ceil(budget_s / STARTUP_PERIOD_S))


def host_memory_gib(weights_bytes: float) -> int:
    """Host memory a replica needs to stage its weights, GiB (at least 16).

    Args:
        weights_bytes: Bytes of the checkpoint.

    Returns:
        GiB to request per replica.
    """
    return min(4096, max(16, math.ceil(weights_bytes / GIB * HOST_MEMORY_FACTOR)))


def ephemeral_gib(weights_bytes: float, *, cached: bool) -> int:
    """Scratch space per replica, GiB: the caches, plus the weights when they are downloaded.

    Args:
        weights_bytes: Bytes of the checkpoint.
        cached: Whether the weights come from a mounted cache (no download).

    Returns:
        GiB of ephemeral storage to request.
    """
    if cached:
        return CACHE_GIB
    return CACHE_GIB + math.ceil(weights_bytes / GIB * 1.1)


def cpu_cores(gpus: int) -> int:
    """CPU cores for a pod of ``gpus`` GPUs: 4 per GPU (a vLLM worker process each, with its
    tokenizer and scheduler threads) and 2 for the API server, at most 256."""
    return min(256, 4 * gpus + 2)


def shm_gib(gpus: int) -> int:
    """/dev/shm for a pod of ``gpus`` GPUs: vLLM's workers exchange tensors through shared
    memory (NCCL), so every multi-GPU pod gets 4 GiB per GPU up to 64; none for one GPU.

    Args:
        gpus: GPUs of one pod.

    Returns:
        GiB (0 = no volume).
    """
    return 0 if gpus == 1 else min(64, 4 * gpus)
