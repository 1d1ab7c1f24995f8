"""The tracing port: spans around a turn's stages and the deploy steps, off unless configured.

A :class:`Tracer` opens named spans that nest (the innermost open span is the parent). The flow
opens ``preflight.turn`` around each message; ``bot.conversation.traced`` wraps the flow's
dependencies, so understanding (``preflight.understand``), recommending
(``preflight.recommend``) and each deploy step (``preflight.deploy.request``, ``.approve`` —
the server-side dry-run and apply happen inside it —, ``.rollback``, ``.status``) are children
of the turn; a channel opens ``preflight.message`` around a delivery and ``preflight.reply``
around posting, so one delivery is one trace.

Attributes are ids, stages, counts and outcomes only: never a message's text, a requirement's
free text, a user's name or a secret. :data:`NO_TRACING` is the default (does nothing);
``bot.adapters.otel_tracer`` is the OpenTelemetry implementation. This module must not import
an SDK.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Protocol

Value = str | int | float | bool
"""An attribute's value."""


class Span(Protocol):
    """An open span, to note attributes on as they become known."""

    def note(self, key: str, value: Value) -> None:
        """Set one attribute (an id, a stage, a count, an outcome; never chat text).

        Args:
            key: The attribute's name (``preflight.`` names).
            value: Its value.
        """
        ...


class Tracer(Protocol):
    """Opens spans."""

    def span(
        self, name: str, attributes: Mapping[str, Value] | None = None
    ) -> AbstractContextManager[Span]:
        """A span, child of the innermost open one, ended when the block ends (an exception
        leaving the block marks it failed, with the exception's type only).

        Args:
            name: The span's name.
            attributes: Attributes known at the start.

        Returns:
            A context manager yielding the span.
        """
        ...


class _Unrecorded:
    def note(self, key: str, value: Value) -> None:
        """Record nothing."""


class NoTracing:
    """The default tracer: opens nothing, costs next to nothing."""

    @contextlib.contextmanager
    def span(self, name: str, attributes: Mapping[str, Value] | None = None) -> Iterator[Span]:
        """A span that records nothing (see :class:`Tracer`)."""
        yield _Unrecorded()


NO_TRACING = NoTracing()
