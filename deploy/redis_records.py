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
        """Store a value; with ``only_if_absent``, atomically only when the key is new.

        Args:
            key: The key.
            value: The value.
            only_if_absent: ``SET NX``.

        Returns:
            Whether the value was stored.
        """
        args = ["NX"] if only_if_absent else []
        return bool(self._run("SET", self.prefix + key, value, *args))

    def get(self, key: str) -> str | None:
        """Return the value at ``key``, or None.

        Args:
            key: The key.

        Returns:
            The value or None.
        """
        value = self._run("GET", self.prefix + key)
        return None if value is None else str(value)

    def append(self, key: str, value: str) -> int:
        """Append to a list.

        Args:
            key: The list's key.
            value: The value.

        Returns:
            The list's new length.
        """
        return int(self._run("RPUSH", self.prefix + key, value))

    def items(self, key: str) -> list[str]:
        """Return a list, oldest first.

        Args:
            key: The list's key.

        Returns:
            The list (empty when absent).
        """
        return [str(item) for item in self._run("LRANGE", self.prefix + key, 0, -1)]

    def delete(self, *keys: str) -> None:
        """Remove values and lists.

        Args:
            *keys: The keys.
        """
        if keys:
            self._run("DEL", *(self.prefix + key for key in keys))
