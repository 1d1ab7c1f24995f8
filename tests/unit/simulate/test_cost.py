"""Cost: monthly spend and cost per million tokens."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalog import GpuSpec
from simulate.cost import HOURS_PER_MONTH, cost_per_million_tokens, monthly_cost_usd


def test_monthly_cost_is_gpu_hours_times_price(gpus: dict[str, GpuSpec]) -> None:
    assert monthly_cost_usd(gpus["H100-SXM-80GB"], 8) == pytest.approx(12.29 * 8 * 730)
    assert HOURS_PER_MONTH == 730.0


def test_unpriced_gpu_has_no_cost(gpus: dict[str, GpuSpec]) -> None:
    unpriced = next(g for g in gpus.values() if g.price_usd_per_gpu_hr is None)
    assert monthly_cost_usd(unpriced, 4) is None
    assert cost_per_million_tokens(unpriced, 4, 1000.0) is None


def test_cost_per_million_tokens(gpus: dict[str, GpuSpec]) -> None:
    # one L4 at $0.8048/h producing 1,000 tok/s: 3.6 M tokens per hour
    assert cost_per_million_tokens(gpus["L4"], 1, 1000.0) == pytest.approx(0.8048 / 3.6)
    assert cost_per_million_tokens(gpus["L4"], 1, 0.0) is None


@given(count=st.integers(min_value=1, max_value=512), factor=st.integers(min_value=1, max_value=8))
def test_cost_scales_with_gpu_count(count: int, factor: int) -> None:
    from knowledge.catalog import load_gpus

    gpu = load_gpus()["A100-SXM-80GB"]
    one = monthly_cost_usd(gpu, count)
    many = monthly_cost_usd(gpu, count * factor)
    assert one is not None and many is not None
    assert many == pytest.approx(one * factor)
