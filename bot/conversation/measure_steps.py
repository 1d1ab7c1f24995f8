"""The measuring steps of the flow: "measure" a ready deployment, "measure status" to read it.

"measure" (or the ready card's Measure it button) asks the :class:`~bot.conversation.ports.
Measurer` to run GuideLLM against the thread's deployment with the load the recommendation was
sized for; "measure status" reads how the run is doing and, once it ended, posts predicted
against measured (:func:`bot.conversation.measure_cards.measurement_card`). They talk to the
deploy side only through the port and must not touch the state store, a channel or an SDK.
"""

from __future__ import annotations

import re

from bot.conversation.deploy_cards import measure_choice
from bot.conversation.measure_cards import measurement_card
from bot.conversation.ports import FlowDependencies, MeasureResult
from bot.conversation.replies import Choice, Reply, ReplyKind, Tone
from bot.conversation.steps import Incoming, StepResult
from bot.conversation.thread_state import ConversationState, Stage
from domain.recommendation import RecommendedOption

MEASURE = re.compile(r"^\s*(?:please\s+)?measure(?:\s+it)?\s*[.!]?\s*$", re.IGNORECASE)
MEASURE_STATUS = re.compile(
    r"^\s*(?:measure(?:ment)?\s+status|how did (?:it|the measurement) go)\s*\??\s*$",
    re.IGNORECASE,
)
_TONE = {
    "started": Tone.NEUTRAL,
    "running": Tone.NEUTRAL,
    "measured": Tone.GOOD,
    "failed": Tone.ATTENTION,
    "none": Tone.NEUTRAL,
}


def _deployed(state: ConversationState) -> RecommendedOption | None:
    if state.deployment is None or state.recommendation is None:
        return None
    options = state.recommendation.options
    index = state.deployment.option_index
    return options[index] if 0 <= index < len(options) else None


def _note(text: str) -> list[Reply]:
    return [Reply(kind=ReplyKind.NOTICE, text=text)]


def start(state: ConversationState, message: Incoming, deps: FlowDependencies) -> StepResult:
    """ "measure": start a GuideLLM run against this thread's ready deployment.

    Args:
        state: The thread's state.
        message: The message (its user is audited).
        deps: The ports.

    Returns:
        The state unchanged and a status card (or a note saying why nothing starts).
    """
    option = _deployed(state)
    planned = state.recommendation.planned if state.recommendation else None
    if deps.measurer is None:
        return state, _note("Measuring is not set up in this Preflight.")
    if option is None or planned is None or state.stage is not Stage.DEPLOYED:
        text = "Nothing ready to measure in this thread: deploy an option, then wait until ready."
        return state, _note(text)
    assert state.deployment is not None  # _deployed checked it
    result = deps.measurer.start(
        request_id=state.deployment.request_id,
        actor=message.user,
        thread=state.deployment.thread or message.thread,
        option=option,
        planned=planned,
    )
    return state, [_status(result)]


def status(state: ConversationState, message: Incoming, deps: FlowDependencies) -> StepResult:
    """ "measure status": how the latest run is doing; predicted vs measured once it ended.

    Args:
        state: The thread's state.
        message: The message (its thread's tenant holds the request).
        deps: The ports.

    Returns:
        The state unchanged and a status or comparison card.
    """
    option = _deployed(state)
    if deps.measurer is None or option is None or state.deployment is None:
        return state, _note("Nothing was measured in this thread.")
    result = deps.measurer.outcome(
        request_id=state.deployment.request_id,
        option=option,
        thread=state.deployment.thread or message.thread,
    )
    return state, [result_card(result, option)]


def result_card(result: MeasureResult, option: RecommendedOption) -> Reply:
    """The card for a measuring result: the comparison once measured, else where it stands.

    Args:
        result: The measurer's answer.
        option: The deployed option.

    Returns:
        The card.
    """
    if result.state == "measured" and result.record is not None:
        return measurement_card(option, result.record, result.comparisons)
    return _status(result)


def _status(result: MeasureResult) -> Reply:
    choices: tuple[Choice, ...] = ()
    if result.state in ("started", "running"):
        choices = (Choice(label="Measure status", value="measure status"),)
    elif result.state == "failed":
        choices = (measure_choice(),)
    return Reply(
        kind=ReplyKind.ERROR if result.state == "failed" else ReplyKind.STATUS,
        tone=_TONE[result.state],
        text=result.message,
        choices=choices,
    )
