"""The collecting and exploring steps of the flow: from messages to a recommendation and what-ifs.

Each step takes the thread's state and one message and returns the next state and the replies;
steps are pure apart from the ports they are handed (understanding, the recommender, the chart),
so the flow can re-apply a message when a concurrent write wins. They must not touch the state
store, a channel or a chat SDK.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.conversation import cards, comparison, questions
from bot.conversation.bound_options import option_ids
from bot.conversation.ports import FlowDependencies
from bot.conversation.replies import Choice, Field, Image, Reply, ReplyKind
from bot.conversation.thread_state import ConversationState, Essential, Stage
from bot.conversation.whatif import LOAD_FIELDS, interpret
from bot.conversation.wording import describe_slo, format_ms, format_usd, short_model
from domain.recommendation import Recommendation
from domain.requirements import Requirements, SloTarget, Task, TaskDefaults

StepResult = tuple[ConversationState, list[Reply]]
DETAILED = 4  # stated fields that make a message detailed enough to recommend from

_BARE_NUMBER = re.compile(r"^\s*~?(\d[\d,]*(?:\.\d+)?\s*[kKmM]?)\s*$")
_TASK_WORDS = {task.value.replace("_", " "): task for task in Task}


@dataclass(frozen=True)
class Incoming:
    """One message from a person, as every channel hands it to the flow.

    Attributes:
        thread: Channel-qualified thread id.
        text: What they wrote (or the value of the button they pressed).
        user: Who wrote it (a stable id; approvals compare it).
        event_id: The channel's delivery id, so a repeated delivery is processed once.
        reply_to: What the channel needs to post into the thread later, unprompted (Teams'
            conversation reference as JSON); opaque here, kept in the thread's state.
    """

    thread: str
    text: str
    user: str = "someone"
    event_id: str | None = None
    reply_to: str | None = None


def missing_essential(requirements: Requirements, *, stated: int = 0) -> Essential | None:
    """The first essential still unknown: the task, then some load.

    A detailed message (``DETAILED`` stated fields or more) is not held up by a question: the
    engine assumes a task or load it lacks and says so, and the card asks for it.

    Args:
        requirements: What is known.
        stated: How many requirement fields the team has stated.

    Returns:
        What to ask next, or None when a recommendation can be made.
    """
    if stated >= DETAILED:
        return None
    if requirements.task is None:
        return Essential.TASK
    if not any(getattr(requirements, name) for name in LOAD_FIELDS):
        return Essential.LOAD
    return None


def collect(state: ConversationState, message: Incoming, deps: FlowDependencies) -> StepResult:
    """Take in a message while essentials are missing; ask one question or recommend.

    Args:
        state: The thread's state.
        message: The message.
        deps: The ports.

    Returns:
        The next state and replies.
    """
    text = _load_answer(state, message.text)
    understood = deps.understander.message(text)
    state, replies = _collect(state, message, deps)
    return state, [cards.with_not_understood(reply, understood.unplaced) for reply in replies]


def _collect(state: ConversationState, message: Incoming, deps: FlowDependencies) -> StepResult:
    task = _task_answer(state, message.text)
    text = _load_answer(state, message.text)
    understood = deps.understander.message(text)
    asked = state.asking or missing_essential(state.requirements) or Essential.TASK
    if not understood.stated and task is None:
        counted = state.model_copy(update={"turns": state.turns + 1, "asking": asked})
        return counted, [questions.not_understood(asked, state.requirements)]
    requirements = deps.understander.merge(text, previous=state.requirements)
    new_fields = set(understood.stated)
    if task is not None:
        requirements = requirements.model_copy(update={"task": task})
        new_fields.add("task")
    stated = tuple(sorted(set(state.stated) | new_fields))
    state = state.model_copy(
        update={"requirements": requirements, "stated": stated, "turns": state.turns + 1}
    )
    missing = missing_essential(requirements, stated=len(stated))
    if missing is not None:
        preface = f"Got it: {cards.summarise(requirements)}."
        asking = state.model_copy(update={"asking": missing, "stage": Stage.COLLECTING})
        defaults = (
            deps.task_defaults(requirements.task)
            if deps.task_defaults is not None and requirements.task is not None
            else None
        )
        card = questions.question(missing, requirements, preface=preface, defaults=defaults)
        return asking, [card]
    return recommend(state, deps, thread=message.thread)


def _task_answer(state: ConversationState, text: str) -> Task | None:
    """A task button's value (or its name typed) when the task is what we asked for."""
    cleaned = text.strip().lower().replace("_", " ").replace("-", " ")
    return _TASK_WORDS.get(cleaned) if state.asking is Essential.TASK else None


def _load_answer(state: ConversationState, text: str) -> str:
    """A bare number answering our load question becomes a sentence that says what it counts."""
    number = _BARE_NUMBER.match(text)
    if state.asking is Essential.LOAD and number:
        unit = "requests a day" if state.requirements.task is Task.BATCH else "concurrent users"
        return f"{number.group(1)} {unit}"
    return text


def recommend(state: ConversationState, deps: FlowDependencies, *, thread: str = "") -> StepResult:
    """Recommend for the state's requirements and move on to exploring.

    Args:
        state: A state whose essentials are known.
        deps: The ports.
        thread: The thread asking (its tenant may limit the GPUs).

    Returns:
        The exploring state and the recommendation card.
    """
    recommendation = deps.recommender(state.requirements, pin=state.pin, thread=thread)
    card = cards.recommendation_card(
        recommendation,
        state.requirements,
        unknown=_unknown(state.requirements),
        defaults=_defaults(state.requirements, deps),
    )
    explored = state.model_copy(
        update={
            "stage": Stage.EXPLORING,
            "recommendation": recommendation,
            "asking": None,
            "shown": option_ids(recommendation),
        }
    )
    return explored, [card]


def _defaults(requirements: Requirements, deps: FlowDependencies) -> TaskDefaults | None:
    """The task's defaults (latency targets a card checks when none was stated)."""
    if deps.task_defaults is None or requirements.task is None:
        return None
    return deps.task_defaults(requirements.task)


def _unknown(requirements: Requirements) -> Essential | None:
    """An essential the engine had to assume, so the card can ask for it."""
    return missing_essential(requirements)


def explore(state: ConversationState, message: Incoming, deps: FlowDependencies) -> StepResult:
    """Apply a what-if to the current recommendation and compare before and after.

    Args:
        state: A state with a recommendation.
        message: The what-if.
        deps: The ports.

    Returns:
        The next state and replies (a comparison, or a hint when nothing changed).
    """
    state, replies = _explore(state, message, deps)
    unplaced = deps.understander.message(message.text).unplaced
    return state, [cards.with_not_understood(reply, unplaced) for reply in replies]


def _explore(state: ConversationState, message: Incoming, deps: FlowDependencies) -> StepResult:
    whatif = interpret(
        message.text,
        requirements=state.requirements,
        pin=state.pin,
        understander=deps.understander,
        defaults_of=deps.task_defaults,
    )
    counted = state.model_copy(update={"turns": state.turns + 1})
    if whatif is None:
        return counted, [_explore_hint(state)]
    after = deps.recommender(whatif.requirements, pin=whatif.pin, thread=message.thread)
    stated = set(state.stated) | whatif.stated
    changed = counted.model_copy(
        update={
            "requirements": whatif.requirements,
            "pin": whatif.pin,
            "recommendation": after,
            "stated": tuple(sorted(stated)),
            "stage": Stage.EXPLORING,
            "chosen": None,
            "shown": option_ids(after),
        }
    )
    defaults = _defaults(whatif.requirements, deps)
    if state.recommendation is None:
        return changed, [cards.recommendation_card(after, whatif.requirements, defaults=defaults)]
    card = comparison.comparison_card(
        state.recommendation,
        after,
        changes=whatif.changes,
        requirements=whatif.requirements,
        defaults=defaults,
    )
    return changed, [card]


def _explore_hint(state: ConversationState) -> Reply:
    answer = state.recommendation
    deploy = cards.deploy_choices(answer.options, shown=1) if answer and answer.feasible else ()
    examples = tuple(Choice(label=label, value=value) for label, value in cards.WHAT_IFS)
    return Reply(
        kind=ReplyKind.QUESTION,
        text=(
            "I didn't see a change in that. Try a what-if — “double the traffic”, “what about "
            "L40S”, “fp8?”, “budget 5k”, “p99 instead”, “3 replicas” — or deploy an option."
        ),
        fields=(Field(label="Now", value=cards.summarise(state.requirements)),),
        choices=(*deploy, *examples),
    )


def chart(state: ConversationState, deps: FlowDependencies) -> Reply:
    """The cost vs p95 latency chart of the current options.

    Args:
        state: The thread's state.
        deps: The ports (the chart maker).

    Returns:
        A reply with the chart, or a note when there is nothing to draw.
    """
    recommendation = state.recommendation
    if deps.chart is None or recommendation is None or not recommendation.options:
        return Reply(kind=ReplyKind.NOTICE, text="There are no options to chart yet.")
    targets = cards.slo_targets(state.requirements, _defaults(state.requirements, deps))
    png = deps.chart(recommendation, targets=targets)
    image = Image(
        title="Monthly cost vs predicted TTFT p95 of the options",
        alt_text=chart_alt_text(recommendation, targets),
        png=png,
        filename=f"preflight-options-{hashlib.sha256(png).hexdigest()[:12]}.png",
    )
    text = "Cost vs first-token latency: the ringed point is option 1, the dashed line the target."
    return Reply(kind=ReplyKind.NOTICE, text=text, images=(image,))


def chart_alt_text(recommendation: Recommendation, targets: Sequence[SloTarget]) -> str:
    """What the chart shows, in words, for screen readers (Slack ``alt_txt``, the Teams card).

    Args:
        recommendation: The charted options.
        targets: The latency targets drawn.

    Returns:
        One sentence per option and the target, at most 1,000 characters.
    """
    parts = [
        f"Chart of monthly cost against predicted TTFT p95 for "
        f"{len(recommendation.options)} options."
    ]
    parts += [
        f"{n}: {short_model(o.model)}, {o.total_gpus}×{o.gpu} {o.precision}, "
        f"{format_usd(o.monthly_cost_usd)}/month, {format_ms(o.predicted.ttft_ms_p95)}"
        + (" (recommended)." if n == 1 else ".")
        for n, o in enumerate(recommendation.options, 1)
    ]
    parts += [
        f"Dashed line: target {describe_slo(t)}." for t in targets if t.metric.value == "ttft"
    ]
    text = " ".join(parts)
    return text if len(text) <= 1000 else text[:999] + "…"
