"""The cost vs p95 latency chart of a recommendation's options, as PNG bytes.

The only module allowed to import matplotlib. It imports it lazily, inside :func:`cost_latency_png`,
with the Agg backend and a figure of its own (no pyplot global state), so commands that never
draw start fast and charts can be drawn from several threads. It must not do any I/O.
"""

from __future__ import annotations

import io

from domain.recommendation import Recommendation, RecommendedOption

_MEETS = "#2e7d32"
_MISSES = "#c62828"


def cost_latency_png(recommendation: Recommendation) -> bytes:
    """Draw monthly cost against predicted TTFT p95, one labelled point per option.

    Args:
        recommendation: The options to draw (points on the Pareto front are ringed).

    Returns:
        A PNG image.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for number, option in enumerate(recommendation.options, 1):
        x, y = option.predicted.ttft_ms_p95, option.monthly_cost_usd
        if y is None:
            continue  # no price on the basis: the card says so; a chart has no place for it
        colour = _MEETS if option.meets_slo else _MISSES
        axes.scatter([x], [y], s=60, color=colour, zorder=3)
        if number - 1 in recommendation.pareto:
            axes.scatter([x], [y], s=180, facecolors="none", edgecolors=colour, zorder=2)
        axes.annotate(
            _label(number, option), (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8
        )
    axes.set_xlabel("TTFT p95 (ms, predicted)")
    axes.set_ylabel("Cost (USD per month)")
    axes.set_title(
        "Options: cost vs latency (green meets the SLO; ringed: Pareto front)", fontsize=9
    )
    axes.grid(True, alpha=0.3)
    axes.margins(0.2)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _label(number: int, option: RecommendedOption) -> str:
    model = option.model.rsplit("/", 1)[-1]
    return f"{number}: {model}, {option.total_gpus}×{option.gpu_family} {option.precision}"
