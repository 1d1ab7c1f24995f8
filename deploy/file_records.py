"""The deployment records in one JSON file, for the command line without Redis.

Each ``preflight deploy`` command is its own process, so in-process records would forget the
revisions a later ``rollback`` needs. This store keeps them in a JSON file; every operation
holds an exclusive ``flock`` on a sibling lock file and rewrites the file atomically (write to a
temporary file, then rename), so two processes never both win a claim. Meant for one machine;
Preflight's replicas share :class:`deploy.redis_records.RedisRecords` instead.

This module must not know what the values mean.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from domain.errors import ConfigurationError

T = TypeVar("T")


class FileRecords:
    """Records in a JSON file, safe across processes on one machine.

    Args:
        path: The JSON file; created (with its folder) on first write.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_suffix(".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                data = json.loads(self.path.read_text()) if self.path.is_file() else {}
                data.setdefault("values", {})
                data.setdefault("lists", {})
                before = json.dumps(data, sort_keys=True)
                yield data
                if json.dumps(data, sort_keys=True) != before:
                    temporary = self.path.with_suffix(".tmp")
                    temporary.write_text(json.dumps(data))
                    os.replace(temporary, self.path)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot use the records file {self.path}: {exc}") from exc

    def _with(self, action: Callable[[dict[str, Any]], T]) -> T:
        with self._locked() as data:
            return action(data)

    def put(self, key: str, value: str, *, only_if_absent: bool = False) -> bool:
        """See :meth:`~deploy.records.RecordStore.put` (under the file lock)."""

        def action(data: dict[str, Any]) -> bool:
            """Store under the lock; False when claimed already."""
            if only_if_absent and key in data["values"]:
                return False
            data["values"][key] = value
            return True

        return self._with(action)

    def get(self, key: str) -> str | None:
        """See :meth:`~deploy.records.RecordStore.get`."""
        value = self._with(lambda data: data["values"].get(key))
        return None if value is None else str(value)

    def append(self, key: str, value: str) -> int:
        """See :meth:`~deploy.records.RecordStore.append` (under the file lock)."""

        def action(data: dict[str, Any]) -> int:
            """Append under the lock; return the new length."""
            items = data["lists"].setdefault(key, [])
            items.append(value)
            return len(items)

        return self._with(action)

    def items(self, key: str) -> list[str]:
        """See :meth:`~deploy.records.RecordStore.items`."""
        return [str(item) for item in self._with(lambda data: data["lists"].get(key, []))]

    def delete(self, *keys: str) -> None:
        """See :meth:`~deploy.records.RecordStore.delete` (under the file lock)."""

        def action(data: dict[str, Any]) -> None:
            """Drop the keys under the lock."""
            for key in keys:
                data["values"].pop(key, None)
                data["lists"].pop(key, None)

        self._with(action)
