"""Small records the deployment service keeps: requests, approvals, idempotency claims, revisions.

A port of five keyword-light methods over string keys and values (JSON, written by the service):
``put`` (optionally only if absent — the atomic claim that makes a double-click apply once),
``get``, ``append`` and ``items`` (append-only lists: approvals, revisions), and ``delete`` (a
rollback clears a request's approvals and claims, so the same request can be deployed again).
Implementations: :class:`MemoryRecords` here (the embedded default, one process) and
:class:`deploy.redis_records.RedisRecords` (shared by every replica of Preflight).

This module must not import redis or know what the values mean.
"""

from __future__ import annotations

import threading
from typing import Protocol


class RecordStore(Protocol):
    """Keyed strings and append-only lists of strings.

    Every implementation documents only what it adds (how a claim is atomic, where data lives);
    the contract is here. A store that cannot be reached raises ``BackendUnavailableError``.
    """

    def put(self, key: str, value: str, *, only_if_absent: bool = False) -> bool:
        """Store ``value`` at ``key``; with ``only_if_absent``, only when the key is new.

        Args:
            key: The key.
            value: The value.
            only_if_absent: Store only when the key is new, atomically (a claim).

        Returns:
            Whether the value was stored.
        """
        ...

    def get(self, key: str) -> str | None:
        """The value at ``key``.

        Args:
            key: The key.

        Returns:
            The value, or None when absent.
        """
        ...

    def append(self, key: str, value: str) -> int:
        """Append to the list at ``key`` (created when absent).

        Args:
            key: The list's key.
            value: The value.

        Returns:
            The list's new length.
        """
        ...

    def items(self, key: str) -> list[str]:
        """The list at ``key``, oldest first.

        Args:
            key: The list's key.

        Returns:
            A copy of the list (empty when absent).
        """
        ...

    def delete(self, *keys: str) -> None:
        """Remove values and lists at ``keys`` (absent keys are not an error).

        Args:
            *keys: The keys.
        """
        ...


class MemoryRecords:
    """Records in this process's memory (lost on restart); thread-safe."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}
        self._lists: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, value: str, *, only_if_absent: bool = False) -> bool:
        """See :meth:`RecordStore.put` (under the lock)."""
        with self._lock:
            if only_if_absent and key in self._values:
                return False
            self._values[key] = value
            return True

    def get(self, key: str) -> str | None:
        """See :meth:`RecordStore.get`."""
        with self._lock:
            return self._values.get(key)

    def append(self, key: str, value: str) -> int:
        """See :meth:`RecordStore.append`."""
        with self._lock:
            items = self._lists.setdefault(key, [])
            items.append(value)
            return len(items)

    def items(self, key: str) -> list[str]:
        """See :meth:`RecordStore.items`."""
        with self._lock:
            return list(self._lists.get(key, []))

    def delete(self, *keys: str) -> None:
        """See :meth:`RecordStore.delete`."""
        with self._lock:
            for key in keys:
                self._values.pop(key, None)
                self._lists.pop(key, None)
