"""The append-only audit trail of deployments: who did what (by manifest hash), when, result.

Every request, approval, denial, "could not check", dry run, apply, duplicate click, readiness
and rollback becomes one :class:`AuditEvent`. The port has two methods — ``append`` and
``recent`` — and two real implementations: :class:`JsonlAuditLog` here (a JSON-lines file,
opened in append mode for every write) and :class:`deploy.audit_redis.RedisAuditLog` (a Redis
stream, ``XADD``). Neither can change or delete an event.

This module must not import redis; events never carry secrets or manifests, only their hash.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from pydantic import Field, ValidationError

from domain.base import Frozen
from domain.errors import ConfigurationError


class AuditAction(StrEnum):
    """What happened."""

    REQUEST = "request"
    APPROVE = "approve"
    DENY = "deny"
    COULD_NOT_CHECK = "could-not-check"
    DRY_RUN = "dry-run"
    APPLY = "apply"
    DUPLICATE = "duplicate"
    READY = "ready"
    ROLLBACK = "rollback"
    MEASURE = "measure"


class AuditEvent(Frozen):
    """One line of the audit trail."""

    at: datetime = Field(description="When, UTC.")
    action: AuditAction
    actor: str = Field(description="Chat identity (or Kubernetes user) that acted.")
    target: str = Field(description="'namespace/name' of the deployment.")
    manifest_hash: str = Field(default="", description="sha256 of the manifests concerned.")
    request_id: str = ""
    thread_id: str = ""
    result: str = Field(description="ok, denied, error, waiting, skipped ...")
    detail: str = Field(default="", max_length=2000)


def now_utc() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


class AuditLog(Protocol):
    """An append-only trail."""

    def append(self, event: AuditEvent) -> None:
        """Add one event at the end."""
        ...

    def recent(self, *, limit: int = 100) -> list[AuditEvent]:
        """Return the last ``limit`` events, oldest first."""
        ...


class JsonlAuditLog:
    """The audit trail as a JSON-lines file.

    Args:
        path: The file; its folder is created when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, event: AuditEvent) -> None:
        """Append one event as one line (``O_APPEND``, flushed and synced).

        Args:
            event: The event.

        Raises:
            ConfigurationError: When the file cannot be written.
        """
        line = event.model_dump_json() + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise ConfigurationError(f"cannot write the audit file {self.path}: {exc}") from exc

    def recent(self, *, limit: int = 100) -> list[AuditEvent]:
        """Return the last events, oldest first (unreadable lines are skipped).

        Args:
            limit: How many at most.

        Returns:
            The events.
        """
        if not self.path.is_file():
            return []
        events = []
        for line in self.path.read_text().splitlines()[-limit:]:
            try:
                events.append(AuditEvent.model_validate(json.loads(line)))
            except (ValueError, ValidationError):
                continue
        return events
