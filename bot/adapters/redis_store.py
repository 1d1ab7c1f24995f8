"""The Redis state store: threads survive restarts, concurrent writers never lose an update.

Each thread is one hash (``v`` = version, ``s`` = state JSON) written by a Lua compare-and-set,
so a writer that read version *n* only succeeds while the stored version is still *n*; every
write refreshes the TTL. The same script records the event id that produced the write (a key
with its own TTL) and refuses a write whose event is recorded already, so an event is processed
exactly once: never recorded without its state, never applied twice; the replies it produced
are kept by the same script under ``outbox:<event>`` until the channel marks them delivered.
Redis errors become
:class:`~domain.errors.BackendUnavailableError`; the client reconnects on the next call, so the
store recovers by itself when Redis is back. This is the only bot module that imports redis.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis
from pydantic import ValidationError

from bot.conversation.replies import Reply, replies_from_json, replies_to_json
from bot.conversation.thread_state import ConversationState
from domain.errors import BackendUnavailableError, DuplicateEventError, StateConflictError

_CAS = """
if ARGV[4] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return -2 end
local current = redis.call('HGET', KEYS[1], 'v')
if (current or '0') ~= ARGV[1] then return -1 end
local next_version = tonumber(ARGV[1]) + 1
redis.call('HSET', KEYS[1], 'v', next_version, 's', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then redis.call('SET', KEYS[2], '1', 'EX', ARGV[4]) end
if ARGV[4] ~= '' and ARGV[5] ~= '' then redis.call('SET', KEYS[3], ARGV[5], 'EX', ARGV[4]) end
return next_version
"""


class RedisStateStore:
    """A :class:`~bot.conversation.state_store.StateStore` in Redis.

    Args:
        url: ``redis://`` or ``rediss://`` URL (may carry a password; never logged).
        ttl_s: Seconds a thread is kept after its last write.
        event_ttl_s: Seconds an event id is remembered.
        prefix: Key prefix, so several deployments (or tests) can share one database.
        timeout_s: Connect and read timeout; a dead Redis answers within it.
    """

    def __init__(
        self,
        *,
        url: str,
        ttl_s: int = 30 * 24 * 3600,
        event_ttl_s: int = 24 * 3600,
        prefix: str = "preflight:",
        timeout_s: float = 2.0,
    ) -> None:
        self._client: redis.Redis[bytes] = redis.Redis.from_url(
            url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s
        )
        self._ttl_s = ttl_s
        self._event_ttl_s = event_ttl_s
        self._prefix = prefix
        self._cas: Any = self._client.register_script(_CAS)

    def load(self, *, thread: str) -> tuple[ConversationState, int]:
        """Read a thread (see :meth:`bot.conversation.state_store.StateStore.load`)."""
        try:
            version, document = self._client.hmget(self._thread_key(thread), ["v", "s"])
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc
        if version is None or document is None:
            return ConversationState(), 0
        try:
            return ConversationState.model_validate_json(document), int(version)
        except ValidationError:
            # A state written by an incompatible release: start the thread afresh, keep the version.
            return ConversationState(), int(version)

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
        document = state.model_dump_json()
        event = event_id or ""
        try:
            result = int(
                self._cas(
                    keys=[
                        self._thread_key(thread),
                        self._event_key(event),
                        self._outbox_key(event),
                    ],
                    args=[
                        str(expected_version),
                        document,
                        str(self._ttl_s),
                        str(self._event_ttl_s) if event_id else "",
                        replies_to_json(replies) if replies else "",
                    ],
                )
            )
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc
        if result == -2 and event_id:
            raise DuplicateEventError(event_id)
        if result < 0:
            raise StateConflictError(thread, expected=expected_version)
        return result

    def seen_event(self, *, event_id: str) -> bool:
        """Whether a save recorded ``event_id`` (see the port)."""
        try:
            return bool(self._client.exists(self._event_key(event_id)))
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc

    def undelivered(self, *, event_id: str) -> list[Reply]:
        """The replies kept for ``event_id`` and not yet delivered (see the port)."""
        try:
            document = self._client.get(self._outbox_key(event_id))
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc
        return replies_from_json(document) if document else []

    def delivered(self, *, event_id: str) -> None:
        """Forget the replies kept for ``event_id`` (see the port)."""
        try:
            self._client.delete(self._outbox_key(event_id))
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _event_key(self, event_id: str) -> str:
        return f"{self._prefix}event:{event_id}"

    def _outbox_key(self, event_id: str) -> str:
        return f"{self._prefix}outbox:{event_id}"

    def _thread_key(self, thread: str) -> str:
        return f"{self._prefix}thread:{thread}"


def _unavailable(exc: redis.RedisError) -> BackendUnavailableError:
    """Translate a redis error, without the URL (it may hold a password)."""
    detail = f"{type(exc).__name__}: conversation state cannot be read or saved"
    return BackendUnavailableError("Redis", detail, retry_after_s=5)
