"""The in-process state store: the embedded default, thread-safe, gone when the process ends.

It keeps immutable :class:`~bot.conversation.thread_state.ConversationState` values in dictionaries
behind one lock, with the same versioning and expiry rules as the Redis store. It must not do
I/O or import a backend library.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from bot.conversation.replies import Reply
from bot.conversation.thread_state import ConversationState
from domain.errors import DuplicateEventError, StateConflictError

_PRUNE_AT = 10_000  # event ids kept before expired ones are swept out


class InMemoryStateStore:
    """A :class:`~bot.conversation.state_store.StateStore` in a dictionary.

    Args:
        ttl_s: Seconds a thread or event id is kept after its last write.
        clock: Monotonic seconds (tests pass their own).
    """

    def __init__(self, *, ttl_s: float = 30 * 24 * 3600, clock: Callable[[], float] | None = None):
        self._ttl_s = ttl_s
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._threads: dict[str, tuple[ConversationState, int, float]] = {}
        self._events: dict[str, float] = {}
        self._outbox: dict[str, tuple[Reply, ...]] = {}

    def load(self, *, thread: str) -> tuple[ConversationState, int]:
        """Read a thread (see :meth:`bot.conversation.state_store.StateStore.load`)."""
        with self._lock:
            entry = self._threads.get(thread)
            if entry is None or entry[2] <= self._clock():
                return ConversationState(), 0
            return entry[0], entry[1]

    def save(
        self,
        *,
        thread: str,
        state: ConversationState,
        expected_version: int,
        event_id: str | None = None,
        replies: Sequence[Reply] = (),
    ) -> int:
        """Write a thread if unchanged since ``expected_version``, recording ``event_id``."""
        with self._lock:
            now = self._clock()
            if event_id is not None and self._events.get(event_id, 0.0) > now:
                raise DuplicateEventError(event_id)
            entry = self._threads.get(thread)
            current = entry[1] if entry is not None and entry[2] > now else 0
            if current != expected_version:
                raise StateConflictError(thread, expected=expected_version)
            self._threads[thread] = (state, current + 1, now + self._ttl_s)
            if event_id is not None:
                if len(self._events) > _PRUNE_AT:
                    self._events = {key: t for key, t in self._events.items() if t > now}
                    self._outbox = {k: r for k, r in self._outbox.items() if k in self._events}
                self._events[event_id] = now + self._ttl_s
                if replies:
                    self._outbox[event_id] = tuple(replies)
            return current + 1

    def seen_event(self, *, event_id: str) -> bool:
        """Whether a save recorded ``event_id`` (see the port)."""
        with self._lock:
            return self._events.get(event_id, 0.0) > self._clock()

    def undelivered(self, *, event_id: str) -> list[Reply]:
        """The replies kept for ``event_id`` and not yet delivered (see the port)."""
        with self._lock:
            return list(self._outbox.get(event_id, ()))

    def delivered(self, *, event_id: str) -> None:
        """Forget the replies kept for ``event_id`` (see the port)."""
        with self._lock:
            self._outbox.pop(event_id, None)
