"""The before/after card of a what-if: option 1 side by side, then the new options.

A pure function from two recommendations to a :class:`~bot.conversation.replies.Reply`; it must
not change state or know about any channel.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.cards import (
    DETAILS_VALUE,
    deploy_choices,
    details_of,
    headline_of,
    options_table,
    slo_targets,
    what_if_choices,
)
from bot.conversation.replies import (
    Choice,
    ChoiceRole,
    Field,
    Reply,
    ReplyKind,
    Table,
    Tone,
)
from bot.conversation.wording import format_ms, format_usd, gpus, short_model, summarise
from domain.recommendation import Recommendation, RecommendedOption
from domain.requirements import Requirements, TaskDefaults


def comparison_card(
    before: Recommendation,
    after: Recommendation,
    *,
    changes: Sequence[str],
    requirements: Requirements,
    defaults: TaskDefaults | None = None,
) -> Reply:
    """A side-by-side of the top option before and after a what-if, then the new options.

    Args:
        before: The recommendation before the edit.
        after: The recommendation after it.
        changes: What changed, in words (e.g. ``traffic × 2``).
        requirements: The requirements after the edit.
        defaults: The task's defaults (latency targets where none was stated).

    Returns:
        The comparison reply.
    """
    change_text = ", ".join(changes)
    old = before.options[0] if before.feasible and before.options else None
    new = after.options[0] if after.options else None
    rows = tuple((label, _cell(old, label), _cell(new, label)) for label in _COMPARED if old or new)
    table = Table(
        title=f"Option 1 before → after ({change_text})",
        columns=("", "Before", "After"),
        rows=rows,
    )
    targets = slo_targets(requirements, defaults)
    if new is None:
        why = after.why_nothing_fits or "no configuration meets every requirement"
        text = f"With {change_text}, nothing fits: {why[:1].lower()}{why[1:]}"
        tone = Tone.WARNING
    else:
        head = headline_of(new, targets)
        text = f"With {change_text}: {head[:1].lower()}{head[1:]}"
        if not after.feasible and after.why_nothing_fits:
            why = after.why_nothing_fits
            text += f" It does not hold: {why[:1].lower()}{why[1:]}"
        tone = Tone.GOOD if new.meets_slo else Tone.WARNING
    if after.binding:
        text += f" What binds: {after.binding}."
    tables = (
        table,
        options_table(
            after.options, title="All options now", targets=targets, price_basis=after.price_basis
        ),
    )
    deploy = deploy_choices(after.options, shown=1) if new and after.feasible else ()
    return Reply(
        kind=ReplyKind.COMPARISON,
        tone=tone,
        text=text,
        summary=text,
        fields=(Field(label="Now", value=_now(requirements, after)),),
        tables=tables if new else (table,),
        details=details_of(after),
        choices=(
            *deploy,
            Choice(label="Show chart", value="chart", shows_more=True),
            Choice(label="How was this computed?", value=DETAILS_VALUE, role=ChoiceRole.DETAILS),
            *what_if_choices(requirements, new),
        ),
    )


def _now(requirements: Requirements, after: Recommendation) -> str:
    """The requirements now, with the what-if pins in force."""
    pins = (
        f" · pinned: {', '.join(after.pins)} (say 'clear pins' to drop them)" if after.pins else ""
    )
    return summarise(requirements) + pins


_COMPARED = (
    "Model",
    "GPUs",
    "Precision",
    "Replicas",
    "TTFT p95",
    "ITL p95",
    "E2E p95",
    "Per month",
    "Meets SLO",
)


def _cell(option: RecommendedOption | None, label: str) -> str:
    if option is None:
        return "nothing fits"
    predicted = option.predicted
    cells = {
        "Model": short_model(option.model),
        "GPUs": gpus(option, short=True),
        "Precision": option.precision,
        "Replicas": f"{option.replicas} ({option.parallelism or 'TP 1'})"
        + (f" + {option.prefill.replicas} prefill" if option.prefill is not None else ""),
        "TTFT p95": format_ms(predicted.ttft_ms_p95),
        "ITL p95": format_ms(predicted.itl_ms_p95),
        "E2E p95": format_ms(predicted.e2e_ms_p95),
        "Per month": format_usd(option.monthly_cost_usd),
        "Meets SLO": "yes ✓" if option.meets_slo else "no ✗",
    }
    return cells[label]
