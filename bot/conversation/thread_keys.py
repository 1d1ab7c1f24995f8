"""Thread keys scoped by workspace: ``<workspace>/<thread>``, so one install serves many teams.

A Slack workspace (``slack:<team id>``) or a Teams tenant (``teams:<tenant id>``) is a tenant:
its threads, deployment requests, approvals and audit are kept apart from every other tenant's.
Channels build a thread's key with :func:`scoped` (Slack: ``slack:T1/slack:C1:1700.1``; Teams:
``teams:<tenant>/teams:<conversation id>``); the same channel id and thread ``ts`` seen from two
workspaces (a Slack Connect channel, or a test) are two threads. A key without a workspace (the
terminal's ``--thread``) belongs to no tenant.

Before tenants, a thread's key was its ``<thread>`` part alone; :func:`legacy_key` names it, so
a conversation in progress when Preflight was upgraded carries on (the flow reads the old key
when the new one was never written). This module holds string rules only: it must not import a
store, a channel or the deploy side.
"""

from __future__ import annotations

SEPARATOR = "/"


def scoped(workspace: str, thread: str) -> str:
    """The key of a thread inside a workspace.

    Args:
        workspace: The tenant, e.g. ``slack:T0123`` or ``teams:<tenant id>``; it holds no ``/``.
        thread: The channel-qualified thread id, e.g. ``slack:C1:1700.1``.

    Returns:
        ``<workspace>/<thread>``.

    Raises:
        ValueError: When the workspace is empty or holds the separator.
    """
    if not workspace or SEPARATOR in workspace:
        raise ValueError(f"not a workspace id: {workspace!r}")
    return f"{workspace}{SEPARATOR}{thread}"


def workspace_of(key: str) -> str | None:
    """The workspace a thread key belongs to.

    Args:
        key: A thread key.

    Returns:
        The workspace, or None for a key made without one (the terminal, or a pre-tenant key).
    """
    workspace, separator, _thread = key.partition(SEPARATOR)
    return workspace if separator and workspace else None


def legacy_key(key: str) -> str | None:
    """The key the same thread had before keys were scoped by workspace.

    Args:
        key: A thread key.

    Returns:
        The ``<thread>`` part of a scoped key, or None for an unscoped key.
    """
    _workspace, separator, thread = key.partition(SEPARATOR)
    return thread if separator and _workspace and thread else None
