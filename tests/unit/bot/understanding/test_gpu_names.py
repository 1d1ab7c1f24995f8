"""Memory sizes and form factors pin exact catalog GPUs."""

from __future__ import annotations

import pytest

from bot.understanding.gpu_names import pinned_models
from domain.requirements import GpuFamily


@pytest.mark.parametrize(
    ("family", "written", "models"),
    [
        pytest.param(GpuFamily.A100, "a100 80gb", ("A100-SXM-80GB", "A100-PCIe-80GB"), id="memory"),
        pytest.param(GpuFamily.H100, "h100 sxm", ("H100-SXM-80GB",), id="sxm"),
        pytest.param(GpuFamily.H100, "h100 pcie", ("H100-PCIe-80GB",), id="pcie"),
        pytest.param(GpuFamily.H200, "h200 nvl", ("H200-NVL-141GB",), id="nvl"),
        pytest.param(GpuFamily.A100, "a100 pcie 80gb", ("A100-PCIe-80GB",), id="both"),
        pytest.param(GpuFamily.H100, "h100s", (), id="family-only"),
    ],
)
def test_pins(family: GpuFamily, written: str, models: tuple[str, ...]) -> None:
    assert pinned_models(family, written).models == models


def test_a_pin_the_catalog_lacks_is_not_understood() -> None:
    pinned = pinned_models(GpuFamily.A100, "a100 32gb")

    assert pinned.models == ()
    assert pinned.unknown == "a100 32gb"
    assert "A100-SXM-40GB" in pinned.closest
