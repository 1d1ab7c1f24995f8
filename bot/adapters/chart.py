"""The cost vs p95 latency chart of a recommendation's options, as PNG bytes, made for a thread.

A chat client shows the picture about 400–500 px wide, so it is drawn at twice that (200 dpi),
with labels of 11 pt or more. Each option is a numbered disc (green circle: meets every SLO;
red square: misses one), explained in a legend with its model, GPUs, precision and cost, so no
label sits on the plot to collide with another. The recommended option (1) is ringed and named
in the legend, the latency target is a dashed line, and the cost/latency Pareto front is drawn
through the options that really are on it (no other option is both cheaper and faster).

The only module allowed to import matplotlib. It imports it lazily, inside
:func:`cost_latency_png`, with the Agg backend and a figure of its own (no pyplot global state),
so commands that never draw start fast and charts can be drawn from several threads. It must not
do any I/O.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from bot.conversation.wording import format_ms, format_usd, short_model
from domain.recommendation import Recommendation, RecommendedOption
from domain.requirements import SloMetric, SloTarget

DPI = 200
FIGURE_INCHES = (6.4, 5.2)
LABEL_PT = 11
_MEETS = "#1b5e20"
_MISSES = "#b71c1c"
_TARGET = "#37474f"


def pareto_front(options: Sequence[RecommendedOption]) -> list[int]:
    """Indexes of the options no other option beats on both monthly cost and TTFT p95.

    Args:
        options: The options.

    Returns:
        Indexes into ``options``, cheapest first; an option with no price is on no front.
    """
    points = {
        i: (o.monthly_cost_usd, o.predicted.ttft_ms_p95)
        for i, o in enumerate(options)
        if o.monthly_cost_usd is not None
    }
    front = [
        i
        for i, (cost, ttft) in points.items()
        if not any(
            c <= cost and t <= ttft and (c, t) != (cost, ttft)
            for j, (c, t) in points.items()
            if j != i
        )
    ]
    return sorted(front, key=lambda i: points[i])


def cost_latency_png(recommendation: Recommendation, *, targets: Sequence[SloTarget] = ()) -> bytes:
    """Draw monthly cost against predicted TTFT p95, one numbered point per option.

    Args:
        recommendation: The options to draw.
        targets: The latency targets; a TTFT target is drawn as a dashed line.

    Returns:
        A PNG image, 1280 × 1040 pixels.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator

    options = recommendation.options
    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_axes((0.15, 0.46, 0.8, 0.46))
    front = pareto_front(options)
    if len(front) > 1:
        axes.plot(
            [options[i].predicted.ttft_ms_p95 for i in front],
            [options[i].monthly_cost_usd or 0.0 for i in front],
            color="#90a4ae",
            linestyle=":",
            linewidth=1.5,
            zorder=1,
        )
    handles: list[Any] = []
    seen: dict[tuple[float, float], int] = {}
    for number, option in enumerate(options, 1):
        x, cost = option.predicted.ttft_ms_p95, option.monthly_cost_usd
        colour, marker = (_MEETS, "o") if option.meets_slo else (_MISSES, "s")
        if cost is None:  # no price on the basis: listed, not plotted
            handles.append(_entry(number, colour, _legend_label(number, option) + " (not plotted)"))
            continue
        y = cost
        if number == 1:
            axes.scatter([x], [y], s=620, facecolors="none", edgecolors="#f9a825", linewidths=3)
        axes.scatter([x], [y], s=300, color=colour, marker=marker, zorder=3)
        shift = seen.get((x, y), 0)
        seen[(x, y)] = shift + 1
        axes.annotate(
            str(number),
            (x, y),
            xytext=(shift * 14, shift * 14),
            textcoords="offset points",
            ha="center",
            va="center",
            color="white" if not shift else colour,
            fontsize=LABEL_PT,
            fontweight="bold",
            zorder=4,
        )
        handles.append(_entry(number, colour, _legend_label(number, option)))
    ttft = next((t for t in targets if t.metric is SloMetric.TTFT), None)
    if ttft is not None:
        axes.axvline(ttft.ms, color=_TARGET, linestyle="--", linewidth=1.5)
        label = f"target TTFT p{ttft.percentile} ≤ {format_ms(ttft.ms)}"
        handles.append(Line2D([], [], color=_TARGET, linestyle="--", label=label))
    latencies = [o.predicted.ttft_ms_p95 for o in options if o.monthly_cost_usd is not None]
    latencies += [ttft.ms] if ttft else []
    if latencies and min(latencies) > 0 and max(latencies) / min(latencies) > 4:
        axes.set_xscale("log")
        axes.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: format_ms(value)))
        axes.xaxis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
    if len(front) > 1:
        handles.append(
            Line2D([], [], color="#90a4ae", linestyle=":", label="cheapest for its speed")
        )
    axes.set_xlabel("TTFT p95, predicted", fontsize=LABEL_PT)
    axes.set_ylabel("Cost per month (USD)", fontsize=LABEL_PT)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"${value:,.0f}"))
    axes.tick_params(labelsize=LABEL_PT)
    axes.set_title("Options: monthly cost vs first-token latency", fontsize=LABEL_PT + 2)
    axes.grid(True, alpha=0.3)
    axes.margins(0.15)
    figure.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.02, 0.01),
        fontsize=LABEL_PT,
        frameon=False,
        handletextpad=0.6,
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _entry(number: int, colour: str, label: str) -> Any:
    """A legend line whose marker is the option's number."""
    from matplotlib.lines import Line2D

    return Line2D(
        [], [], linestyle="", marker=f"${number}$", markersize=9, color=colour, label=label
    )


def _legend_label(number: int, option: RecommendedOption) -> str:
    label = (
        f"{short_model(option.model)}, {option.total_gpus}×{option.gpu} {option.precision}, "
        f"{format_usd(option.monthly_cost_usd)}/mo"
    )
    if len(label) > 56:
        label = label[:55] + "…"
    return label + (" ← recommended" if number == 1 else "")
