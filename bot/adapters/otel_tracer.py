"""Traces through OpenTelemetry: the :class:`~bot.conversation.tracing.Tracer` port on the SDK.

Optional: installed with ``pip install 'preflight[tracing]'`` and switched on by
``PREFLIGHT_TRACING__OTLP_ENDPOINT`` (an OTLP/HTTP traces URL, e.g.
``http://otel-collector:4318/v1/traces``); spans leave in batches from a background thread, so
a collector that is down costs the turns nothing. Each :class:`OtelTracer` has its own
``TracerProvider`` (nothing global is set), so tests and several servers in one process do not
mix. This is the only module that imports ``opentelemetry``. An exception leaving a span marks
it failed with the exception's type only: its message may quote chat text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span as OtelSpan
from opentelemetry.trace import Status, StatusCode

from bot.conversation.tracing import Span, Value


class _Noted:
    """The port's span over an SDK span."""

    def __init__(self, span: OtelSpan) -> None:
        self._span = span

    def note(self, key: str, value: Value) -> None:
        """Set one attribute (see :class:`~bot.conversation.tracing.Span`)."""
        self._span.set_attribute(key, value)


class OtelTracer:
    """A :class:`~bot.conversation.tracing.Tracer` over an OpenTelemetry ``TracerProvider``.

    Args:
        processor: Where finished spans go (a batch processor with the OTLP exporter in
            production; tests pass a simple processor over the SDK's in-memory exporter).
        service_name: The ``service.name`` resource attribute.
    """

    def __init__(self, processor: SpanProcessor, *, service_name: str = "preflight") -> None:
        self.provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
        self.provider.add_span_processor(processor)
        self._tracer = self.provider.get_tracer("preflight")

    @contextlib.contextmanager
    def span(self, name: str, attributes: Mapping[str, Value] | None = None) -> Iterator[Span]:
        """A span, child of the innermost open one (see the port)."""
        with self._tracer.start_as_current_span(
            name,
            attributes=dict(attributes or {}),
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield _Noted(span)
            except BaseException as exc:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise

    def shutdown(self) -> None:
        """Send what is still batched and stop."""
        self.provider.shutdown()


def otlp_tracer(endpoint: str, *, service_name: str = "preflight") -> OtelTracer:
    """The production tracer: spans batched to an OTLP/HTTP collector.

    Args:
        endpoint: The collector's traces URL (``…/v1/traces``).
        service_name: The ``service.name`` resource attribute.

    Returns:
        The tracer.
    """
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=5.0)
    return OtelTracer(BatchSpanProcessor(exporter), service_name=service_name)
