"""Slack end to end: signed HTTP requests into the real Bolt app behind the real aiohttp server.

Only Slack's cloud is faked, at the HTTP boundary: requests are signed with the signing secret
as Slack signs them, and the app's Web API calls go to ``slack_standin``, which records them and
refuses (and reports) any message that breaks a Block Kit limit. The flow is wired as in
production with in-process state; Bolt acknowledges first and answers in its worker threads, so
tests wait for the posts to arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot.adapters.memory_inbox import InMemoryInbox
from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.metrics import PrometheusMetrics
from bot.adapters.recommender import EngineRecommender
from bot.channels.http_server import SLACK_PATH, build_http_app
from bot.channels.slack.app import (
    SlackEndpoint,
    build_slack_app,
    build_slack_workers,
    thread_id,
)
from bot.conversation.bound_options import option_id
from bot.conversation.flow import ConversationFlow
from bot.conversation.inbox import Inbox
from bot.conversation.state_store import StateStore
from bot.conversation.thread_state import Stage
from bot.conversation.tracing import Tracer
from bot.settings import SlackSettings
from domain.errors import ConfigurationError
from domain.requirements import Task
from tests.scenario import conversation_harness
from tests.scenario.slack_standin import BOT_USER, SlackStandIn

recommender = conversation_harness.recommender

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test-token"
CHANNEL = "C0PREFLIGHT"
LEASE_S = 0.6  # short, so a dead worker's job moves on quickly; live workers renew theirs


TEAM = "slack:T1"


class SlackSide:
    """Slack as the app sees it: sends signed requests, and reads what the app posted."""

    def __init__(
        self,
        client: TestClient[Any, Any],
        standin: SlackStandIn,
        flow: ConversationFlow,
        inbox: Inbox,
    ):
        self.client = client
        self.standin = standin
        self.flow = flow
        self.inbox = inbox

    async def send(
        self, body: str, *, content_type: str, secret: str = SECRET, **headers: str
    ) -> tuple[int, str]:
        """POST a body signed as Slack signs it; returns the HTTP status and body."""
        stamp = headers.pop("timestamp", str(int(time.time())))
        signature = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
        response = await self.client.post(
            SLACK_PATH,
            data=body.encode(),
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": f"v0={signature.hexdigest()}",
                **headers,
            },
        )
        return response.status, await response.text()

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, **headers: str
    ) -> int:
        """Deliver an Events API callback."""
        envelope = {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}",
            "event_time": int(time.time()),
            "event": event,
        }
        status, _ = await self.send(
            json.dumps(envelope), content_type="application/json", **headers
        )
        return status

    async def click(self, post: dict[str, Any], label: str, *, user: str) -> int:
        """Press the button labelled ``label`` on a posted message, as ``user``."""
        button = next(
            element
            for block in post["blocks"]
            if block["type"] == "actions"
            for element in block["elements"]
            if element["text"]["text"] == label
        )
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": user, "team_id": "T1"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "1.2.3",
            "channel": {"id": post["channel"]},
            "container": {
                "type": "message",
                "message_ts": post["ts"],
                "channel_id": post["channel"],
                "thread_ts": post["thread_ts"],
            },
            "message": {
                "ts": post["ts"],
                "thread_ts": post["thread_ts"],
                "bot_id": "BBOT",
                "text": post["text"],
                "blocks": post["blocks"],
            },
            "actions": [
                {**button, "block_id": "b1", "action_ts": f"{time.time():.6f}"},
            ],
        }
        body = urlencode({"payload": json.dumps(payload)})
        status, _ = await self.send(body, content_type="application/x-www-form-urlencoded")
        return status

    async def settled(self, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Wait until the inbox is empty (every acknowledged delivery finished); all posts."""
        deadline = time.monotonic() + timeout_s
        while self.inbox.depth() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert self.inbox.depth() == 0, f"{self.inbox.depth()} jobs still in the inbox"
        return list(self.standin.recorded.posts)

    async def posts(self, count: int) -> list[dict[str, Any]]:
        """Wait until ``count`` messages were posted; all posts so far."""
        return await asyncio.to_thread(self.standin.wait_for_posts, count)

    async def queue(self) -> dict[str, float]:
        """The inbox's depth as ``GET /metrics`` shows it, by state."""
        response = await self.client.get("/metrics")
        assert response.status == 200
        return {
            sample.labels["state"]: sample.value
            for family in text_string_to_metric_families(await response.text())
            for sample in family.samples
            if sample.name == "preflight_inbox_jobs"
        }


def mention(
    text: str, *, ts: str, user: str = "UALICE", thread_ts: str | None = None
) -> dict[str, Any]:
    """An ``app_mention`` event."""
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts}
    event |= {"channel": CHANNEL, "event_ts": ts}
    return event | ({"thread_ts": thread_ts} if thread_ts else {})


def reply_in_thread(text: str, *, ts: str, thread_ts: str, user: str = "UALICE") -> dict[str, Any]:
    """A plain ``message`` event in a thread (no mention)."""
    return {
        "type": "message",
        "channel_type": "channel",
        "channel": CHANNEL,
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "event_ts": ts,
    }


def section_texts(post: dict[str, Any]) -> str:
    """Every section's text in a posted message."""
    return "\n".join(b["text"]["text"] for b in post["blocks"] if "text" in b)


@asynccontextmanager
async def running_slack(
    tmp_path: Path,
    recommender: EngineRecommender,
    store: StateStore,
    *,
    workers: int = 4,
    inbox: Inbox | None = None,
    standin: SlackStandIn | None = None,
    name: str = "replica",
    tracer: Tracer | None = None,
) -> AsyncIterator[SlackSide]:
    """The real server with the Bolt app mounted over ``store`` and ``inbox`` (in-process by
    default) and ``workers`` inbox workers (none: acknowledges only), Slack's Web API at the
    stand-in (a fresh one unless handed in, shared by replicas)."""
    own_standin = standin is None
    standin = standin or SlackStandIn(token=TOKEN)
    inbox = inbox or InMemoryInbox(lease_s=LEASE_S)
    with standin.running() if own_standin else contextlib.nullcontext():
        flow = conversation_harness.make_flow(tmp_path, recommender, store, tracer=tracer)
        settings = SlackSettings(
            bot_token=SecretStr(TOKEN), signing_secret=SecretStr(SECRET), api_url=standin.api_url
        )
        bolt = build_slack_app(settings, flow, inbox)
        pool = build_slack_workers(bolt, flow, inbox, workers=workers, name=name, lease_s=LEASE_S)
        endpoint = SlackEndpoint(bolt, signing_secret=SECRET)
        metrics = PrometheusMetrics()
        metrics.watch_inbox(inbox)
        http_app = build_http_app(
            slack=endpoint, metrics=lambda: (metrics.exposition(), metrics.content_type)
        )
        client = TestClient(TestServer(http_app))
        await client.start_server()
        pool.start()
        try:
            yield SlackSide(client, standin, flow, inbox)
        finally:
            await asyncio.to_thread(pool.stop)
            await client.close()
    assert standin.recorded.violations == []


@pytest.fixture
async def slack(tmp_path: Path, recommender: EngineRecommender) -> AsyncIterator[SlackSide]:
    """The real server with the Bolt app mounted, in-process state."""
    async with running_slack(tmp_path, recommender, InMemoryStateStore()) as side:
        yield side


def test_a_token_slack_refuses_stops_start_up(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    standin = SlackStandIn(token=TOKEN)
    with standin.running():
        flow = conversation_harness.make_flow(tmp_path, recommender, InMemoryStateStore())
        settings = SlackSettings(
            bot_token=SecretStr("xoxb-revoked"),
            signing_secret=SecretStr(SECRET),
            api_url=standin.api_url,
        )
        with pytest.raises(ConfigurationError, match="invalid_auth"):
            build_slack_app(settings, flow, InMemoryInbox())


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"secret": "not-the-signing-secret"}, id="wrong-secret"),
        pytest.param({"timestamp": str(int(time.time()) - 600)}, id="ten-minutes-old"),
    ],
)
async def test_a_request_slack_did_not_sign_is_refused_and_never_processed(
    slack: SlackSide, headers: dict[str, str]
) -> None:
    ts = "1700000000.000100"
    status = await slack.event(mention("support chatbot for 500 employees", ts=ts), **headers)
    assert status == 401
    assert slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM)).turns == 0
    assert slack.standin.recorded.posts == []


async def test_url_verification_is_answered_with_the_challenge(slack: SlackSide) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "legacy"})
    status, text = await slack.send(body, content_type="application/json")
    assert (status, json.loads(text)) == (200, {"challenge": "abc123"})


async def test_a_thread_conversation_reaches_a_recommendation_and_a_what_if(
    slack: SlackSide,
) -> None:
    ts = "1700000000.000200"
    text = "Support chatbot for about 500 employees, first token within a second"
    assert await slack.event(mention(text, ts=ts)) == 200
    (first,) = await slack.posts(1)
    assert (first["channel"], first["thread_ts"]) == (CHANNEL, ts)
    assert "option" in section_texts(first).lower()
    assert slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM)).stage is Stage.EXPLORING
    follow_up = reply_in_thread("double the traffic", ts="1700000000.000300", thread_ts=ts)
    assert await slack.event(follow_up) == 200
    second = (await slack.posts(2))[1]
    assert second["thread_ts"] == ts
    assert slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM)).turns == 2


async def test_a_button_click_is_the_clickers_next_message(slack: SlackSide) -> None:
    ts = "1700000000.000400"
    await slack.event(mention("We'd like to run an open model for our team", ts=ts))
    (question,) = await slack.posts(1)
    assert await slack.click(question, "Chatbot / assistant", user="UALICE") == 200
    await slack.posts(2)
    state = slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM))
    assert state.requirements.task is Task.CHATBOT
    assert state.turns == 2


async def test_approval_buttons_count_the_clicker_and_refuse_the_requester(
    slack: SlackSide,
) -> None:
    ts = "1700000000.000500"
    thread = thread_id(CHANNEL, ts, workspace=TEAM)
    await slack.event(mention("RAG assistant over our wiki, 5 requests per second", ts=ts))
    await slack.posts(1)
    await slack.event(reply_in_thread("deploy option 1", ts="1700000000.000501", thread_ts=ts))
    confirm = (await slack.posts(2))[1]
    await slack.click(confirm, "Request deployment", user="UALICE")
    awaiting = (await slack.posts(3))[2]
    assert slack.flow.state(thread=thread).stage is Stage.AWAITING_APPROVAL
    await slack.click(awaiting, "Approve", user="UALICE")
    refused = (await slack.posts(4))[3]
    assert ":x:" in section_texts(refused), section_texts(refused)
    assert slack.flow.state(thread=thread).stage is Stage.AWAITING_APPROVAL
    await slack.click(awaiting, "Approve", user="UBOB")
    approved = (await slack.posts(5))[4]
    assert slack.flow.state(thread=thread).stage in (Stage.DEPLOYED, Stage.DEPLOYING)
    assert approved["thread_ts"] == ts
    assert ":x:" not in section_texts(approved), section_texts(approved)


def _used_line(update: dict[str, Any]) -> str:
    """The context line a used card ends in (and that no buttons are left)."""
    assert not any(block["type"] == "actions" for block in update["blocks"])
    return str(update["blocks"][-1]["elements"][0]["text"])


async def test_a_card_acted_on_loses_its_buttons_and_a_refused_click_keeps_them(
    slack: SlackSide,
) -> None:
    ts = "1700000000.000550"
    thread = thread_id(CHANNEL, ts, workspace=TEAM)
    await slack.event(mention("RAG assistant over our wiki, 5 requests per second", ts=ts))
    (card,) = await slack.posts(1)
    await slack.click(card, "How was this computed?", user="UALICE")  # shows more only
    await slack.posts(2)
    await slack.event(reply_in_thread("deploy option 1", ts="1700000000.000551", thread_ts=ts))
    review = (await slack.posts(3))[2]
    await slack.click(review, "Request deployment", user="UALICE")
    awaiting = (await slack.posts(4))[3]
    (used_review,) = await asyncio.to_thread(slack.standin.wait_for_updates, 1)
    assert used_review["ts"] == review["ts"]
    assert "Request deployment" in _used_line(used_review) and "<@UALICE>" in _used_line(
        used_review
    )
    await slack.click(awaiting, "Approve", user="UALICE")  # refused: her own request
    await slack.posts(5)
    await slack.click(awaiting, "Approve", user="UBOB")
    status = (await slack.posts(6))[5]
    updates = await asyncio.to_thread(slack.standin.wait_for_updates, 2)
    used_approval = [update for update in updates if update["ts"] == awaiting["ts"]]
    assert len(used_approval) == 1 and "<@UBOB>" in _used_line(used_approval[0])
    assert card["ts"] not in {update["ts"] for update in updates}  # the details kept it live
    assert slack.flow.state(thread=thread).stage in (Stage.DEPLOYED, Stage.DEPLOYING)
    await slack.click(awaiting, "Approve", user="UCAROL")  # a stale copy of the old card
    stale = (await slack.posts(7))[6]
    assert "No deployment request awaits approval" in section_texts(stale)
    await asyncio.to_thread(slack.standin.wait_for_updates, 3)  # the stale card, redrawn again
    await slack.click(status, "Roll back", user="UBOB")
    await slack.posts(8)
    updates = await asyncio.to_thread(slack.standin.wait_for_updates, 4)
    assert "Roll back" in _used_line(next(u for u in updates if u["ts"] == status["ts"]))


async def test_a_message_delivered_twice_is_processed_once(slack: SlackSide) -> None:
    ts = "1700000000.000600"
    event = mention("Code completion for 150 developers, TTFT p95 under 300 ms", ts=ts)
    await slack.event(event, event_id="EvSAME")
    await slack.posts(1)
    await slack.event(event, event_id="EvSAME", **{"X-Slack-Retry-Num": "1"})
    twin = reply_in_thread(event["text"], ts=ts, thread_ts=ts)
    await slack.event(twin, event_id="EvTWIN")
    await slack.event(reply_in_thread("double the traffic", ts="1700000000.000601", thread_ts=ts))
    await slack.posts(2)
    assert slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM)).turns == 2
    assert len(slack.standin.recorded.posts) == 2


async def test_chart_is_uploaded_into_the_thread(slack: SlackSide) -> None:
    ts = "1700000000.000700"
    await slack.event(mention("Summarize 50k documents a day overnight", ts=ts))
    await slack.posts(1)
    await slack.event(reply_in_thread("chart", ts="1700000000.000701", thread_ts=ts))
    (upload,) = await asyncio.to_thread(slack.standin.wait_for_uploads, 1)
    assert (upload["channel_id"], upload["thread_ts"]) == (CHANNEL, ts)
    assert upload["files"][0]["title"]
    assert slack.standin.recorded.blobs[0].startswith(b"\x89PNG")


async def test_threads_preflight_is_not_in_are_left_alone_and_direct_messages_answered(
    slack: SlackSide,
) -> None:
    others = reply_in_thread("chatbot for 500 users", ts="1700000000.000801", thread_ts="1.0")
    await slack.event(others)
    direct = {
        "type": "message",
        "channel_type": "im",
        "channel": "D0ALICE",
        "user": "UALICE",
        "text": "Support chatbot for about 500 employees, first token within a second",
        "ts": "1700000000.000802",
    }
    await slack.event(direct)
    (post,) = await slack.posts(1)
    assert (post["channel"], post["thread_ts"]) == ("D0ALICE", "1700000000.000802")
    assert slack.flow.state(thread=thread_id(CHANNEL, "1.0", workspace=TEAM)).turns == 0


async def test_an_old_cards_deploy_button_never_deploys_another_option(slack: SlackSide) -> None:
    ts = "1700000000.000900"
    thread = thread_id(CHANNEL, ts, workspace=TEAM)
    await slack.event(mention("RAG assistant over our wiki, 5 requests per second", ts=ts))
    (old,) = await slack.posts(1)
    await slack.event(reply_in_thread("double the traffic", ts="1700000000.000901", thread_ts=ts))
    latest = (await slack.posts(2))[1]
    options_now = slack.flow.state(thread=thread).recommendation
    assert options_now is not None
    now_id = option_id(options_now.options[0])
    assert _button(old, "Deploy option 1")["value"] != _button(latest, "Deploy option 1")["value"]
    await slack.click(old, "Deploy option 1", user="UALICE")
    refused = (await slack.posts(3))[2]
    assert "This card is out of date: option 1 is now" in section_texts(refused)
    assert _button(refused, "Deploy option 1")["value"] == f"deploy option 1 {now_id}"
    assert slack.flow.state(thread=thread).stage is Stage.EXPLORING
    await slack.click(latest, "Deploy option 1", user="UALICE")
    review = (await slack.posts(4))[3]
    assert _button(review, "Request deployment")["value"] == f"confirm {now_id}"
    await slack.click(review, "Request deployment", user="UALICE")
    await slack.posts(5)
    state = slack.flow.state(thread=thread)
    assert state.stage is Stage.AWAITING_APPROVAL
    assert state.deployment is not None and state.recommendation is not None
    assert option_id(state.recommendation.options[state.deployment.option_index]) == now_id
    updates = await asyncio.to_thread(slack.standin.wait_for_updates, 2)
    assert old["ts"] not in {update["ts"] for update in updates}  # the refusal kept it as it was


def _button(post: dict[str, Any], label: str) -> dict[str, Any]:
    return next(
        element
        for block in post["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["text"]["text"] == label
    )
