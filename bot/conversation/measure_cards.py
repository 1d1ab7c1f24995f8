"""The cards of the learning loop: predicted against measured, and drift of a running deployment.

Pure functions from domain values to :class:`~bot.conversation.replies.Reply`; wording and
layout only. They must not measure, ingest or query anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.deploy_cards import measure_choice
from bot.conversation.replies import Choice, Field, Reply, ReplyKind, Table, Tone
from deploy.measure_job import BAND, MetricComparison
from domain.benchmarks import BenchmarkRecord
from domain.recommendation import RecommendedOption


def measurement_card(
    option: RecommendedOption,
    record: BenchmarkRecord,
    comparisons: Sequence[MetricComparison],
) -> Reply:
    """Predicted against measured for a deployment just measured with GuideLLM.

    Args:
        option: The recommended option that was deployed (its prediction).
        record: The measured run, as ingested (its id and provenance are cited).
        comparisons: One per metric (see :func:`deploy.measure_job.compare`).

    Returns:
        The card.
    """
    outside = [c for c in comparisons if c.verdict != "inside"]
    verdicts = {c.verdict for c in outside}
    if not outside:
        verdict = f"every measured percentile inside the predicted band (±{BAND:.0%})"
    elif len(outside) == len(comparisons) and len(verdicts) == 1:
        verdict = (
            f"every measured percentile {outside[0].verdict} than predicted (beyond ±{BAND:.0%})"
        )
    else:
        verdict = ", ".join(f"{c.metric} {c.verdict} than predicted" for c in outside)
    source, path = record.provenance.source_id, record.provenance.source_path
    where = path if path.startswith(f"{source}:") else f"{source}: {path}"
    rows = tuple(
        (c.metric, f"{c.predicted:,.1f} ms", f"{c.measured:,.1f} ms", c.verdict)
        for c in comparisons
    )
    throughput = (
        f"{record.output_tok_per_s:,.0f} output tok/s at {record.load_value:g} in flight"
        if record.output_tok_per_s is not None and record.load_value is not None
        else "not reported"
    )
    return Reply(
        kind=ReplyKind.COMPARISON,
        text=f"Measured {option.model} on {option.total_gpus}× {option.gpu}: {verdict}.",
        fields=(
            Field(label="Measured throughput", value=throughput),
            Field(
                label="Recorded as",
                value=f"{record.id} [{where}]; the next calibration includes it",
            ),
        ),
        tables=(
            Table(
                title="Predicted vs measured",
                columns=("metric", "predicted", "measured", "verdict"),
                rows=rows,
            ),
        ),
        choices=(Choice(label="Recheck", value="recheck"),),
    )


def drift_card(message: str) -> Reply:
    """The Day-2 watch's one message about a drift: what is over, the likely cause, the fix.

    Args:
        message: The drift in words (see :class:`deploy.drift_watch.Drift`).

    Returns:
        The card, with a "Measure it" button to check the deployment under its planned load.
    """
    return Reply(
        kind=ReplyKind.STATUS,
        tone=Tone.WARNING,
        text=f"Day-2 watch: {message}",
        summary=message,
        choices=(measure_choice(),),
    )
