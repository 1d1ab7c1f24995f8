"""Where a GPU lives in Kubernetes: its vendor's extended resource and the node labels of its model.

NVIDIA: ``nvidia.com/gpu`` and GPU Feature Discovery's ``nvidia.com/gpu.product`` (the product
name the driver reports, spaces as dashes). AMD: ``amd.com/gpu`` and the device plugin's node
labeller ``amd.com/gpu.product-name``. Intel Gaudi: ``habana.ai/gaudi``, with no standard product
label (the resource alone places the pod). Catalog GPUs missing from the table get no node
selector; operators with other labels pass their own table to :func:`deploy.plan.plan_for`.

This module must not render or read settings.
"""

from __future__ import annotations

from enum import StrEnum

from domain.recommendation import RecommendedOption


class GpuVendor(StrEnum):
    """Who made the GPU, which decides the extended resource name."""

    NVIDIA = "nvidia"
    AMD = "amd"
    INTEL = "intel"


GPU_RESOURCE = {
    GpuVendor.NVIDIA: "nvidia.com/gpu",
    GpuVendor.AMD: "amd.com/gpu",
    GpuVendor.INTEL: "habana.ai/gaudi",
}

# Node labels per catalog GPU. NVIDIA: GPU Feature Discovery's `nvidia.com/gpu.product` (the
# product name as the driver reports it, spaces as dashes). AMD: the device plugin's node
# labeller `amd.com/gpu.product-name`. Gaudi: no product label is standard; the resource alone
# places the pod. GPUs missing here get no selector — the GPU resource still places them.
NODE_PRODUCT_LABELS: dict[str, tuple[str, str]] = {
    "H100-SXM-80GB": ("nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3"),
    "H100-PCIe-80GB": ("nvidia.com/gpu.product", "NVIDIA-H100-PCIe"),
    "H100-NVL-94GB": ("nvidia.com/gpu.product", "NVIDIA-H100-NVL"),
    "H200-SXM-141GB": ("nvidia.com/gpu.product", "NVIDIA-H200"),
    "H200-NVL-141GB": ("nvidia.com/gpu.product", "NVIDIA-H200-NVL"),
    "B200-SXM-180GB": ("nvidia.com/gpu.product", "NVIDIA-B200"),
    "A100-SXM-80GB": ("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-80GB"),
    "A100-PCIe-80GB": ("nvidia.com/gpu.product", "NVIDIA-A100-80GB-PCIe"),
    "A100-SXM-40GB": ("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"),
    "A100-PCIe-40GB": ("nvidia.com/gpu.product", "NVIDIA-A100-PCIE-40GB"),
    "A30": ("nvidia.com/gpu.product", "NVIDIA-A30"),
    "L4": ("nvidia.com/gpu.product", "NVIDIA-L4"),
    "L40S": ("nvidia.com/gpu.product", "NVIDIA-L40S"),
    "A10G": ("nvidia.com/gpu.product", "NVIDIA-A10G"),
    "T4": ("nvidia.com/gpu.product", "Tesla-T4"),
    "MI300X": ("amd.com/gpu.product-name", "AMD_Instinct_MI300X_OAM"),
    "MI325X": ("amd.com/gpu.product-name", "AMD_Instinct_MI325X_OAM"),
}

_FAMILY_VENDOR = {"MI": GpuVendor.AMD, "Gaudi": GpuVendor.INTEL, "Intel": GpuVendor.INTEL}


def vendor_of(option: RecommendedOption) -> GpuVendor:
    """Return the GPU vendor of an option, from its GPU family.

    Args:
        option: The chosen option.

    Returns:
        NVIDIA unless the family is an AMD Instinct or Intel Gaudi/Max part.
    """
    for prefix, vendor in _FAMILY_VENDOR.items():
        if option.gpu_family.startswith(prefix):
            return vendor
    return GpuVendor.NVIDIA
