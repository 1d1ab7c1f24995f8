"""Which thread and which request a log line is about, on every line logged while handling it.

The flow binds both when it takes a message (:func:`bound`); :class:`ContextFilter` copies them
onto every record logged in that context (the flow's, the adapters', the SDKs'), and the JSON
formatter of ``preflight serve`` writes them as ``thread_id`` and ``request_id``. Only ids are
carried, never message text, user names or secrets. Context variables follow the code that runs
for one message (a worker thread or an asyncio task) and do not leak into the next one.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_thread: ContextVar[str | None] = ContextVar("preflight_thread_id", default=None)
_request: ContextVar[str | None] = ContextVar("preflight_request_id", default=None)
FIELDS = ("thread_id", "request_id")


@contextmanager
def bound(*, thread: str, request: str | None = None) -> Iterator[str]:
    """Log everything inside the block as about ``thread`` and ``request``.

    Args:
        thread: The channel-qualified thread id.
        request: The channel's delivery id; a fresh random id when the channel gives none.

    Yields:
        The request id in use.
    """
    request_id = request or f"req-{uuid.uuid4().hex[:12]}"
    thread_token = _thread.set(thread)
    request_token = _request.set(request_id)
    try:
        yield request_id
    finally:
        _request.reset(request_token)
        _thread.reset(thread_token)


def current() -> dict[str, str]:
    """The ids bound now (none outside :func:`bound`).

    Returns:
        ``thread_id`` and ``request_id`` when bound.
    """
    values = {"thread_id": _thread.get(), "request_id": _request.get()}
    return {key: value for key, value in values.items() if value is not None}


class ContextFilter(logging.Filter):
    """Adds the bound ids to each record as attributes (``None`` when unbound); passes all."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach ``thread_id`` and ``request_id``.

        Args:
            record: The log record.

        Returns:
            Always True.
        """
        ids = current()
        for field in FIELDS:
            setattr(record, field, ids.get(field))
        return True
