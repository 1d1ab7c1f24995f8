"""The port for per-thread conversation state: versioned reads and writes, and event de-duplication.

Two implementations ship: ``bot.adapters.memory_store`` (in-process, the embedded default) and
``bot.adapters.redis_store`` (Redis, for production and restarts). Both are checked by one contract
suite (``tests/contract/test_state_store.py``). This module must not import either implementation.

Versions start at 0 for a thread never written; every successful save returns the next version.
A save whose ``expected_version`` is not the stored one raises
:class:`~domain.errors.StateConflictError`; the caller reloads and re-applies its change.
"""

from __future__ import annotations

from typing import Protocol

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

    def save(self, *, thread: str, state: ConversationState, expected_version: int) -> int:
        """Write a thread if nobody wrote it since ``expected_version``.

        Args:
            thread: The thread id.
            state: The new state.
            expected_version: The version :meth:`load` returned.

        Returns:
            The new version.

        Raises:
            StateConflictError: When another writer saved first.
            BackendUnavailableError: When the store cannot be reached.
        """
        ...

    def mark_event(self, *, event_id: str) -> bool:
        """Record that an incoming event was seen.

        Args:
            event_id: The channel's delivery id (Slack ``event_id``, Teams activity id).

        Returns:
            True the first time an id is marked, False for every repeat.

        Raises:
            BackendUnavailableError: When the store cannot be reached.
        """
        ...
