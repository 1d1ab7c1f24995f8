"""Hard rules: each a named function that returns why something cannot work, or None.

Rules apply at four levels — a model family, a GPU, one configuration, a sized option — and
their reasons are written for the person who asked, with the numbers that decide. Rules never
rank and never predict latency; capacity and SLO checks live in :mod:`recommend.capacity`.

Unpriced GPUs: a GPU the price basis has no price for cannot be costed or compared, so it is
left out (with that reason), unless no budget is stated and either the operator's inventory
holds it (owned hardware), the requirements name it exactly, or they name its family and no GPU
of that family has a price; it is then shown with "no price" (never $0) and a reason.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.catalog import GpuSpec, LicenseClass, ModelSpec
from domain.requirements import LicenseStance, QuantizationStance, Requirements, Task
from domain.serving import MemoryFit, Precision
from knowledge.catalog import gpu_family_of
from recommend.candidates import ModelFamily, fits_task

Inventory = Mapping[str, int]


def params_bounds(model: ModelSpec, requirements: Requirements) -> str | None:
    """Model size within the stated bounds.

    Args:
        model: The checkpoint.
        requirements: The requirements (min/max params).

    Returns:
        Why not, or None.
    """
    low, high = requirements.min_params_b, requirements.max_params_b
    if low is not None and model.params_b < low:
        return f"{model.params_b:g}B parameters is under the stated minimum of {low:g}B"
    if high is not None and model.params_b > high:
        return f"{model.params_b:g}B parameters is over the stated maximum of {high:g}B"
    return None


def license_allowed(model: ModelSpec, requirements: Requirements) -> str | None:
    """Model licence acceptable (permissive = Apache-2.0 or MIT only).

    Args:
        model: The checkpoint.
        requirements: The requirements (licence stance).

    Returns:
        Why not, or None.
    """
    stance = requirements.license
    if stance == LicenseStance.PERMISSIVE and model.license_class != LicenseClass.PERMISSIVE:
        return f"licence {model.license} is not Apache-2.0 or MIT"
    if model.license_class == LicenseClass.RESTRICTED:
        return f"licence {model.license} does not allow commercial serving"
    return None


def context_length(model: ModelSpec, context_tokens: int) -> str | None:
    """The model's context window holds the longest request.

    Args:
        model: The checkpoint.
        context_tokens: Prompt + answer tokens (or the stated minimum context).

    Returns:
        Why not, or None.
    """
    if model.max_context < context_tokens:
        return (
            f"context window of {model.max_context:,} tokens is shorter than the "
            f"{context_tokens:,} tokens a request needs"
        )
    return None


def task_fit(family: ModelFamily, task: Task) -> str | None:
    """The model family is tagged for the task (only checked when no model is named).

    Args:
        family: The family.
        task: The task.

    Returns:
        Why not, or None.
    """
    return None if fits_task(family, task) else f"not tagged as fit for {task.value}"


def gpu_family_allowed(gpu: GpuSpec, requirements: Requirements) -> str | None:
    """The GPU's family is one the requirements allow.

    Args:
        gpu: The GPU.
        requirements: The requirements (GPU families).

    Returns:
        Why not, or None.
    """
    allowed = list(requirements.gpu_families)
    if not allowed and requirements.gpus:
        allowed = [gpu_family_of(name) for name in requirements.gpus]
    if allowed and gpu.family not in allowed:
        names = ", ".join(family.value for family in allowed)
        return f"{gpu.family.value} is not among the allowed GPU families ({names})"
    return None


def exact_gpu_allowed(gpu: GpuSpec, families: Mapping[str, str]) -> str | None:
    """Within a family the requirements name exact GPU models of, only those models.

    Args:
        gpu: The GPU.
        families: Family value → the exact models named in it (comma-joined).

    Returns:
        Why not, or None.
    """
    named = families.get(gpu.family.value)
    if named is None or gpu.name in named.split(", "):
        return None
    return f"the requirements name {named} exactly, not {gpu.name}"


def exact_families(requirements: Requirements, gpus: Mapping[str, GpuSpec]) -> dict[str, str]:
    """The families of the exact GPU models the requirements name, each with those models.

    Args:
        requirements: The requirements (``gpus``).
        gpus: The GPU catalog.

    Returns:
        Family value → the exact models named in it, comma-joined.
    """
    result: dict[str, list[str]] = {}
    for name in requirements.gpus:
        if name in gpus:
            result.setdefault(gpus[name].family.value, []).append(name)
    return {family: ", ".join(names) for family, names in result.items()}


def inventory_count(gpu: GpuSpec, inventory: Inventory | None) -> int | None:
    """How many GPUs of this kind the operator's inventory holds (None: no inventory set).

    Args:
        gpu: The GPU.
        inventory: GPU name or family → count.

    Returns:
        The count, 0 when the inventory does not list it, None when there is no inventory.
    """
    if inventory is None:
        return None
    if gpu.name in inventory:
        return inventory[gpu.name]
    return inventory.get(gpu.family.value, 0)


def gpu_allowed(gpu: GpuSpec, allowed: frozenset[str] | None) -> str | None:
    """The operator allows this GPU here (a tenant's or the install's list of names or families).

    Args:
        gpu: The GPU.
        allowed: Catalog GPU names or families; None means any.

    Returns:
        Why not, or None.
    """
    if allowed is None or gpu.name in allowed or gpu.family.value in allowed:
        return None
    return f"{gpu.name} is not among the GPUs allowed here"


def in_inventory(gpu: GpuSpec, inventory: Inventory | None, needed: int = 1) -> str | None:
    """The operator's inventory holds ``needed`` GPUs of this kind.

    Args:
        gpu: The GPU.
        inventory: GPU name or family → count; None means no inventory is set.
        needed: GPUs the option needs.

    Returns:
        Why not, or None.
    """
    have = inventory_count(gpu, inventory)
    if have is None or have >= needed:
        return None
    if have == 0:
        return f"the GPU inventory has no {gpu.name}"
    return f"needs {needed} × {gpu.name}, the GPU inventory has {have}"


def priced(
    gpu: GpuSpec, requirements: Requirements, inventory: Inventory | None, family_priced: bool
) -> str | None:
    """The GPU has a price, or is owned or the only kind of a named family, and no budget.

    Args:
        gpu: The GPU.
        requirements: The requirements (GPU families, budget).
        inventory: The operator's inventory.
        family_priced: Whether another GPU of the same family has a price (then that one
            stands for the family and this one is left out).

    Returns:
        Why not, or None.
    """
    if gpu.price_usd_per_gpu_hr is not None:
        return None
    if requirements.budget_usd_month is not None:
        return f"no price for {gpu.name} on the price basis, so the budget cannot be checked"
    named_only_kind = gpu.family in requirements.gpu_families and not family_priced
    if named_only_kind or gpu.name in requirements.gpus or inventory_count(gpu, inventory):
        return None
    return f"no price for {gpu.name} on the price basis (choose another basis or a price file)"


def quantization_allowed(
    model: ModelSpec, precision: Precision, stance: QuantizationStance | None
) -> str | None:
    """The precision is within the quantization stance.

    Args:
        model: The checkpoint served.
        precision: Its weight precision.
        stance: allowed, 8bit, forbidden, or None (not stated: down to 8 bits and pre-quantized
            checkpoints at their own precision).

    Returns:
        Why not, or None.
    """
    bits = precision.bytes_per_param * 8
    if stance == QuantizationStance.FORBIDDEN and bits < 16:
        return f"{precision.value} weights, but quantization is ruled out (16-bit only)"
    if stance == QuantizationStance.EIGHT_BIT and bits < 8:
        return f"{precision.value} weights are under the 8-bit floor"
    if stance is None and bits < 8 and model.native_precision != precision.value:
        return f"{precision.value} quantization was not allowed (say so to consider 4-bit)"
    return None


def gpu_ceiling(total_gpus: int, requirements: Requirements) -> str | None:
    """The option stays within the stated ceiling on GPUs.

    Args:
        total_gpus: GPUs the option needs across replicas.
        requirements: The requirements (max GPUs).

    Returns:
        Why not, or None.
    """
    cap = requirements.max_gpus
    if cap is not None and total_gpus > cap:
        return f"needs {total_gpus} GPUs, the ceiling is {cap}"
    return None


def memory(fit: MemoryFit) -> str | None:
    """Weights, runtime and one full-length sequence fit in GPU memory.

    Args:
        fit: The simulator's memory fit of the configuration.

    Returns:
        Why not, or None.
    """
    return None if fit.fits else fit.reason or "does not fit in GPU memory"


def budget(monthly_cost_usd: float | None, requirements: Requirements) -> str | None:
    """The option costs no more than the monthly budget.

    Args:
        monthly_cost_usd: The option's monthly cost (None when unpriced).
        requirements: The requirements (budget).

    Returns:
        Why not, or None.
    """
    cap = requirements.budget_usd_month
    if cap is None:
        return None
    if monthly_cost_usd is None:
        return "no price known, so the budget cannot be checked"
    if monthly_cost_usd > cap:
        return f"costs ${monthly_cost_usd:,.0f}/month, over the ${cap:,.0f} budget"
    return None
