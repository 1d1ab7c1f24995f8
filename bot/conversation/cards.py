"""The recommendation card, nothing-fits and the folded details: what the flow sends to explore.

A recommendation card is read at a glance: a headline (what to run, what it costs, the target it
meets), up to three reasons, one compact options table (short names, numbers aligned right), one
line of assumptions, and the rest folded behind "How was this computed?". Pure functions from
domain values to :class:`~bot.conversation.replies.Reply`; they decide wording and layout only and
must not change state, call the engine or know about any channel.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.conversation.bound_options import deploy_value
from bot.conversation.replies import (
    Align,
    Choice,
    ChoiceRole,
    ChoiceStyle,
    Field,
    Reply,
    ReplyKind,
    Table,
    Tone,
)
from bot.conversation.thread_state import Essential
from bot.conversation.wording import (
    describe_option,
    format_ms,
    format_ms_range,
    format_usd,
    gpus,
    layout,
    predicted_ms,
    short_model,
    slo_check,
    summarise,
)
from domain.recommendation import Recommendation, RecommendedOption
from domain.requirements import Requirements, SloMetric, SloTarget, TaskDefaults

__all__ = [
    "DETAILS_VALUE",
    "WHAT_IFS",
    "deploy_choices",
    "describe_option",
    "details_card",
    "format_ms",
    "format_usd",
    "known_fields",
    "options_table",
    "recommendation_card",
    "summarise",
    "with_not_understood",
]

DETAILS_VALUE = "how was this computed"
"""The message the "How was this computed?" button sends (channels without folding)."""
_ASK_LATER = {
    Essential.TASK: "what the endpoint is for, and I will use that task's defaults",
    Essential.LOAD: "the peak traffic (users or requests/s), and I will re-size the options",
}
WHAT_IFS = (
    ("Traffic × 2?", "double the traffic"),
    ("Try L40S", "what about L40S"),
    ("FP8?", "fp8?"),
)
_SHOWN_OPTIONS = 5


def recommendation_card(
    recommendation: Recommendation,
    requirements: Requirements,
    *,
    headline: str = "",
    unknown: Essential | None = None,
    defaults: TaskDefaults | None = None,
) -> Reply:
    """The recommendation: headline, reasons, options table, one line of assumptions, next steps.

    Args:
        recommendation: The engine's answer.
        requirements: The requirements it answers.
        headline: Overrides the headline.
        unknown: An essential that was not stated (the engine assumed it); the card asks for it.
        defaults: The task's defaults, whose latency targets apply where none was stated.

    Returns:
        The recommendation reply.
    """
    if not recommendation.feasible or not recommendation.options:
        return _nothing_fits(recommendation, requirements, unknown=unknown)
    targets = slo_targets(requirements, defaults)
    top = recommendation.options[0]
    fields = known_fields(requirements) + _assumed_line(recommendation.assumptions)
    fields += _context_fields(recommendation, unknown)
    text = headline or headline_of(top, targets)
    return Reply(
        kind=ReplyKind.RECOMMENDATION,
        tone=Tone.GOOD if top.meets_slo else Tone.WARNING,
        text=text,
        summary=text,
        reasons=tuple(top.reasons[: _shown_reasons(recommendation)]),
        fields=fields,
        tables=(
            options_table(
                recommendation.options, targets=targets, price_basis=recommendation.price_basis
            ),
        ),
        details=details_of(recommendation),
        choices=(
            *deploy_choices(recommendation.options),
            Choice(label="Show chart", value="chart", shows_more=True),
            Choice(label="How was this computed?", value=DETAILS_VALUE, role=ChoiceRole.DETAILS),
            *what_if_choices(requirements, top),
        ),
    )


def _shown_reasons(recommendation: Recommendation) -> int:
    """Reasons the card shows: three, or two when it also asks about the load (the third folds
    under "How was this computed?", so the card stays within its size: 25 Slack lines)."""
    return 2 if recommendation.load_question else 3


def _context_fields(recommendation: Recommendation, unknown: Essential | None) -> tuple[Field, ...]:
    """What-if pins in force, and what to tell Preflight next."""
    fields: tuple[Field, ...] = ()
    if recommendation.pins:
        fields += (Field(label="Pinned", value=", ".join(recommendation.pins)),)
    if recommendation.load_question:
        fields += (Field(label="Tell me", value=recommendation.load_question),)
    elif unknown is not None:
        fields += (Field(label="Tell me", value=_ASK_LATER[unknown]),)
    return fields


def headline_of(option: RecommendedOption, targets: Sequence[SloTarget]) -> str:
    """What to run, its cost and the targets it meets, in one line.

    Args:
        option: The top option.
        targets: The latency targets (stated or the task's defaults); the first is checked here,
            the table's SLO column covers them all.

    Returns:
        E.g. ``Run gpt-oss-20b on 1×L40S (fp8): $1,197/month · TTFT p95 77 ms, target ≤ 1 s ✅``.
    """
    checks = [slo_check(option, target) for target in targets[:1]]
    if not checks:
        checks = [f"TTFT p95 {format_ms(option.predicted.ttft_ms_p95)}"]
    alternative = " (an alternative to the model you named)" if option.alternative else ""
    return (
        f"Run {short_model(option.model)}{alternative} on {gpus(option)} ({option.precision}): "
        f"{format_usd(option.monthly_cost_usd)}/month · " + " · ".join(checks)
    )


def slo_targets(requirements: Requirements, defaults: TaskDefaults | None) -> list[SloTarget]:
    """The latency targets a card checks: the stated ones, and the task's for unstated metrics.

    Args:
        requirements: The requirements.
        defaults: The task's defaults, if known.

    Returns:
        The stated targets first, then the task's; TTFT, ITL, E2E within each. The headline
        and the table's latency column show the first, so a team that stated only "ITL p99 ≤
        50 ms" reads its own target, not an assumed TTFT one.
    """
    order = {SloMetric.TTFT: 0, SloMetric.ITL: 1, SloMetric.E2E: 2}
    stated = sorted(requirements.slo, key=lambda target: order[target.metric])
    named = {target.metric for target in stated}
    assumed = [t for t in (defaults.slo if defaults else []) if t.metric not in named]
    return stated + sorted(assumed, key=lambda target: order[target.metric])


def deploy_choices(options: Sequence[RecommendedOption], *, shown: int = 2) -> tuple[Choice, ...]:
    """ "Deploy option N" buttons for the first ``shown`` options, each bound to its option's id.

    Args:
        options: The options as the card numbers them.
        shown: How many buttons.

    Returns:
        The choices (option 1's primary).
    """
    return tuple(
        Choice(
            label=f"Deploy option {n}",
            value=deploy_value(n, option),
            style=ChoiceStyle.PRIMARY if n == 1 else ChoiceStyle.DEFAULT,
        )
        for n, option in enumerate(options[:shown], 1)
    )


def _assumed_line(assumptions: Sequence[str]) -> tuple[Field, ...]:
    """All assumptions in one line: the gist of the first few, the rest behind the details."""
    gists = [gist for line in assumptions if (gist := assumption_gist(line))]
    if not gists:
        return ()
    line = "; ".join(gists[:2])
    more = len(assumptions) - min(len(gists), 2)
    if more > 0:
        line += f" (+{more} more under “How was this computed?”)"
    return (Field(label="Assumed", value=line),)


def assumption_gist(line: str) -> str:
    """The gist of one assumption: its subject and value, without sources and how to change it.

    Args:
        line: An assumption as the engine words it, e.g. ``Peak load: 2,000 people × 10% … =
            3.33 requests/s; state concurrent_users … to change it.``

    Returns:
        E.g. ``peak load 3.33 requests/s``, ``prompts of ~512 tokens``; empty for a line that
        only says where defaults come from.
    """
    if line.lower().startswith("where "):
        return ""
    head = re.split(r";|\.\s|\.$", line, maxsplit=1)[0]
    head = re.sub(r"\s*\([^)]*\)", "", head).strip()
    subject, colon, rest = head.partition(":")
    if colon and " = " in rest:
        head = f"{subject} {rest.rsplit('= ', 1)[1]}"
    head = head.removesuffix(" assumed")
    head = head[:1].lower() + head[1:]
    return head if len(head) <= 60 else head[:59].rsplit(" ", 1)[0] + "…"


def details_of(recommendation: Recommendation) -> tuple[Field, ...]:
    """What is folded: assumptions, option 1's further reasons, the knowledge base, exclusions.

    Args:
        recommendation: The recommendation.

    Returns:
        The details as labelled lines.
    """
    details = tuple(Field(label="Assumed", value=line) for line in recommendation.assumptions)
    if recommendation.options:
        top = recommendation.options[0]
        folded = top.reasons[_shown_reasons(recommendation) :]
        details += tuple(Field(label="Why option 1", value=reason) for reason in folded)
        details += (Field(label="Option 1 runs", value=f"{layout(top)}, {top.precision}"),)
        details += _prediction_basis(top)
    details += tuple(
        Field(label="Knowledge base", value=found.summary) for found in recommendation.retrieved
    )
    if recommendation.excluded:
        count = len(recommendation.excluded)
        details += (Field(label="Ruled out", value=f"{count} candidate groups by hard rules"),)
    return details


def _prediction_basis(option: RecommendedOption) -> tuple[Field, ...]:
    """What option 1's prediction rests on (engine version, band) and its 80 % intervals."""
    said = [e.summary for e in option.evidence if e.kind == "prediction"]
    spans = [
        f"{name.split('_')[0].upper()} p95 {format_ms_range(*bounds)}"
        for name in ("ttft_ms_p95", "itl_ms_p95")
        if (bounds := option.predicted.intervals.get(name)) is not None
    ]
    if spans:
        said.append(
            "80% intervals " + ", ".join(spans) + " (held-out error of its basis; never below "
            "the physical floor)."
        )
    return (Field(label="Predicted", value=" ".join(said)),) if said else ()


def details_card(recommendation: Recommendation | None) -> Reply:
    """The folded details as a reply of their own (for channels that cannot fold).

    Args:
        recommendation: The current recommendation, if any.

    Returns:
        The details, or a note when there is no recommendation yet.
    """
    if recommendation is None:
        return Reply(kind=ReplyKind.NOTICE, text="There is no recommendation to explain yet.")
    return Reply(
        kind=ReplyKind.NOTICE,
        text="How the recommendation was computed:",
        fields=details_of(recommendation),
    )


def _nothing_fits(
    recommendation: Recommendation, requirements: Requirements, *, unknown: Essential | None
) -> Reply:
    """Nothing fits, in plain words: why, the closest options, and their fixes as buttons."""
    why = recommendation.why_nothing_fits or "No configuration meets every requirement."
    sentences = [part.strip() for part in re.split(r"(?<=\.)\s+", why) if part.strip()]
    if recommendation.binding:
        sentences.insert(0, f"What binds: {recommendation.binding.rstrip('.')}.")
    shown = tuple(_clip(sentence, 160) for sentence in sentences[:3])
    fixes = tuple(
        Choice(
            label=_clip(miss.change[:1].upper() + miss.change[1:], 40),
            value=miss.change,
            role=ChoiceRole.WHAT_IF,
            style=ChoiceStyle.PRIMARY if number == 0 else ChoiceStyle.DEFAULT,
        )
        for number, miss in enumerate(recommendation.closest[:3])
    )
    tables: tuple[Table, ...] = ()
    if recommendation.closest:
        rows = tuple((miss.what, miss.change) for miss in recommendation.closest[:3])
        tables += (
            Table(title="Closest options", columns=("Option", "Would fit if you"), rows=rows),
        )
    fields = known_fields(requirements) + _context_fields(recommendation, unknown)
    text = "Nothing fits these requirements yet."
    if fixes:
        text += " Pick a change below or tell me another."
    return Reply(
        kind=ReplyKind.RECOMMENDATION,
        tone=Tone.WARNING,
        text=text,
        summary=f"Nothing fits: {sentences[0]}" if sentences else text,
        reasons=shown,
        fields=fields,
        tables=tables,
        details=(Field(label="Why nothing fits", value=why), *details_of(recommendation)),
        choices=(
            *fixes,
            Choice(label="How was this computed?", value=DETAILS_VALUE, role=ChoiceRole.DETAILS),
        ),
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def what_if_choices(
    requirements: Requirements | None = None, top: RecommendedOption | None = None
) -> tuple[Choice, ...]:
    """Example what-ifs, less a GPU already allowed and a precision option 1 already uses.

    Args:
        requirements: The requirements (their GPUs are not offered again).
        top: Option 1 (its precision is not offered again).

    Returns:
        The what-if choices.
    """
    allowed = (
        {family.value.lower() for family in requirements.gpu_families} if requirements else set()
    )
    allowed |= {gpu.lower() for gpu in requirements.gpus} if requirements else set()
    choices = []
    for label, value in WHAT_IFS:
        if value.startswith("what about ") and value.removeprefix("what about ").lower() in allowed:
            continue
        if value == "fp8?" and top is not None and top.precision.lower() == "fp8":
            continue
        choices.append(Choice(label=label, value=value, role=ChoiceRole.WHAT_IF))
    return tuple(choices)


def options_table(
    options: Sequence[RecommendedOption],
    *,
    title: str = "Options",
    targets: Sequence[SloTarget] = (),
    price_basis: str = "",
) -> Table:
    """The ranked options as a compact table: short names, numbers aligned right.

    Args:
        options: Ranked options (the first five are shown).
        title: The table title.
        targets: Latency targets; the first one's metric and percentile is the latency column
            (TTFT p95 when none); the SLO column says whether every target holds.
        price_basis: What the prices are (named in the title).

    Returns:
        One row per option: number, model, GPUs, precision, latencies, monthly cost, SLO held.
    """
    shown = list(targets[:1]) or [SloTarget(metric=SloMetric.TTFT, ms=1e12)]
    latency_columns = tuple(t.metric.value.upper() for t in shown)
    percentiles = ", ".join(f"{t.metric.value.upper()} p{t.percentile}" for t in shown)
    rows = tuple(
        (
            str(number),
            short_model(option.model),
            gpus(option, short=True),
            option.precision,
            *(format_ms(predicted_ms(option.predicted, t.metric, t.percentile)[0]) for t in shown),
            format_usd(option.monthly_cost_usd),
            "✓" if option.meets_slo else "✗",
        )
        for number, option in enumerate(options[:_SHOWN_OPTIONS], 1)
    )
    columns = ("#", "Model", "GPUs", "Prec", *latency_columns, "$/mo", "SLO")
    left, right = Align.LEFT, Align.RIGHT
    align = (right, left, left, left, *(right for _ in shown), right, left)
    prices = f"; {price_basis}" if price_basis else ""
    title = f"{title} ({percentiles} predicted{prices})"
    return Table(title=title, columns=columns, rows=rows, align=align)


def with_not_understood(reply: Reply, unplaced: tuple[str, ...]) -> Reply:
    """``reply`` with a 'Not understood' line naming what could not be placed, so nothing the
    team wrote is dropped without a word.

    Args:
        reply: The reply to the message.
        unplaced: What understanding could not place (empty: the reply is unchanged).

    Returns:
        The reply, with the line after its other fields.
    """
    if not unplaced:
        return reply
    value = "; ".join(unplaced) + ". Tell me which you mean and I'll use it."
    line = Field(label="Not understood", value=value)
    return reply.model_copy(update={"fields": (*reply.fields, line)})


def known_fields(requirements: Requirements) -> tuple[Field, ...]:
    """What the team stated, as one 'You said' line (none when nothing was stated).

    Args:
        requirements: The requirements.

    Returns:
        The field, or nothing.
    """
    stated = requirements.model_dump(mode="json", exclude_defaults=True)
    if not stated:
        return ()
    return (Field(label="You said", value=summarise(requirements)),)
