"""The cost vs latency chart: a real 2× PNG drawn with matplotlib's Agg backend, for a thread."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from bot.adapters.chart import DPI, LABEL_PT, cost_latency_png, pareto_front
from domain.recommendation import PredictedMetrics
from domain.requirements import SloMetric, SloTarget
from tests.unit.bot.factories import make_option, make_recommendation

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _at(ttft_ms: float, cost: float) -> dict[str, object]:
    predicted = PredictedMetrics(
        ttft_ms_p50=ttft_ms / 2,
        ttft_ms_p95=ttft_ms,
        itl_ms_p50=20.0,
        itl_ms_p95=30.0,
        e2e_ms_p95=5000.0,
        output_tok_per_s=900.0,
    )
    return {"predicted": predicted, "monthly_cost_usd": cost}


@pytest.mark.parametrize(
    "count", [pytest.param(1, id="one-option"), pytest.param(5, id="five-options")]
)
def test_chart_is_a_png_at_twice_the_size_it_is_shown(count: int) -> None:
    options = [make_option(monthly_cost_usd=1000.0 * (n + 1)) for n in range(count)]
    target = SloTarget(metric=SloMetric.TTFT, ms=1000)
    png = cost_latency_png(make_recommendation(*options), targets=[target])
    assert png.startswith(PNG_MAGIC)
    from matplotlib.image import imread

    _height, width = imread(io.BytesIO(png)).shape[:2]
    assert width >= 1200  # shown ~500-600 px wide in a thread: at least 2×
    assert DPI >= 200 and LABEL_PT >= 11


def test_pareto_front_holds_only_options_nothing_beats_on_cost_and_latency() -> None:
    options = [
        make_option(**_at(55, 942)),  # cheapest
        make_option(**_at(73, 1197)),  # dominated by 2 (same cost, slower)
        make_option(**_at(51, 1197)),  # fastest
        make_option(**_at(85, 2394)),  # dominated
    ]
    assert pareto_front(options) == [0, 2]


def test_equal_options_are_both_on_the_front() -> None:
    options = [make_option(**_at(50, 1000)), make_option(**_at(50, 1000))]
    assert pareto_front(options) == [0, 1]


def test_importing_the_chart_module_does_not_import_matplotlib() -> None:
    code = (
        "import sys, bot.adapters.chart, bot.conversation.flow; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_option_without_a_price_is_listed_but_not_plotted_or_on_the_front() -> None:
    options = [make_option(**_at(55, 942)), make_option(monthly_cost_usd=None)]
    assert pareto_front(options) == [0]
    assert cost_latency_png(make_recommendation(*options)).startswith(PNG_MAGIC)


def test_a_chart_of_unpriced_options_only_still_draws() -> None:
    png = cost_latency_png(make_recommendation(make_option(monthly_cost_usd=None)))
    assert png.startswith(PNG_MAGIC)
