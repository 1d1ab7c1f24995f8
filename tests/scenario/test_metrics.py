"""Preflight's own metrics and logs: a whole conversation through the real flow, scraped from the
real server's /metrics, and the JSON log lines ``preflight serve`` writes."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.metrics import PrometheusMetrics
from bot.adapters.recommender import EngineRecommender
from bot.channels.http_server import build_http_app
from bot.cli.serve_command import JsonLogFormatter
from bot.conversation.steps import Incoming
from bot.conversation.thread_state import Stage
from bot.log_context import ContextFilter
from bot.wiring import build_flow
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot

recommender = conversation_harness.recommender


def samples(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


async def test_a_deployed_conversation_shows_in_the_metrics(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    metrics = PrometheusMetrics()
    settings = conversation_harness.settings_for(tmp_path)
    flow = build_flow(
        settings,
        context=recommender.context,
        store=InMemoryStateStore(),
        recommender=recommender,
        metrics=metrics,
    )
    bot = TestBot(flow, thread="slack:C1:secret-thread", user="alice")
    bot.say("Chatbot for 300 users")
    bot.say("deploy option 1")
    (card,) = bot.say("confirm")
    approve = next(choice.value for choice in card.choices if choice.label == "Approve")
    bot.say(approve)  # the requester: refused
    bot.say(approve, user="bob")
    assert bot.stage() is Stage.DEPLOYED
    other = TestBot(flow, thread="slack:C1:other", user="carol")
    other.say("Chatbot for 50 users")

    app = build_http_app(metrics=lambda: (metrics.exposition(), metrics.content_type))
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        response = await client.get("/metrics")
        body = await response.text()
    finally:
        await client.close()
    assert response.status == 200 and response.content_type == "text/plain"
    found = samples(body)
    assert found["preflight_conversations_started_total{}"] == 2
    assert found["preflight_recommendations_total{}"] == 2
    assert found["preflight_deploy_requests_total{}"] == 1
    assert found["preflight_deployments_total{result=deployed}"] == 1
    assert found["preflight_first_message_to_deploy_seconds_count{}"] == 1
    assert found["preflight_turn_errors_total{kind=refused}"] == 1
    assert found["preflight_turn_seconds_count{}"] == 6
    assert "secret-thread" not in body and "alice" not in body and "Chatbot" not in body


def test_log_lines_are_json_without_the_exception_text() -> None:
    record = logging.LogRecord(
        "bot.channels.slack.app", logging.ERROR, __file__, 1, "listener failed", None, None
    )
    try:
        raise ValueError("user said: my password is hunter2")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonLogFormatter().format(record)
    entry = json.loads(line)
    assert entry["level"] == "error" and entry["message"] == "listener failed"
    assert entry["error"] == "ValueError" and "hunter2" not in line


def test_every_line_logged_for_a_message_names_its_thread_and_request(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        settings = conversation_harness.settings_for(tmp_path)
        flow = build_flow(
            settings,
            context=recommender.context,
            store=InMemoryStateStore(),
            recommender=recommender,
        )
        flow.handle(Incoming(thread="slack:C1:t1", text="Chatbot for 300 users", user="alice"))
        flow.handle(Incoming(thread="slack:C1:t2", text="hello there", event_id="Ev123"))
        logging.getLogger("outside").info("no message is being handled")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    entries = [json.loads(line) for line in lines]
    turns = [e for e in entries if e["logger"] == "bot.conversation.flow"]
    assert [e["thread_id"] for e in turns] == ["slack:C1:t1", "slack:C1:t2"]
    assert turns[0]["request_id"].startswith("req-") and turns[1]["request_id"] == "Ev123"
    assert all("thread_id" in e for e in entries if e["logger"] != "outside")
    assert "thread_id" not in entries[-1] and entries[-1]["logger"] == "outside"
    assert not any("Chatbot" in line or "alice" in line or "hello" in line for line in lines)
