"""The conversation flow: a channel-neutral state machine from a first message to a deployment.

Stages: collecting → (recommending) → exploring → confirming → awaiting approval → deploying →
deployed / rolled back / failed. Each message is applied to the thread's state read from a
:class:`~bot.conversation.state_store.StateStore`; the new state is saved with the version that was
read, and when a concurrent message in the same thread saved first the message is re-applied to the
fresh state, so no update is lost. A message is processed exactly once: its event id is recorded
by the same atomic save as the state it produced (so a crash before the save lets a redelivery
through), and a delivery whose id is already recorded gets no reply.

Channels with a durable inbox use :meth:`ConversationFlow.process`: the replies are kept by the
same save until :meth:`ConversationFlow.delivered`, so a redelivery after a crash between the save
and the post gets the kept replies instead of nothing, and a store outage is raised (the message
stays in the inbox and is retried) instead of answered.

This module must never import a channel or a chat SDK (an import-linter contract checks it):
channels hand it :class:`Incoming` messages and render the :class:`~bot.conversation.replies.Reply`
list.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import logging
import re
import time
from collections.abc import Iterator, Sequence

from bot import log_context
from bot.conversation import cards, deploy_cards, deploy_steps, measure_steps, recheck, steps
from bot.conversation.ports import FlowDependencies
from bot.conversation.questions import question
from bot.conversation.replies import Field, Reply, ReplyKind, reply_key, settling_choices
from bot.conversation.state_store import StateStore
from bot.conversation.steps import Incoming, StepResult
from bot.conversation.thread_keys import legacy_key
from bot.conversation.thread_state import ConversationState, Essential, PostedCard, Stage
from bot.conversation.traced import traced
from bot.conversation.tracing import NO_TRACING, Span, Tracer
from domain.errors import (
    BackendUnavailableError,
    DuplicateEventError,
    StateConflictError,
    UserFacingError,
)

__all__ = ["ConversationFlow", "Incoming"]

MAX_ATTEMPTS = 8
MAX_POSTED = 6
"""Cards with buttons a thread keeps for redrawing once used (older ones fall back to their
summary)."""
_log = logging.getLogger(__name__)
_HELP = re.compile(r"^\s*(help|\?|what can you do\??)\s*$", re.IGNORECASE)
_RESET = re.compile(r"^\s*(start over|reset|restart|new conversation)\s*$", re.IGNORECASE)
_DETAILS = re.compile(
    r"^\s*(how (was|is) (this|that|it) (computed|calculated)|details|assumptions)\s*\??\s*$",
    re.IGNORECASE,
)
_CHART = re.compile(r"^\s*(show (the )?)?(chart|plot|graph)\s*$", re.IGNORECASE)
_DEPLOYED_STAGES = (Stage.DEPLOYED, Stage.DEPLOYING)
_TURN: contextvars.ContextVar[Span | None] = contextvars.ContextVar("preflight_turn", default=None)


class ConversationFlow:
    """Handles one message at a time for any number of threads.

    Args:
        store: Where thread state lives.
        deps: Understanding, recommender, deployer, chart and task defaults.
    """

    def __init__(self, *, store: StateStore, deps: FlowDependencies) -> None:
        self._store = store
        self._given = deps
        self._deps = traced(deps)

    @property
    def tracer(self) -> Tracer:
        """The tracer the flow's spans go to (channels open theirs around a turn with it)."""
        return self._deps.tracer

    def handle(self, message: Incoming) -> list[Reply]:
        """Apply one message to its thread and return what to say; every line logged meanwhile
        carries the thread and request ids (``bot.log_context``).

        Args:
            message: The incoming message.

        Returns:
            The replies, in order; empty for a repeated delivery.
        """
        with self._turn(message):
            return self._handle(message)

    def _handle(self, message: Incoming) -> list[Reply]:
        started = time.perf_counter()
        try:
            if message.event_id and self._store.seen_event(event_id=message.event_id):
                return []
            return self._apply_with_retry(message, started)
        except DuplicateEventError:
            return []
        except BackendUnavailableError as exc:
            self._observe(started, None, None, "unavailable")
            return [_unavailable(exc)]

    def process(self, message: Incoming, *, resume: bool = False) -> list[Reply]:
        """Apply one message from a durable inbox, keeping its replies until they are delivered.

        Args:
            message: The incoming message; its ``event_id`` is required.
            resume: The job was handed on from a worker whose lease ran out: when that worker
                saved the message, return its kept replies (it may have died before posting).
                A fresh copy of a processed message (a platform's redelivery) returns nothing.

        Returns:
            The replies to post, then confirm with :meth:`delivered`: the new ones, or (when
            resuming) the kept ones of a delivery that was processed but not posted.

        Raises:
            ValueError: When the message has no event id.
            BackendUnavailableError: When the store cannot be reached (nothing was recorded).
        """
        if message.event_id is None:
            raise ValueError("a message from an inbox needs its event id")
        with self._turn(message):
            return self._process(message, message.event_id, resume=resume)

    @contextlib.contextmanager
    def _turn(self, message: Incoming) -> Iterator[None]:
        """Log lines with the thread and request ids, inside a ``preflight.turn`` span."""
        ids = {"preflight.thread": message.thread, "preflight.request": message.event_id or ""}
        with (
            log_context.bound(thread=message.thread, request=message.event_id),
            self._deps.tracer.span("preflight.turn", ids) as span,
        ):
            token = _TURN.set(span)
            try:
                yield
            finally:
                _TURN.reset(token)

    def _process(self, message: Incoming, event_id: str, *, resume: bool) -> list[Reply]:
        if self._store.seen_event(event_id=event_id):
            return self._store.undelivered(event_id=event_id) if resume else []
        try:
            return self._apply_with_retry(message, time.perf_counter(), keep=True)
        except DuplicateEventError:
            return []  # another worker holds it and posts its replies

    def rehearse(self, texts: Sequence[str], *, store: StateStore) -> None:
        """Run sample messages through a copy of the flow on a scratch store, without metrics or
        spans, so the first real turns find modules imported, caches filled and models loaded.

        Args:
            texts: Messages of one thread, in order.
            store: A scratch store (the real one is never written).
        """
        quiet = dataclasses.replace(self._given, metrics=None, tracer=NO_TRACING)
        scratch = ConversationFlow(store=store, deps=quiet)
        for text in texts:
            scratch.handle(Incoming(thread="preflight:warm-up", text=text))

    def delivered(self, *, event_id: str) -> None:
        """Forget the kept replies of a delivery: the channel posted them.

        Args:
            event_id: The delivery's id.

        Raises:
            BackendUnavailableError: When the store cannot be reached.
        """
        self._store.delivered(event_id=event_id)

    def knows(self, *, thread: str) -> bool:
        """Whether Preflight talks in a thread (it was opened or has state).

        Args:
            thread: The thread id.

        Returns:
            True when the thread was ever saved.

        Raises:
            BackendUnavailableError: When the store cannot be reached ("could not tell").
        """
        return self._load(thread)[1] > 0

    def open(self, *, thread: str) -> None:
        """Mark a thread as one Preflight talks in, before its first message is processed, so
        follow-ups that arrive meanwhile are answered (a no-op for a known thread).

        Args:
            thread: The thread id.

        Raises:
            BackendUnavailableError: When the store cannot be reached.
        """
        state, version = self._load(thread)
        if version == 0:
            try:
                self._store.save(thread=thread, state=state, expected_version=0)
            except StateConflictError:
                return  # someone else opened or wrote it first

    def posted(self, *, thread: str, key: str) -> Reply | None:
        """A card with buttons this thread was sent, by its :func:`~bot.conversation.replies.
        reply_key` (for redrawing it once one of its buttons was used).

        Args:
            thread: The thread id.
            key: The reply's key, as its buttons carry it.

        Returns:
            The reply (without images), or None when it is not among the latest kept.

        Raises:
            BackendUnavailableError: When the store cannot be reached.
        """
        found = (card.reply for card in self._load(thread)[0].posted if card.key == key)
        return next(found, None)

    def state(self, *, thread: str) -> ConversationState:
        """The stored state of a thread (for channels that show status, and for tests).

        Args:
            thread: The thread id.

        Returns:
            The state.
        """
        return self._load(thread)[0]

    def _load(self, thread: str) -> tuple[ConversationState, int]:
        """A thread's state and version; a thread never saved under its workspace-scoped key
        carries on from its pre-tenant key (version 0, so the next save writes the new key)."""
        state, version = self._store.load(thread=thread)
        old = legacy_key(thread) if version == 0 else None
        if old is None:
            return state, version
        earlier, earlier_version = self._store.load(thread=old)
        if earlier_version == 0:
            return state, version
        deployment = earlier.deployment
        if deployment is not None and not deployment.thread:
            # its request was made, and is owned, under the old key
            earlier = earlier.model_copy(
                update={"deployment": deployment.model_copy(update={"thread": old})}
            )
        return earlier, 0

    def _observe(
        self,
        started: float,
        before: ConversationState | None,
        after: ConversationState | None,
        outcome: str,
    ) -> None:
        seconds = time.perf_counter() - started
        stages = [s.stage.value if s is not None else "unknown" for s in (before, after)]
        _log.info("turn %s: %s -> %s in %.0f ms", outcome, *stages, seconds * 1000)
        span = _TURN.get()
        if span is not None:
            span.note("preflight.outcome", outcome)
            span.note("preflight.stage_before", stages[0])
            span.note("preflight.stage_after", stages[1])
        if self._deps.metrics is None:
            return
        first = after.started_at if after is not None else None
        self._deps.metrics.turn(
            seconds=seconds,
            before=stages[0],
            after=stages[1],
            outcome=outcome,
            since_start_s=time.time() - first if first is not None else None,
        )

    def _follow(self, before: ConversationState, after: ConversationState, thread: str) -> None:
        """Hand a deployment that was just applied to the Day-2 watch."""
        follower, deployment, answer = self._deps.follower, after.deployment, after.recommendation
        if follower is None or deployment is None or answer is None or answer.planned is None:
            return
        if after.stage not in _DEPLOYED_STAGES or before.stage in _DEPLOYED_STAGES:
            return  # followed once applied: a rollout that comes up later is watched too
        if not 0 <= deployment.option_index < len(answer.options):
            return
        follower.follow(
            request_id=deployment.request_id,
            thread=thread,
            option=answer.options[deployment.option_index],
            planned=answer.planned,
            requirements=after.requirements,
        )

    def _apply_with_retry(
        self, message: Incoming, started: float, *, keep: bool = False
    ) -> list[Reply]:
        for _ in range(MAX_ATTEMPTS):
            state, version = self._load(message.thread)
            outcome = "ok"
            try:
                new_state, replies = self._step(state, message)
            except UserFacingError as exc:
                new_state, replies = state, [_refusal(exc)]  # saved too: the event is recorded
                outcome = "refused"
            if new_state.started_at is None:
                new_state = new_state.model_copy(update={"started_at": time.time()})
            if message.reply_to and new_state.reply_to != message.reply_to:
                new_state = new_state.model_copy(update={"reply_to": message.reply_to})
            new_state = _remember(new_state, replies)
            try:
                self._store.save(
                    thread=message.thread,
                    state=new_state,
                    expected_version=version,
                    event_id=message.event_id,
                    replies=replies if keep else (),
                )
            except DuplicateEventError:
                raise
            except StateConflictError:
                continue
            self._observe(started, state, new_state, outcome)
            self._follow(state, new_state, message.thread)
            return replies
        self._observe(started, None, None, "busy")
        return [
            Reply(
                kind=ReplyKind.ERROR,
                text="This thread is busy with other messages; please send that again.",
            )
        ]

    def _step(self, state: ConversationState, message: Incoming) -> StepResult:
        text = message.text
        if _HELP.match(text):
            return state, [_help(state)]
        if _RESET.match(text):
            fresh = ConversationState(asking=Essential.TASK)
            return fresh, [question(Essential.TASK, fresh.requirements, preface="Starting over.")]
        if _CHART.match(text):
            return state, [steps.chart(state, self._deps)]
        if _DETAILS.match(text):
            return state, [cards.details_card(state.recommendation)]
        if recheck.RECHECK.match(text):
            return recheck.recheck(state, self._deps)
        if measure_steps.MEASURE_STATUS.match(text):
            return measure_steps.status(state, message, self._deps)
        if measure_steps.MEASURE.match(text):
            return measure_steps.start(state, message, self._deps)
        if deploy_steps.STATUS.match(text):
            return deploy_steps.status(state, message, self._deps)
        approval = deploy_steps.APPROVE.match(text)
        if approval and (approval.group(1) or state.stage is Stage.AWAITING_APPROVAL):
            return deploy_steps.approve(state, message, self._deps)
        if deploy_steps.ROLLBACK.match(text) and state.stage in _DEPLOYED_STAGES:
            return deploy_steps.rollback(state, message, self._deps)
        return self._by_stage(state, message)

    def _by_stage(self, state: ConversationState, message: Incoming) -> StepResult:
        text = message.text
        if state.stage is Stage.COLLECTING or state.recommendation is None:
            return steps.collect(state, message, self._deps)
        if state.stage is Stage.CONFIRMING:
            if deploy_steps.YES.match(text):
                return deploy_steps.confirm(state, message, self._deps)
            if deploy_steps.NO.match(text):
                return deploy_steps.cancel(state)
        if state.stage is Stage.AWAITING_APPROVAL:
            if deploy_steps.NO.match(text):
                return deploy_steps.cancel(state)
            return state, [_waiting(state)]
        if deploy_steps.DEPLOY.match(text):
            return deploy_steps.choose(state, message, self._deps)
        if deploy_steps.BOUND_CONFIRM.match(text):
            return deploy_steps.stale_review(state, message)
        return steps.explore(state, message, self._deps)


def _remember(state: ConversationState, replies: Sequence[Reply]) -> ConversationState:
    """Keep the latest cards with buttons (without images) for redrawing once used."""
    fresh = [
        PostedCard(key=reply_key(reply), reply=reply.model_copy(update={"images": ()}))
        for reply in replies
        if settling_choices(reply)
    ]
    if not fresh:
        return state
    keys = {card.key for card in fresh}
    kept = [card for card in state.posted if card.key not in keys] + fresh
    return state.model_copy(update={"posted": tuple(kept[-MAX_POSTED:])})


def _help(state: ConversationState) -> Reply:
    return Reply(
        kind=ReplyKind.NOTICE,
        text=(
            "Tell me what the endpoint is for and how much traffic it gets; I will ask for "
            "anything essential that is missing and recommend model, GPU and vLLM settings with "
            "predicted latency and cost. Then ask what-ifs (“double the traffic”, “what about "
            "L40S”, “fp8?”, “budget 5k”, “p99 instead”, “3 replicas”), “chart”, “deploy option "
            "1”, “status”, “measure” (GuideLLM against a ready deployment), “measure status”, "
            "“recheck” (the same question on today's data), “rollback” or “start over”."
        ),
        fields=(Field(label="Where we are", value=deploy_cards.stage_words(state.stage)),),
    )


def _waiting(state: ConversationState) -> Reply:
    if state.deployment is None:
        return Reply(kind=ReplyKind.STATUS, text="A request awaits an approver. Approve or cancel.")
    return deploy_steps.approval_prompt(state.deployment, state)


def _refusal(exc: UserFacingError) -> Reply:
    fields = (Field(label="What you can do", value=exc.hint),) if exc.hint else ()
    return Reply(kind=ReplyKind.ERROR, text=exc.message, fields=fields)


def _unavailable(exc: BackendUnavailableError) -> Reply:
    return Reply(
        kind=ReplyKind.ERROR,
        text=(
            f"{exc.service} is not answering right now, so I could not finish that. "
            f"Nothing was lost; try again in about {exc.retry_after_s:.0f} s."
        ),
    )
