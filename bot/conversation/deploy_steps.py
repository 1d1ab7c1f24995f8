"""The deploy steps of the flow: confirming an option, asking for approval, deploying, rolling back.

They talk to the deploy side only through the :class:`~bot.conversation.ports.Deployer` port.
Every button names what it acts on. "Deploy option N" carries the option's id and "Request
deployment" the id of the option its review card shows (:mod:`bot.conversation.bound_options`):
an option that is still offered (at any rank) is what gets reviewed and requested, one that is
not is refused with what option N is now, and a typed "deploy option N" means the last card's
option N. The Approve button's value is ``approve <request id> <sha256 of the manifests>``, and
a typed approval must carry the request id and at least 12 hex digits of the hash shown on the
card. An approval of anything but the request pending in the thread now (cancelled, replaced by
another request, or with other manifests) is refused, so a click on an old card never applies a
newer request. A refusal the user can act on (self-approval, permission denied, an expired
approval) becomes an error reply and leaves the state as it was; so does a backend that did not
answer. These steps must not touch the state store, a channel or a chat SDK.
"""

from __future__ import annotations

import re

from bot.conversation import cards, deploy_cards
from bot.conversation.bound_options import Bound, Stale, bind, option_id, option_ids
from bot.conversation.ports import DeployResult, DeployStatus, FlowDependencies
from bot.conversation.replies import Choice, Field, Reply, ReplyKind
from bot.conversation.steps import Incoming, StepResult
from bot.conversation.thread_state import ConversationState, Deployment, Stage
from bot.conversation.wording import describe_option
from domain.recommendation import Recommendation, RecommendedOption

DEPLOY = re.compile(
    r"^\s*(?:please\s+)?deploy\b(?:\s+(?:option\s*)?#?(\d+))?(?:\s+([0-9a-f]{12})\b)?",
    re.IGNORECASE,
)
YES = re.compile(r"^\s*(confirm|yes|y|go|ok|okay|do it|ship it)\b", re.IGNORECASE)
BOUND_CONFIRM = re.compile(r"^\s*confirm\s+([0-9a-f]{12})\s*$", re.IGNORECASE)
"""The review card's "Request deployment": ``confirm <option id>``."""
NO = re.compile(r"^\s*(cancel|no|n|stop|reject|abort|never ?mind)\b", re.IGNORECASE)
APPROVE = re.compile(
    r"^\s*(?:approve|approved|lgtm)\b(?:\s+(req-[0-9a-f]{16})(?:\s+(?:sha256:)?([0-9a-f]{12,64}))?)?\s*$",
    re.IGNORECASE,
)
HASH_SHOWN = deploy_cards.HASH_SHOWN  # hex digits shown on cards and asked for in typed approvals
ROLLBACK = re.compile(r"^\s*(roll ?back|undo|revert)\b", re.IGNORECASE)
STATUS = re.compile(r"^\s*status\b", re.IGNORECASE)

_STAGE_OF = {
    DeployStatus.AWAITING_APPROVAL: Stage.AWAITING_APPROVAL,
    DeployStatus.DEPLOYING: Stage.DEPLOYING,
    DeployStatus.DEPLOYED: Stage.DEPLOYED,
    DeployStatus.ROLLED_BACK: Stage.ROLLED_BACK,
    DeployStatus.FAILED: Stage.FAILED,
}


def choose(state: ConversationState, message: Incoming, deps: FlowDependencies) -> StepResult:
    """ "deploy option N" (a button carries the option's id): show what would be deployed and
    ask to confirm, or refuse when that option is no longer offered.

    Args:
        state: A state with a recommendation.
        message: The deploy message.
        deps: The ports (the task's defaults, for the options table of a refusal).

    Returns:
        The confirming state and the review card; the state with the options now remembered
        and a refusal naming option N now when the card is out of date; or a note when there
        is no such option.
    """
    found = DEPLOY.match(message.text)
    number = int(found.group(1)) if found and found.group(1) else 1
    seen = found.group(2) if found else None
    answer = state.recommendation
    bound = bind(state, number, seen) if answer and answer.feasible and answer.options else None
    if answer is None or bound is None:
        text = f"There is no option {number} to deploy. Pick one from the latest recommendation."
        return state, [Reply(kind=ReplyKind.NOTICE, text=text)]
    if isinstance(bound, Stale):
        return _out_of_date(state, answer, bound, deps)
    return _review(state, answer, bound)


def _review(state: ConversationState, answer: Recommendation, bound: Bound) -> StepResult:
    note = ""
    if bound.moved:
        note = (
            f"The options changed since that card: its option {bound.number} is this same "
            f"option, ranked {bound.index + 1} now."
        )
    option = answer.options[bound.index]
    card = deploy_cards.review_card(bound.index + 1, option, state.requirements, note=note)
    confirming = state.model_copy(update={"stage": Stage.CONFIRMING, "chosen": bound.index})
    return confirming, [card]


def _out_of_date(
    state: ConversationState, answer: Recommendation, stale: Stale, deps: FlowDependencies
) -> StepResult:
    """Refuse a deploy of an option no longer offered: say what option N is now, show the
    options now (and remember them, so "deploy option N" said again means them)."""
    number, options = stale.number, answer.options
    where = (
        "The options changed since the last card that listed them"
        if stale.typed
        else "This card is out of date"
    )
    if 1 <= number <= len(options):
        now = f"option {number} is now {describe_option(options[number - 1])}"
        again = f"press Deploy on the latest card or say “deploy option {number}” again"
    else:
        now = f"there is no option {number} now"
        again = "pick one of the options now"
    text = f"{where}: {now}. Nothing was deployed; {again}."
    task = state.requirements.task
    defaults = deps.task_defaults(task) if deps.task_defaults and task else None
    targets = cards.slo_targets(state.requirements, defaults)
    table = cards.options_table(
        options, title="Options now", targets=targets, price_basis=answer.price_basis
    )
    reply = Reply(
        kind=ReplyKind.ERROR,
        text=text,
        summary=f"{where}: {now}. Nothing was deployed.",
        tables=(table,),
        choices=cards.deploy_choices(options),
    )
    return state.model_copy(update={"shown": option_ids(answer)}), [reply]


def confirm(state: ConversationState, message: Incoming, deps: FlowDependencies) -> StepResult:
    """Send the chosen option to the deploy side; it then waits for an approver. A "Request
    deployment" click from a review card of another option is refused.

    Args:
        state: A confirming state.
        message: The confirmation (typed, or the button with the reviewed option's id).
        deps: The ports.

    Returns:
        The awaiting-approval state and a status card; or the state as it was, a refusal and
        the review awaiting confirmation now.
    """
    if state.recommendation is None or state.chosen is None:
        return state.model_copy(update={"stage": Stage.EXPLORING}), []
    option = state.recommendation.options[state.chosen]
    seen = BOUND_CONFIRM.match(message.text)
    if seen and seen.group(1).lower() != option_id(option):
        text = (
            "That Request button is on an older review card, not the one awaiting confirmation "
            f"now (option {state.chosen + 1}: {describe_option(option)}). Nothing was requested."
        )
        review = deploy_cards.review_card(state.chosen + 1, option, state.requirements)
        return state, [Reply(kind=ReplyKind.ERROR, text=text), review]
    result = deps.deployer.request(
        thread=message.thread,
        requester=message.user,
        option=option,
        requirements=state.requirements,
    )
    deployment = Deployment(
        request_id=result.request_id,
        option_index=state.chosen,
        requester=message.user,
        manifest_hash=result.manifest_hash,
        thread=message.thread,
        status=result.message,
        links=result.links,
    )
    return _after(state, result, deployment), [_status_card(result, state)]


def stale_review(state: ConversationState, message: Incoming) -> StepResult:
    """A "Request deployment" click when no review awaits confirmation (a what-if, a cancel or
    another step came after its card): nothing is requested; while options are being explored,
    the option it showed is reviewed again when it is still offered.

    Args:
        state: A state that is not confirming.
        message: ``confirm <option id>``.

    Returns:
        The state and a refusal, followed by a fresh review (confirming) when the option is
        still offered.
    """
    found = BOUND_CONFIRM.match(message.text)
    seen = found.group(1).lower() if found else ""
    answer = state.recommendation
    ids = option_ids(answer) if answer and answer.feasible else ()
    text = "That review card is out of date; nothing was requested."
    if answer is None or seen not in ids or state.stage is not Stage.EXPLORING:
        text += " Its option is no longer offered: press Deploy on the latest card."
        return state, [Reply(kind=ReplyKind.ERROR, text=text)]
    index = ids.index(seen)
    text += f" The option it showed is still offered (option {index + 1}): review it again below."
    confirming, review = _review(state, answer, Bound(index=index, number=index + 1))
    return confirming, [Reply(kind=ReplyKind.ERROR, text=text), *review]


def approve(state: ConversationState, message: Incoming, deps: FlowDependencies) -> StepResult:
    """An approver approves the pending request; the deploy side deploys it.

    Args:
        state: An awaiting-approval state.
        message: The approval (its user is the approver).
        deps: The ports.

    Returns:
        The next state (deploying, deployed or failed) and a status card.
    """
    found = APPROVE.match(message.text)
    named, seen = (found.group(1), found.group(2)) if found else (None, None)
    pending = state.deployment if state.stage is Stage.AWAITING_APPROVAL else None
    if pending is None:
        text = "No deployment request awaits approval in this thread"
        text += f" ({named} was cancelled or replaced)." if named else "."
        return state, [Reply(kind=ReplyKind.NOTICE, text=text)]
    if named is None or seen is None:
        return state, [approval_prompt(pending, state)]
    if named.lower() != pending.request_id or not pending.manifest_hash.startswith(seen.lower()):
        text = (
            f"That approval was for {named} (sha256 {seen[:HASH_SHOWN]}), which is not what awaits "
            f"approval here now: {pending.request_id} (sha256 "
            f"{pending.manifest_hash[:HASH_SHOWN]}). Nothing was approved; review the pending "
            "request and approve that one."
        )
        return state, [Reply(kind=ReplyKind.ERROR, text=text), approval_prompt(pending, state)]
    result = deps.deployer.approve(
        request_id=pending.request_id,
        approver=message.user,
        seen_hash=seen.lower(),
        thread=pending.thread or message.thread,
    )
    return _after(state, result, pending), [_status_card(result, state)]


def approval_prompt(pending: Deployment, state: ConversationState | None = None) -> Reply:
    """The card that asks for an approval of exactly the pending request.

    Args:
        pending: The request awaiting approval.
        state: The thread's state (the option the request deploys), when known.

    Returns:
        A status reply whose Approve button carries the request id and manifest hash.
    """
    return deploy_cards.approval_card(
        request_id=pending.request_id,
        manifest_hash=pending.manifest_hash,
        requester=pending.requester,
        option=_option_of(state, pending.option_index) if state else None,
    )


def approval_choices(request_id: str, manifest_hash: str) -> tuple[Choice, ...]:
    """Approve (bound to the request and its manifest hash) and Cancel buttons.

    Args:
        request_id: The request.
        manifest_hash: sha256 of its manifests.

    Returns:
        The two choices (Approve behind a confirmation dialog).
    """
    return deploy_cards.approval_choices(request_id, manifest_hash)


def _option_of(state: ConversationState, index: int | None) -> RecommendedOption | None:
    options = state.recommendation.options if state.recommendation else []
    return options[index] if index is not None and 0 <= index < len(options) else None


def rollback(state: ConversationState, message: Incoming, deps: FlowDependencies) -> StepResult:
    """Roll back this thread's deployment.

    Args:
        state: A state with a deployment.
        message: The rollback message (its user is recorded).
        deps: The ports.

    Returns:
        The rolled-back state and a status card.
    """
    if state.deployment is None:
        return state, [Reply(kind=ReplyKind.NOTICE, text="Nothing was deployed from this thread.")]
    result = deps.deployer.rollback(
        request_id=state.deployment.request_id,
        actor=message.user,
        thread=state.deployment.thread or message.thread,
    )
    return _after(state, result, state.deployment), [_status_card(result, state)]


def status(state: ConversationState, message: Incoming, deps: FlowDependencies) -> StepResult:
    """Where this thread's deployment stands now.

    Args:
        state: The thread's state.
        message: The status message (its thread's tenant holds the request).
        deps: The ports.

    Returns:
        The state updated from the deploy side, and a status card.
    """
    if state.deployment is None:
        text = f"Nothing deployed from this thread; {deploy_cards.stage_words(state.stage)}."
        now = (Field(label="You said", value=cards.summarise(state.requirements)),)
        return state, [Reply(kind=ReplyKind.STATUS, text=text, fields=now)]
    result = deps.deployer.status(
        request_id=state.deployment.request_id,
        thread=state.deployment.thread or message.thread,
    )
    return _after(state, result, state.deployment), [_status_card(result, state)]


def cancel(state: ConversationState) -> StepResult:
    """Drop the pending choice or request and go back to exploring.

    Args:
        state: A confirming or awaiting-approval state.

    Returns:
        The exploring state and a note.
    """
    back = state.model_copy(update={"stage": Stage.EXPLORING, "chosen": None, "deployment": None})
    return back, [Reply(kind=ReplyKind.NOTICE, text="Cancelled. Nothing was deployed.")]


def _after(
    state: ConversationState, result: DeployResult, deployment: Deployment
) -> ConversationState:
    updated = deployment.model_copy(
        update={"status": result.message, "links": {**deployment.links, **result.links}}
    )
    return state.model_copy(update={"stage": _STAGE_OF[result.status], "deployment": updated})


def _status_card(result: DeployResult, state: ConversationState | None = None) -> Reply:
    option = None
    if state is not None and state.deployment is not None:
        option = _option_of(state, state.deployment.option_index)
    elif state is not None:
        option = _option_of(state, state.chosen)
    return deploy_cards.status_card(result, option=option)
