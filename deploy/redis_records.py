"""The deployment service's records in Redis, shared by every replica of Preflight.

``put`` is ``SET`` (``NX`` for claims, so two replicas handling the same click apply once),
``get`` is ``GET``, lists are ``RPUSH``/``LRANGE``. Keys live under a prefix. Redis errors
become ``BackendUnavailableError``. This module must not know what the values mean.
"""

from __future__ import annotations

from typing import Any

import redis

from domain.errors import BackendUnavailableError


class RedisRecords:
    """Records in Redis.

    Args:
        client: A ``redis.Redis`` created with ``decode_responses=True``.
        prefix: Prepended to every key.
    """

    def __init__(self, client: redis.Redis[str], *, prefix: str = "preflight:deploy:") -> None:
        self.client = client
        self.prefix = prefix

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "preflight:deploy:") -> RedisRecords:
        """Connect lazily to the Redis at ``url``.

        Args:
            url: ``redis://host:port/db``.
            prefix: Key prefix.

        Returns:
            The store.
        """
        return cls(redis.Redis.from_url(url, decode_responses=True), prefix=prefix)

    def _run(self, command: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.client.execute_command(command, *args, **kwargs)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise BackendUnavailableError("redis", type(exc).__name__) from exc

    def put(self, key: str, value: str, *, only_if_absent: bool = False) -> bool:
        """See :meth:`~deploy.records.RecordStore.put` (a claim is ``SET NX``)."""
        args = ["NX"] if only_if_absent else []
        return bool(self._run("SET", self.prefix + key, value, *args))

    def get(self, key: str) -> str | None:
        """See :meth:`~deploy.records.RecordStore.get` (``GET``)."""
        value = self._run("GET", self.prefix + key)
        return None if value is None else str(value)

    def append(self, key: str, value: str) -> int:
        """See :meth:`~deploy.records.RecordStore.append` (``RPUSH``)."""
        return int(self._run("RPUSH", self.prefix + key, value))

    def items(self, key: str) -> list[str]:
        """See :meth:`~deploy.records.RecordStore.items` (``LRANGE``)."""
        return [str(item) for item in self._run("LRANGE", self.prefix + key, 0, -1)]

    def delete(self, *keys: str) -> None:
        """See :meth:`~deploy.records.RecordStore.delete` (``DEL``)."""
        if keys:
            self._run("DEL", *(self.prefix + key for key in keys))
