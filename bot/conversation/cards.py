"""Replies the flow sends: questions, recommendation cards, before/after comparisons, statuses.

Pure functions from domain values to :class:`~bot.conversation.replies.Reply`. They decide wording
and layout only; they must not change state, call the engine or know about any channel.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.replies import Choice, ChoiceStyle, Field, Reply, ReplyKind, Table
from bot.conversation.thread_state import Essential
from domain.recommendation import Recommendation, RecommendedOption
from domain.requirements import Requirements, Task, TaskDefaults

TASK_CHOICES: tuple[tuple[str, Task], ...] = (
    ("Chatbot / assistant", Task.CHATBOT),
    ("RAG over documents", Task.RAG),
    ("Code completion", Task.CODE_COMPLETION),
    ("Summarization", Task.SUMMARIZATION),
    ("Extraction", Task.EXTRACTION),
    ("Batch jobs", Task.BATCH),
)
ONLINE_LOADS = ("20 concurrent users", "200 concurrent users", "2000 concurrent users", "10 RPS")
BATCH_LOADS = ("10k requests a day", "100k requests a day", "1M requests a day")
EXAMPLE = (
    "e.g. “a support chatbot for 5k employees, first token within 500 ms, A100s or L4s, "
    "under $12k a month”"
)
_ASK_LATER = {
    Essential.TASK: "what the endpoint is for, and I will use that task's defaults",
    Essential.LOAD: "the peak traffic (users or requests/s), and I will re-size the options",
}
WHAT_IFS = (
    ("What if traffic doubles?", "double the traffic"),
    ("Try L40S", "what about L40S"),
    ("FP8?", "fp8?"),
)


def question(
    essential: Essential,
    requirements: Requirements,
    *,
    preface: str = "",
    defaults: TaskDefaults | None = None,
) -> Reply:
    """One question for the next missing essential, with common answers as buttons.

    Args:
        essential: What is missing.
        requirements: What is known so far (the task picks the load examples).
        preface: A sentence before the question (e.g. what was understood).
        defaults: The task's defaults, shown as what will be assumed unless stated.

    Returns:
        The question reply.
    """
    if essential is Essential.TASK:
        text = "What will this endpoint be used for? Pick one or say it in your own words."
        choices = tuple(Choice(label=label, value=task.value) for label, task in TASK_CHOICES)
    else:
        task = requirements.task.value.replace("_", " ") if requirements.task else "endpoint"
        text = (
            f"How much traffic should the {task} carry at peak? Concurrent users, requests per "
            "second or requests per day all work."
        )
        loads = BATCH_LOADS if requirements.task is Task.BATCH else ONLINE_LOADS
        choices = tuple(Choice(label=load, value=load) for load in loads)
    return Reply(
        kind=ReplyKind.QUESTION,
        text=f"{preface} {text}".strip(),
        fields=_known_fields(requirements) + _default_fields(requirements, defaults),
        choices=choices,
    )


def _default_fields(requirements: Requirements, defaults: TaskDefaults | None) -> tuple[Field, ...]:
    """The task defaults that will be assumed for what the team has not stated."""
    if defaults is None:
        return ()
    lines: list[str] = []
    if requirements.input_tokens is None or requirements.output_tokens is None:
        lines.append(
            f"{defaults.input_tokens} prompt and {defaults.output_tokens} output tokens a request"
        )
    if not requirements.slo and defaults.slo:
        lines.append(
            " and ".join(
                f"{slo.metric.value.upper()} p{slo.percentile} ≤ {format_ms(slo.ms)}"
                for slo in defaults.slo
            )
        )
    task = defaults.task.value.replace("_", " ")
    return tuple(Field(label=f"Assumed for a {task}", value=line) for line in lines)


def not_understood(essential: Essential, requirements: Requirements) -> Reply:
    """The helpful question sent back when a message states nothing usable.

    Args:
        essential: The essential to ask for next.
        requirements: What is known so far.

    Returns:
        A question that says what kind of message works.
    """
    return question(
        essential,
        requirements,
        preface=f"I couldn't find a requirement in that. Tell me what you need, {EXAMPLE}.",
    )


def recommendation_card(
    recommendation: Recommendation,
    requirements: Requirements,
    *,
    headline: str = "",
    unknown: Essential | None = None,
) -> Reply:
    """The recommendation: a headline, what was assumed, the options table and next steps.

    Args:
        recommendation: The engine's answer.
        requirements: The requirements it answers.
        headline: Overrides the first sentence.
        unknown: An essential that was not stated (the engine assumed it); the card asks for it.

    Returns:
        The recommendation reply.
    """
    fields = _known_fields(requirements)
    fields += tuple(Field(label="Assumed", value=line) for line in recommendation.assumptions)
    if unknown is not None:
        fields += (Field(label="Tell me", value=_ASK_LATER[unknown]),)
    if not recommendation.feasible or not recommendation.options:
        return _nothing_fits(recommendation, fields)
    top = recommendation.options[0]
    text = headline or f"Here is what I would run: {describe_option(top)}."
    fields += tuple(Field(label="Why option 1", value=reason) for reason in top.reasons[:3])
    fields += tuple(
        Field(label="Knowledge base", value=found.summary) for found in recommendation.retrieved
    )
    deploys = tuple(
        Choice(label=f"Deploy option {n}", value=f"deploy option {n}", style=ChoiceStyle.PRIMARY)
        for n in range(1, min(len(recommendation.options), 2) + 1)
    )
    return Reply(
        kind=ReplyKind.RECOMMENDATION,
        text=text,
        fields=fields,
        tables=(options_table(recommendation.options),),
        choices=(
            *deploys,
            Choice(label="Show chart", value="chart"),
            *_what_if_choices(requirements),
        ),
    )


def _nothing_fits(recommendation: Recommendation, fields: tuple[Field, ...]) -> Reply:
    why = recommendation.why_nothing_fits or "no configuration meets every requirement"
    rows = tuple((miss.what, miss.change) for miss in recommendation.closest)
    tables: tuple[Table, ...] = ()
    if rows:
        columns = ("Option", "What would make it fit")
        tables += (Table(title="Closest options", columns=columns, rows=rows),)
    if recommendation.options:
        tables += (options_table(recommendation.options, title="Best tried (misses an SLO)"),)
    return Reply(
        kind=ReplyKind.RECOMMENDATION,
        text=f"Nothing fits, because {why.rstrip('.')}. Change a requirement and I will try again.",
        fields=fields,
        tables=tables,
        choices=_what_if_choices(),
    )


def _what_if_choices(requirements: Requirements | None = None) -> tuple[Choice, ...]:
    """Example what-ifs, less a GPU the team already restricted itself to."""
    families = [family.value for family in requirements.gpu_families] if requirements else []
    return tuple(
        Choice(label=label, value=value)
        for label, value in WHAT_IFS
        if not (families and value.endswith(" ".join(families)))
    )


def options_table(options: Sequence[RecommendedOption], *, title: str = "Options") -> Table:
    """The ranked options as a table.

    Args:
        options: Ranked options.
        title: The table title.

    Returns:
        One row per option.
    """
    rows = tuple(
        (
            str(number),
            option.model,
            f"{option.total_gpus} × {option.gpu}",
            option.precision,
            format_ms(option.predicted.ttft_ms_p95),
            format_ms(option.predicted.itl_ms_p95),
            format_usd(option.monthly_cost_usd),
            "yes" if option.meets_slo else "no",
        )
        for number, option in enumerate(options, 1)
    )
    columns = ("#", "Model", "GPUs", "Precision", "TTFT p95", "ITL p95", "Per month", "Meets SLO")
    return Table(title=title, columns=columns, rows=rows)


def describe_option(option: RecommendedOption) -> str:
    """An option in one line.

    Args:
        option: The option.

    Returns:
        E.g. ``Llama-3.1-8B on 2 × L4 (2 replicas, fp8) — $1,023/month, TTFT p95 310 ms``.
    """
    layout = f"{option.replicas} replica" + ("s" if option.replicas != 1 else "")
    if option.tensor_parallel > 1:
        layout += f" of TP {option.tensor_parallel}"
    return (
        f"{option.model} on {option.total_gpus} × {option.gpu} ({layout}, {option.precision}) — "
        f"{format_usd(option.monthly_cost_usd)}/month, TTFT p95 "
        f"{format_ms(option.predicted.ttft_ms_p95)}"
        + ("" if option.meets_slo else " (misses the SLO)")
    )


def format_ms(value: float | None) -> str:
    """Milliseconds for people: ``320 ms``, ``1.8 s``, or ``–`` when unknown."""
    if value is None:
        return "–"
    return f"{value:,.0f} ms" if value < 1000 else f"{value / 1000:,.1f} s"


def format_usd(value: float | None) -> str:
    """Dollars for people: ``$12,345``, or ``no price`` when the price basis has none."""
    return "no price" if value is None else f"${value:,.0f}"


def _known_fields(requirements: Requirements) -> tuple[Field, ...]:
    stated = requirements.model_dump(mode="json", exclude_defaults=True)
    if not stated:
        return ()
    return (Field(label="You said", value=summarise(requirements)),)


def summarise(requirements: Requirements) -> str:
    """The stated requirements in a short line.

    Args:
        requirements: The requirements.

    Returns:
        E.g. ``chatbot · 5,000 users · TTFT p95 ≤ 500 ms · A100/L4 · ≤ $12,000/month``.
    """
    parts: list[str] = []
    if requirements.task:
        parts.append(requirements.task.value.replace("_", " "))
    if requirements.user_population:
        parts.append(f"{requirements.user_population:,} people")
    if requirements.concurrent_users:
        parts.append(f"{requirements.concurrent_users:,} users at once")
    if requirements.requests_per_second:
        parts.append(f"{requirements.requests_per_second:g} req/s")
    if requirements.requests_per_day:
        parts.append(f"{requirements.requests_per_day:,} req/day")
    parts += [
        f"{slo.metric.value.upper()} p{slo.percentile} ≤ {format_ms(slo.ms)}"
        for slo in requirements.slo
    ]
    if requirements.gpu_families:
        parts.append("/".join(family.value for family in requirements.gpu_families))
    if requirements.models:
        parts.append(", ".join(requirements.models))
    if requirements.budget_usd_month:
        parts.append(f"≤ {format_usd(requirements.budget_usd_month)}/month")
    if requirements.max_gpus:
        parts.append(f"≤ {requirements.max_gpus} GPUs")
    if requirements.quantization:
        parts.append(f"quantization: {requirements.quantization.value}")
    return " · ".join(parts) or "nothing yet"


def comparison_card(
    before: Recommendation,
    after: Recommendation,
    *,
    changes: Sequence[str],
    requirements: Requirements,
) -> Reply:
    """A side-by-side of the top option before and after a what-if, then the new options.

    Args:
        before: The recommendation before the edit.
        after: The recommendation after it.
        changes: What changed, in words (e.g. ``traffic × 2``).
        requirements: The requirements after the edit.

    Returns:
        The comparison reply.
    """
    change_text = ", ".join(changes)
    old = before.options[0] if before.feasible and before.options else None
    new = after.options[0] if after.feasible and after.options else None
    rows = tuple((label, _cell(old, label), _cell(new, label)) for label in _COMPARED if old or new)
    table = Table(
        title=f"Option 1 — before / after ({change_text})",
        columns=("", "Before", "After"),
        rows=rows,
    )
    if new is None:
        why = after.why_nothing_fits or "no configuration meets every requirement"
        text = f"With {change_text}, nothing fits, because {why}."
    else:
        text = f"With {change_text}: {describe_option(new)}."
    tables = (table, options_table(after.options, title="All options now")) if new else (table,)
    choices = (
        (Choice(label="Deploy option 1", value="deploy option 1", style=ChoiceStyle.PRIMARY),)
        if new
        else ()
    )
    return Reply(
        kind=ReplyKind.COMPARISON,
        text=text,
        fields=(Field(label="Now", value=summarise(requirements)),),
        tables=tables,
        choices=(
            *choices,
            Choice(label="Show chart", value="chart"),
            *_what_if_choices(requirements),
        ),
    )


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
        "Model": option.model,
        "GPUs": f"{option.total_gpus} × {option.gpu}",
        "Precision": option.precision,
        "Replicas": f"{option.replicas} (TP {option.tensor_parallel})",
        "TTFT p95": format_ms(predicted.ttft_ms_p95),
        "ITL p95": format_ms(predicted.itl_ms_p95),
        "E2E p95": format_ms(predicted.e2e_ms_p95),
        "Per month": format_usd(option.monthly_cost_usd),
        "Meets SLO": "yes" if option.meets_slo else "no",
    }
    return cells[label]
