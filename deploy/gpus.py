"""Where a GPU lives in Kubernetes: its software platform, CPU architecture, resource and labels.

The vendor is the catalog's (:attr:`domain.catalog.GpuSpec.vendor`); this module never guesses it
from a name. From the vendor and the family follow:

- the **platform** vLLM runs on — CUDA (NVIDIA), ROCm (AMD), HPU (Intel Gaudi, through the
  vllm-gaudi plugin) or XPU (Intel Data Center GPU Max) — which decides the image and the
  quantization methods that exist (see :mod:`deploy.preflight`);
- the **extended resource** the device plugin advertises: ``nvidia.com/gpu`` (NVIDIA device
  plugin), ``amd.com/gpu`` (ROCm k8s-device-plugin), ``habana.ai/gaudi`` (Habana device plugin),
  and ``gpu.intel.com/i915`` or ``gpu.intel.com/xe`` for Intel GPUs (intel-device-plugins-for-
  kubernetes, GPU plugin: i915 for the i915 kernel driver, xe for the xe driver);
- the **CPU architecture** of the node: GH200, GB200 and GB300 pair the GPU with an Arm Neoverse
  Grace CPU (NVIDIA Grace Hopper / Grace Blackwell datasheets), so their nodes are ``arm64``.

Node labels per catalog GPU (GPU Feature Discovery's ``nvidia.com/gpu.product``, AMD's node
labeller ``amd.com/gpu.product-name``) are a default table the operator overrides per cluster
(GKE, MIG and Azure label differently) through the settings.

This module must not render or read settings.
"""

from __future__ import annotations

from enum import StrEnum

from deploy.catalog_view import catalog_gpus
from domain.catalog import GpuSpec
from domain.errors import InvalidInputError, UnknownNameError
from knowledge.catalog import closest_names


class GpuVendor(StrEnum):
    """Who made the GPU (the catalog's ``vendor`` column, lower-cased)."""

    NVIDIA = "nvidia"
    AMD = "amd"
    INTEL = "intel"


class Platform(StrEnum):
    """The accelerator software stack vLLM runs on; each has its own image and kernels."""

    CUDA = "cuda"
    ROCM = "rocm"
    HPU = "hpu"  # Intel Gaudi (vllm-gaudi plugin)
    XPU = "xpu"  # Intel GPUs (Data Center GPU Max)


class Arch(StrEnum):
    """CPU architecture of the GPU's node (``kubernetes.io/arch``)."""

    AMD64 = "amd64"
    ARM64 = "arm64"


# Families whose GPU sits beside a Grace (Arm Neoverse V2) CPU: the node is arm64.
GRACE_FAMILIES = frozenset({"GH200", "GB200", "GB300"})
INTEL_GPU_RESOURCES = ("gpu.intel.com/i915", "gpu.intel.com/xe")

PLATFORM_RESOURCE = {
    Platform.CUDA: "nvidia.com/gpu",
    Platform.ROCM: "amd.com/gpu",
    Platform.HPU: "habana.ai/gaudi",
    Platform.XPU: "gpu.intel.com/i915",
}

# Node labels per catalog GPU. NVIDIA: GPU Feature Discovery's `nvidia.com/gpu.product` (the
# product name as the driver reports it, spaces as dashes). AMD: the device plugin's node
# labeller `amd.com/gpu.product-name`. Gaudi and Intel GPUs: no product label is standard; the
# resource alone places the pod. GPUs missing here get no product selector.
NODE_PRODUCT_LABELS: dict[str, dict[str, str]] = {
    "H100-SXM-80GB": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
    "H100-PCIe-80GB": {"nvidia.com/gpu.product": "NVIDIA-H100-PCIe"},
    "H100-NVL-94GB": {"nvidia.com/gpu.product": "NVIDIA-H100-NVL"},
    "H200-SXM-141GB": {"nvidia.com/gpu.product": "NVIDIA-H200"},
    "H200-NVL-141GB": {"nvidia.com/gpu.product": "NVIDIA-H200-NVL"},
    "B200-SXM-180GB": {"nvidia.com/gpu.product": "NVIDIA-B200"},
    "A100-SXM-80GB": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"},
    "A100-PCIe-80GB": {"nvidia.com/gpu.product": "NVIDIA-A100-80GB-PCIe"},
    "A100-SXM-40GB": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB"},
    "A100-PCIe-40GB": {"nvidia.com/gpu.product": "NVIDIA-A100-PCIE-40GB"},
    "A30": {"nvidia.com/gpu.product": "NVIDIA-A30"},
    "L4": {"nvidia.com/gpu.product": "NVIDIA-L4"},
    "L40S": {"nvidia.com/gpu.product": "NVIDIA-L40S"},
    "A10G": {"nvidia.com/gpu.product": "NVIDIA-A10G"},
    "T4": {"nvidia.com/gpu.product": "Tesla-T4"},
    "MI300X": {"amd.com/gpu.product-name": "AMD_Instinct_MI300X_OAM"},
    "MI325X": {"amd.com/gpu.product-name": "AMD_Instinct_MI325X_OAM"},
}


def gpu_spec(name: str) -> GpuSpec:
    """Return the catalog entry of a GPU name.

    Args:
        name: A catalog GPU name, e.g. ``H100-SXM-80GB``.

    Returns:
        Its spec.

    Raises:
        UnknownNameError: When the catalog has no such GPU.
    """
    gpus = catalog_gpus()
    if name not in gpus:
        raise UnknownNameError("GPU", name, closest_names(name, gpus))
    return gpus[name]


def vendor_of(gpu: GpuSpec) -> GpuVendor:
    """Return the catalog's vendor of a GPU as an enum.

    Args:
        gpu: The catalog entry.

    Returns:
        Its vendor.

    Raises:
        InvalidInputError: When the catalog names a vendor Preflight cannot deploy to.
    """
    try:
        return GpuVendor(gpu.vendor.lower())
    except ValueError as exc:
        raise InvalidInputError(
            f"GPU {gpu.name} has vendor {gpu.vendor!r}, not deployable"
        ) from exc


def platform_of(gpu: GpuSpec) -> Platform:
    """Return the software platform vLLM uses on a GPU.

    Args:
        gpu: The catalog entry.

    Returns:
        CUDA, ROCm, HPU (Gaudi) or XPU (other Intel GPUs).
    """
    vendor = vendor_of(gpu)
    if vendor is GpuVendor.NVIDIA:
        return Platform.CUDA
    if vendor is GpuVendor.AMD:
        return Platform.ROCM
    return Platform.HPU if gpu.family.value.startswith("Gaudi") else Platform.XPU


def arch_of(gpu: GpuSpec) -> Arch:
    """Return the CPU architecture of the nodes a GPU is in.

    Args:
        gpu: The catalog entry.

    Returns:
        arm64 for Grace-based superchips, amd64 otherwise.
    """
    return Arch.ARM64 if gpu.family.value in GRACE_FAMILIES else Arch.AMD64


def resource_of(platform: Platform, *, intel_gpu_resource: str = INTEL_GPU_RESOURCES[0]) -> str:
    """Return the extended resource a platform's device plugin advertises.

    Args:
        platform: The platform.
        intel_gpu_resource: For XPU, ``gpu.intel.com/i915`` or ``gpu.intel.com/xe`` (the
            kernel driver of the cluster's Intel GPU nodes).

    Returns:
        The resource name.

    Raises:
        InvalidInputError: When the Intel resource is neither of the two.
    """
    if platform is not Platform.XPU:
        return PLATFORM_RESOURCE[platform]
    if intel_gpu_resource not in INTEL_GPU_RESOURCES:
        raise InvalidInputError(
            f"unknown Intel GPU resource {intel_gpu_resource!r}",
            hint=" or ".join(INTEL_GPU_RESOURCES),
        )
    return intel_gpu_resource
