"""The audit trail as a Redis stream: one ``XADD`` per event, read back with ``XREVRANGE``.

A stream is append-only by construction (entries get increasing ids and are never rewritten
by Preflight). Redis errors become ``BackendUnavailableError``. The only deploy module besides
:mod:`deploy.redis_records` that imports redis.
"""

from __future__ import annotations

import redis
from pydantic import ValidationError

from deploy.audit import AuditEvent
from domain.errors import BackendUnavailableError


class RedisAuditLog:
    """Audit events in a Redis stream.

    Args:
        client: A ``redis.Redis`` created with ``decode_responses=True``.
        stream: The stream key.
    """

    def __init__(self, client: redis.Redis[str], *, stream: str = "preflight:audit") -> None:
        self.client = client
        self.stream = stream

    @classmethod
    def from_url(cls, url: str, *, stream: str = "preflight:audit") -> RedisAuditLog:
        """Connect lazily to the Redis at ``url``.

        Args:
            url: ``redis://host:port/db``.
            stream: The stream key.

        Returns:
            The log.
        """
        return cls(redis.Redis.from_url(url, decode_responses=True), stream=stream)

    def append(self, event: AuditEvent) -> None:
        """Add one event to the stream.

        Args:
            event: The event.

        Raises:
            BackendUnavailableError: When Redis does not answer.
        """
        fields = {"event": event.model_dump_json(), "action": event.action.value}
        try:
            self.client.xadd(self.stream, fields)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise BackendUnavailableError("redis", type(exc).__name__) from exc

    def recent(self, *, limit: int = 100) -> list[AuditEvent]:
        """Return the last events, oldest first.

        Args:
            limit: How many at most.

        Returns:
            The events.

        Raises:
            BackendUnavailableError: When Redis does not answer.
        """
        try:
            entries = self.client.xrevrange(self.stream, count=limit)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise BackendUnavailableError("redis", type(exc).__name__) from exc
        events = []
        for _entry_id, fields in reversed(entries):
            try:
                events.append(AuditEvent.model_validate_json(fields["event"]))
            except (KeyError, ValidationError):
                continue
        return events
