"""The port for per-thread conversation state: versioned reads and writes, and exactly-once events.

Two implementations ship: ``bot.adapters.memory_store`` (in-process, the embedded default) and
``bot.adapters.redis_store`` (Redis, for production and restarts). Both are checked by one contract
suite (``tests/contract/test_state_store.py``). This module must not import either implementation.

Versions start at 0 for a thread never written; every successful save returns the next version.
A save whose ``expected_version`` is not the stored one raises
:class:`~domain.errors.StateConflictError`; the caller reloads and re-applies its change.

An event (a chat delivery) is processed exactly once: its id is recorded by the same atomic
write that saves the state it produced, so a crash before the save leaves it unrecorded (a
redelivery processes it) and a save of an event already recorded raises
:class:`~domain.errors.DuplicateEventError` and writes nothing.

The replies an event produced can be kept by the same write (``replies``) until the channel says
they were posted (:meth:`StateStore.delivered`): a worker that died between the save and the post
leaves them :meth:`StateStore.undelivered`, and the redelivery posts them instead of processing the
event again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.conversation.replies import Reply
from bot.conversation.thread_state import ConversationState


class StateStore(Protocol):
    """Where conversation threads live between messages."""

    def load(self, *, thread: str) -> tuple[ConversationState, int]:
        """Read a thread.

        Args:
            thread: The thread id (channel-qualified, e.g. ``slack:C1:1700.1``).

        Returns:
            The state (a fresh one for an unknown thread) and its version (0 when never saved).

        Raises:
            BackendUnavailableError: When the store cannot be reached.
        """
        ...

    def save(
        self,
        *,
        thread: str,
        state: ConversationState,
        expected_version: int,
        event_id: str | None = None,
        replies: Sequence[Reply] = (),
    ) -> int:
        """Write a thread if nobody wrote it since ``expected_version``, recording ``event_id``.

        Args:
            thread: The thread id.
            state: The new state.
            expected_version: The version :meth:`load` returned.
            event_id: The delivery that produced the state; recorded in the same atomic write.
            replies: What the event answered, kept undelivered under ``event_id`` by the same
                write (ignored without an event id).

        Returns:
            The new version.

        Raises:
            DuplicateEventError: When ``event_id`` was recorded already (nothing is written).
            StateConflictError: When another writer saved first.
            BackendUnavailableError: When the store cannot be reached.
        """
        ...

    def seen_event(self, *, event_id: str) -> bool:
        """Whether an event was processed already (a read; records nothing).

        Args:
            event_id: The channel's delivery id (e.g. ``slack:<channel>:<ts>``).

        Returns:
            True when a save recorded it.

        Raises:
            BackendUnavailableError: When the store cannot be reached.
        """
        ...

    def undelivered(self, *, event_id: str) -> list[Reply]:
        """The replies a save kept for ``event_id`` and nobody marked delivered yet.

        Args:
            event_id: The channel's delivery id.

        Returns:
            The replies in order; empty when none are waiting.

        Raises:
            BackendUnavailableError: When the store cannot be reached.
        """
        ...

    def delivered(self, *, event_id: str) -> None:
        """Forget the replies kept for ``event_id``: the channel posted them.

        Args:
            event_id: The channel's delivery id.

        Raises:
            BackendUnavailableError: When the store cannot be reached.
        """
        ...
