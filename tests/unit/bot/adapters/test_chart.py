"""The cost vs latency chart: a real PNG of every option, drawn with matplotlib's Agg backend."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from bot.adapters.chart import cost_latency_png
from tests.unit.bot.factories import make_option, make_recommendation

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "count", [pytest.param(1, id="one-option"), pytest.param(5, id="five-options")]
)
def test_chart_is_a_png_image(count: int) -> None:
    options = [make_option(monthly_cost_usd=1000.0 * (n + 1)) for n in range(count)]
    png = cost_latency_png(make_recommendation(*options))
    assert png.startswith(PNG_MAGIC)
    from matplotlib.image import imread

    assert imread(io.BytesIO(png)).shape[:2] == (400, 640)


def test_importing_the_chart_module_does_not_import_matplotlib() -> None:
    code = (
        "import sys, bot.adapters.chart, bot.conversation.flow; print('matplotlib' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
