"""OpenTelemetry traces: the SDK's real in-memory exporter behind the tracing adapter, a Slack
delivery through the real Bolt app, a deployment through the real flow, and spans sent over
OTLP/HTTP to a receiver started here. Asserts the span tree and that no message text, user or
secret is an attribute."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.otel_tracer import OtelTracer, otlp_tracer
from bot.adapters.recommender import EngineRecommender
from bot.conversation.thread_state import Stage
from bot.conversation.tracing import NO_TRACING
from bot.settings import Settings, TracingSettings
from bot.wiring import build_tracer
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot
from tests.scenario.test_slack import SECRET, TOKEN, mention, running_slack

recommender = conversation_harness.recommender
TEXT = "Support chatbot for about 500 employees, first token within a second, password hunter2"


@pytest.fixture
def exported() -> Iterator[tuple[OtelTracer, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    tracer = OtelTracer(SimpleSpanProcessor(exporter))
    yield tracer, exporter
    tracer.shutdown()


def named(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.span_id)


def assert_no_text(spans: tuple[ReadableSpan, ...], *words: str) -> None:
    values = " ".join(
        str(value) for span in spans for value in (span.attributes or {}).values()
    ).lower()
    for word in words:
        assert word.lower() not in values, word


async def test_a_slack_delivery_is_one_trace_message_turn_understand_recommend_reply(
    tmp_path: Path,
    recommender: EngineRecommender,
    exported: tuple[OtelTracer, InMemorySpanExporter],
) -> None:
    tracer, exporter = exported
    store = InMemoryStateStore()
    async with running_slack(tmp_path, recommender, store, tracer=tracer) as slack:
        ts = "1764979200.000100"
        assert await slack.event(mention(TEXT, ts=ts), event_id="EvTraced") == 200
        await slack.posts(1)
        await slack.settled()
    spans = exporter.get_finished_spans()
    (message,) = named(spans, "preflight.message")
    (turn,) = named(spans, "preflight.turn")
    (reply,) = named(spans, "preflight.reply")
    understood, recommended = (
        named(spans, "preflight.understand"),
        named(spans, "preflight.recommend"),
    )
    assert message.parent is None and message.context is not None
    assert parent_of(turn) == span_id(message) and parent_of(reply) == span_id(message)
    assert understood and {parent_of(span) for span in understood} == {span_id(turn)}
    assert recommended and {parent_of(span) for span in recommended} == {span_id(turn)}
    assert {span.context.trace_id for span in spans if span.context} == {message.context.trace_id}
    assert turn.attributes is not None and message.attributes is not None
    assert turn.attributes["preflight.stage_before"] == "collecting"
    assert turn.attributes["preflight.outcome"] == "ok"
    assert message.attributes["preflight.channel"] == "slack"
    assert recommended[0].attributes and recommended[0].attributes["preflight.feasible"] is True
    assert_no_text(spans, "support", "employees", "hunter2", "password", "UALICE", TOKEN, SECRET)


def test_a_deployment_traces_its_request_and_approval_inside_their_turns(
    tmp_path: Path,
    recommender: EngineRecommender,
    exported: tuple[OtelTracer, InMemorySpanExporter],
) -> None:
    tracer, exporter = exported
    flow = conversation_harness.make_flow(
        tmp_path, recommender, InMemoryStateStore(), tracer=tracer
    )
    flow.rehearse([TEXT, "double the traffic"], store=InMemoryStateStore())
    assert exporter.get_finished_spans() == ()  # serve's warm-up is not traced
    bot = TestBot(flow, thread="slack:T1/slack:C1:170.1", user="alice")
    bot.say(TEXT)
    bot.say("deploy option 1")
    (card,) = bot.say("confirm")
    approve = next(choice.value for choice in card.choices if choice.label == "Approve")
    bot.say(approve, user="bob")
    assert bot.stage() is Stage.DEPLOYED
    spans = exporter.get_finished_spans()
    turns = {span_id(span) for span in named(spans, "preflight.turn")}
    (requested,) = named(spans, "preflight.deploy.request")
    (approved,) = named(spans, "preflight.deploy.approve")
    assert parent_of(requested) in turns and parent_of(approved) in turns
    assert approved.attributes is not None
    assert approved.attributes["preflight.deploy_status"] == "deployed"
    assert approved.attributes["preflight.request"] == requested.attributes["preflight.request"]  # type: ignore[index]
    assert_no_text(spans, "employees", "hunter2", "alice", "bob")


def test_tracing_is_off_unless_an_endpoint_is_set(tmp_path: Path) -> None:
    assert build_tracer(Settings(data_dir=tmp_path)) is NO_TRACING
    on = Settings(
        data_dir=tmp_path,
        tracing=TracingSettings(otlp_endpoint="http://127.0.0.1:4318/v1/traces"),
    )
    tracer = build_tracer(on)
    assert isinstance(tracer, OtelTracer)
    tracer.shutdown()


async def test_spans_reach_an_otlp_http_receiver() -> None:
    received: list[ExportTraceServiceRequest] = []

    async def receive(request: web.Request) -> web.Response:
        body = ExportTraceServiceRequest()
        body.ParseFromString(await request.read())
        received.append(body)
        return web.Response(content_type="application/x-protobuf", body=b"")

    app = web.Application()
    app.router.add_post("/v1/traces", receive)
    server = TestServer(app)
    await server.start_server()
    try:
        tracer = otlp_tracer(str(server.make_url("/v1/traces")), service_name="preflight-test")
        with (
            tracer.span("preflight.turn", {"preflight.request": "Ev1"}),
            tracer.span("preflight.recommend"),
        ):
            pass
        await asyncio.to_thread(tracer.shutdown)  # flushes the batch
    finally:
        await server.close()
    spans = [
        span
        for request in received
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    assert sorted(span.name for span in spans) == ["preflight.recommend", "preflight.turn"]
    services = {
        attribute.value.string_value
        for request in received
        for resource in request.resource_spans
        for attribute in resource.resource.attributes
        if attribute.key == "service.name"
    }
    assert services == {"preflight-test"}
