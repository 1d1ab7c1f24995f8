"""What an option costs a month: its price on the basis × the GPU-hours it runs.

A 24/7 service runs 730 h a month; a batch with a window only that window each day; an
autoscaled service of an organisation's people its peak replicas in busy hours and one replica
(its off-peak floor) the rest (:class:`recommend.demand.Demand`). This module does arithmetic
only; it never sizes or predicts.
"""

from __future__ import annotations

from domain.catalog import GpuSpec
from recommend.demand import Demand


def cost_usd(
    gpu: GpuSpec, total_gpus: int, demand: Demand, tensor_parallel: int | None = None
) -> float | None:
    """Monthly cost of ``total_gpus`` GPUs for the hours the deployment runs.

    A service runs 730 h a month; a batch with a window runs only that window each day
    (:attr:`recommend.demand.Demand.hours_per_month`); an autoscaled service of an
    organisation's people runs its peak replicas in busy hours and one replica (its floor,
    ``tensor_parallel`` GPUs) the rest (:attr:`recommend.demand.Demand.busy_hours_per_month`).

    Args:
        gpu: The GPU (its price on the basis).
        total_gpus: GPUs across replicas at the peak.
        demand: The demand (hours a month).
        tensor_parallel: GPUs of one replica (the floor); ``total_gpus`` when None.

    Returns:
        USD a month, or None when the basis has no price for the GPU.
    """
    if gpu.price_usd_per_gpu_hr is None:
        return None
    busy = demand.busy_hours_per_month
    if busy is None:
        return gpu.price_usd_per_gpu_hr * total_gpus * demand.hours_per_month
    floor = min(total_gpus, tensor_parallel or total_gpus)
    gpu_hours = total_gpus * busy + floor * (demand.hours_per_month - busy)
    return gpu.price_usd_per_gpu_hr * gpu_hours


def gpu_hours(total_gpus: int, demand: Demand, tensor_parallel: int) -> float:
    """GPU-hours a month an option runs (see :func:`cost_usd`).

    Args:
        total_gpus: GPUs across replicas at the peak.
        demand: The demand.
        tensor_parallel: GPUs of one replica.

    Returns:
        GPU-hours.
    """
    busy = demand.busy_hours_per_month
    if busy is None:
        return total_gpus * demand.hours_per_month
    return total_gpus * busy + min(total_gpus, tensor_parallel) * (demand.hours_per_month - busy)


def affordable_replicas(
    budget: float, replica_hour_usd: float, hours: float, busy: float | None
) -> int:
    """Replicas a monthly budget pays for (one replica off-peak when autoscaled).

    Args:
        budget: USD a month.
        replica_hour_usd: Price of one replica for one hour.
        hours: Hours a month the deployment runs.
        busy: Busy hours a month when autoscaled to a floor of one replica, else None.

    Returns:
        How many replicas it pays for at the peak.
    """
    if busy is None:
        return int(budget // (replica_hour_usd * hours))
    return int((budget / replica_hour_usd - (hours - busy)) // busy)
