"""Tenants of one install: each Slack workspace or Teams tenant keeps its own deployment records,
approvals and audit trail, and deploys to its own namespaces only.

A tenant's records live under the key prefix ``tenant:<workspace>:`` of the shared record store
(:class:`ScopedRecords`), so a request id from one tenant is unknown to another; its audit is its
own Redis stream (``<stream>:<workspace>``) or JSON-lines file (``<stem>.<slug>.jsonl``). Which
namespaces, approvers and GPUs a tenant has is configuration (``PREFLIGHT_TENANTS``), turned into
a tenant-scoped :class:`deploy.service.DeploymentService` by ``bot.deploy_wiring``; the policy
checks themselves are the ones every plan goes through (:func:`deploy.validate.check_policy`).

This module must not import an SDK or know how records are stored.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from deploy.records import RecordStore

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def tenant_prefix(workspace: str) -> str:
    """The key prefix of a tenant's records.

    Args:
        workspace: The workspace id, e.g. ``slack:T0123``.

    Returns:
        ``tenant:<workspace>:``.
    """
    return f"tenant:{workspace}:"


class ScopedRecords:
    """A tenant's view of a shared :class:`~deploy.records.RecordStore`: every key is prefixed.

    Args:
        inner: The shared store.
        workspace: The tenant.
    """

    def __init__(self, inner: RecordStore, *, workspace: str) -> None:
        self._inner = inner
        self._prefix = tenant_prefix(workspace)

    def put(self, key: str, value: str, *, only_if_absent: bool = False) -> bool:
        """Store a value under the tenant's prefix (see :meth:`RecordStore.put`).

        Args:
            key: The key.
            value: The value.
            only_if_absent: Store only when the key is new.

        Returns:
            Whether the value was stored.
        """
        return self._inner.put(self._prefix + key, value, only_if_absent=only_if_absent)

    def get(self, key: str) -> str | None:
        """Return the tenant's value at ``key``, or None.

        Args:
            key: The key.

        Returns:
            The value or None.
        """
        return self._inner.get(self._prefix + key)

    def append(self, key: str, value: str) -> int:
        """Append to the tenant's list at ``key``.

        Args:
            key: The list's key.
            value: The value.

        Returns:
            The list's new length.
        """
        return self._inner.append(self._prefix + key, value)

    def items(self, key: str) -> list[str]:
        """Return the tenant's list at ``key``, oldest first.

        Args:
            key: The list's key.

        Returns:
            The list.
        """
        return self._inner.items(self._prefix + key)

    def delete(self, *keys: str) -> None:
        """Remove the tenant's values and lists at ``keys``.

        Args:
            *keys: The keys.
        """
        self._inner.delete(*(self._prefix + key for key in keys))


def audit_stream(stream: str, workspace: str) -> str:
    """The Redis stream of a tenant's audit trail.

    Args:
        stream: The install's audit stream, e.g. ``preflight:audit``.
        workspace: The tenant.

    Returns:
        ``<stream>:<workspace>``.
    """
    return f"{stream}:{workspace}"


def audit_path(path: Path, workspace: str) -> Path:
    """The JSON-lines file of a tenant's audit trail, beside the install's.

    The file name keeps the workspace readable and adds a short digest of it, so two workspace
    ids that differ only in characters a file name cannot hold never share a file.

    Args:
        path: The install's audit file, e.g. ``.preflight/audit.jsonl``.
        workspace: The tenant.

    Returns:
        ``<stem>.<slug>-<8 hex>.jsonl`` in the same folder.
    """
    slug = _UNSAFE.sub("-", workspace).strip("-")[:64]
    digest = hashlib.sha256(workspace.encode()).hexdigest()[:8]
    return path.with_name(f"{path.stem}.{slug}-{digest}{path.suffix or '.jsonl'}")
