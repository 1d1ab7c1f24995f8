"""Questions the flow asks while collecting: one missing essential at a time, answers as buttons.

Pure functions from what is known to a :class:`~bot.conversation.replies.Reply`; they must not
change state or know about any channel.
"""

from __future__ import annotations

from bot.conversation.cards import known_fields
from bot.conversation.replies import Choice, ChoiceRole, Field, Reply, ReplyKind
from bot.conversation.thread_state import Essential
from bot.conversation.wording import describe_slo
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
        answers = tuple((label, task.value) for label, task in TASK_CHOICES)
    else:
        task = requirements.task.value.replace("_", " ") if requirements.task else "endpoint"
        text = (
            f"How much traffic should the {task} carry at peak? Concurrent users, requests per "
            "second or requests per day all work."
        )
        loads = BATCH_LOADS if requirements.task is Task.BATCH else ONLINE_LOADS
        answers = tuple((load, load) for load in loads)
    return Reply(
        kind=ReplyKind.QUESTION,
        text=f"{preface} {text}".strip(),
        summary=text.split("?")[0] + "?",
        fields=known_fields(requirements) + _default_fields(requirements, defaults),
        choices=tuple(
            Choice(label=label, value=value, role=ChoiceRole.ANSWER) for label, value in answers
        ),
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
        lines.append(" and ".join(describe_slo(slo) for slo in defaults.slo))
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
