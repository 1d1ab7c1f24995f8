"""Cost: monthly spend of a deployment and what a million output tokens cost on it.

A month is 730 hours (8,760 / 12). Prices are per GPU-hour on demand, from the GPU catalog or an
operator's price file; an unpriced GPU gives ``None``, never a guess. No I/O here.
"""

from __future__ import annotations

from domain.catalog import GpuSpec

HOURS_PER_MONTH = 730.0


def monthly_cost_usd(gpu: GpuSpec, total_gpus: int) -> float | None:
    """GPU-hours × price × 730 for ``total_gpus`` GPUs running all month.

    Args:
        gpu: The GPU (its on-demand price).
        total_gpus: GPUs in the deployment (replicas × tensor parallel).

    Returns:
        USD per month, or None when the GPU has no price.
    """
    if gpu.price_usd_per_gpu_hr is None:
        return None
    return gpu.price_usd_per_gpu_hr * total_gpus * HOURS_PER_MONTH


def cost_per_million_tokens(gpu: GpuSpec, total_gpus: int, output_tok_per_s: float) -> float | None:
    """USD per million output tokens when the deployment produces ``output_tok_per_s``.

    Args:
        gpu: The GPU.
        total_gpus: GPUs in the deployment.
        output_tok_per_s: Output tokens per second of the whole deployment.

    Returns:
        USD per million output tokens, or None when unpriced or idle.
    """
    if gpu.price_usd_per_gpu_hr is None or output_tok_per_s <= 0:
        return None
    usd_per_s = gpu.price_usd_per_gpu_hr * total_gpus / 3600.0
    return usd_per_s / output_tok_per_s * 1e6
