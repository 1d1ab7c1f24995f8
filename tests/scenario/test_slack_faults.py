"""Slack under faults and hostile input: signed requests through the real Bolt app and server.

Ack at once while every worker is busy; an event whose processing died before its state was
saved is processed on redelivery, and one that was saved is not processed again; a store outage
is answered (a mention) or left for Slack to retry (a thread reply), never swallowed; a
follow-up that arrives before its thread's opening mention is answered; malformed or unsigned
input gets 400/401 and leaves no body in the log. The only stand-ins are wrappers of the real
in-process store at the flow's own port.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.recommender import EngineRecommender
from bot.channels.http_server import SLACK_PATH
from bot.channels.slack.app import thread_id
from bot.conversation.thread_state import ConversationState
from domain.errors import BackendUnavailableError
from tests.scenario import conversation_harness
from tests.scenario.test_slack import (
    CHANNEL,
    SECRET,
    SlackSide,
    mention,
    reply_in_thread,
    running_slack,
    section_texts,
    slack,
)

recommender = conversation_harness.recommender
slack = slack  # the fixture, shared with test_slack
ASK = "Support chatbot for about 500 employees, first token within a second"


class ControlledStore(InMemoryStateStore):
    """The in-process store with switches: down, blocking loads of one thread, failing saves."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.block_thread: str | None = None
        self.release = threading.Event()
        self.blocked = threading.Event()
        self.failing_saves = 0

    def _check(self) -> None:
        if self.down:
            raise BackendUnavailableError("Redis", "connection refused")

    def load(self, *, thread: str) -> tuple[ConversationState, int]:
        self._check()
        if thread == self.block_thread:
            self.blocked.set()
            self.release.wait(timeout=60)
        return super().load(thread=thread)

    def save(
        self,
        *,
        thread: str,
        state: ConversationState,
        expected_version: int,
        event_id: str | None = None,
    ) -> int:
        self._check()
        if self.failing_saves and event_id:
            self.failing_saves -= 1
            raise BackendUnavailableError("Redis", "connection reset mid-write")
        return super().save(
            thread=thread, state=state, expected_version=expected_version, event_id=event_id
        )

    def seen_event(self, *, event_id: str) -> bool:
        self._check()
        return super().seen_event(event_id=event_id)


def now_ts(offset: int = 0) -> str:
    return f"{time.time() + offset:.6f}"


async def test_a_click_is_acknowledged_while_every_worker_is_busy(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    store = ControlledStore()
    async with running_slack(tmp_path, recommender, store, ThreadPoolExecutor(1)) as slack:
        ts = now_ts()
        await slack.event(mention(ASK, ts=ts))
        (card,) = await slack.posts(1)
        store.block_thread = thread_id("D0BUSY", "1.0")
        direct = {"type": "message", "channel_type": "im", "channel": "D0BUSY", "user": "UBOB"}
        await slack.event(direct | {"text": "chatbot", "ts": "1.0"})
        assert await asyncio.to_thread(store.blocked.wait, 30)
        status = await slack.click(card, "Show chart", user="UALICE")
        store.release.set()
        assert status == 200  # before: the ack waited for the busy pool, and Slack saw a 404
        await slack.posts(3)


async def test_an_event_that_died_before_its_save_is_processed_on_redelivery(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    store = ControlledStore()
    store.failing_saves = 1
    async with running_slack(tmp_path, recommender, store) as slack:
        ts = now_ts()
        event = mention(ASK, ts=ts)
        await slack.event(event, event_id="EvONE")
        (first,) = await slack.posts(1)
        assert "not answering" in section_texts(first)
        assert slack.flow.state(thread=thread_id(CHANNEL, ts)).turns == 0
        await slack.event(event, event_id="EvONE", **{"X-Slack-Retry-Num": "1"})
        second = (await slack.posts(2))[1]
        assert "option" in section_texts(second).lower()
        await slack.event(event, event_id="EvONE", **{"X-Slack-Retry-Num": "2"})
        await slack.event(reply_in_thread("double the traffic", ts=now_ts(1), thread_ts=ts))
        await slack.posts(3)
        assert slack.flow.state(thread=thread_id(CHANNEL, ts)).turns == 2
        assert len(slack.standin.recorded.posts) == 3


async def test_a_store_outage_is_answered_or_retried_never_swallowed(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    store = ControlledStore()
    async with running_slack(tmp_path, recommender, store) as slack:
        ts = now_ts()
        await slack.event(mention(ASK, ts=ts))
        await slack.posts(1)
        store.down = True
        follow_up = reply_in_thread("double the traffic", ts=now_ts(1), thread_ts=ts)
        assert await slack.event(follow_up, event_id="EvF") == 503  # Slack retries it
        assert await slack.event(mention("what about L4", ts=now_ts(2), thread_ts=ts)) == 200
        told = (await slack.posts(2))[1]
        assert "Redis is not answering" in section_texts(told)
        store.down = False
        retry = {"X-Slack-Retry-Num": "1"}
        assert await slack.event(follow_up, event_id="EvF", **retry) == 200
        answered = (await slack.posts(3))[2]
        assert answered["thread_ts"] == ts
        assert slack.flow.state(thread=thread_id(CHANNEL, ts)).turns == 2


async def test_a_follow_up_that_overtakes_its_opening_mention_is_answered(
    slack: SlackSide,
) -> None:
    ts = now_ts()
    early = reply_in_thread("double the traffic", ts=now_ts(1), thread_ts=ts)
    assert await slack.event(early) == 200
    assert await slack.event(mention(ASK, ts=ts)) == 200
    posts = await slack.posts(2)
    assert {post["thread_ts"] for post in posts} == {ts}
    assert slack.flow.state(thread=thread_id(CHANNEL, ts)).turns == 2


async def raw_post(slack: SlackSide, body: bytes, **headers: str) -> int:
    response = await slack.client.post(SLACK_PATH, data=body, headers=headers)
    return response.status


def signed(body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp or str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
        "Content-Type": "application/json",
    }


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        pytest.param(b"{not json", None, 400, id="signed-malformed-json"),
        pytest.param(b"[1, 2]", None, 400, id="signed-json-not-an-object"),
        pytest.param(b"\xff\xfe secret \xc3", None, 400, id="signed-not-utf8"),
        pytest.param(
            b"{}", {"X-Slack-Request-Timestamp": "soon"}, 401, id="timestamp-not-a-number"
        ),
        pytest.param(
            b"\xff\xfe secret", {"X-Slack-Signature": "v0=00"}, 401, id="unsigned-not-utf8"
        ),
        pytest.param(b"{not json secret", {"X-Slack-Signature": "v0=00"}, 401, id="unsigned-junk"),
    ],
)
async def test_bad_input_is_refused_with_4xx_and_never_logged(
    slack: SlackSide,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    headers: dict[str, str] | None,
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    assert await raw_post(slack, body, **{**signed(body), **(headers or {})}) == status
    assert not any("secret" in record.getMessage() for record in caplog.records)


async def test_a_big_unsigned_post_is_refused_without_logging_its_body(
    slack: SlackSide, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    text = "confidential user text " * 40_000
    body = json.dumps({"type": "event_callback", "event": {"text": text}}).encode()
    headers: dict[str, Any] = {**signed(body), "X-Slack-Signature": "v0=" + "0" * 64}
    assert await raw_post(slack, body, **headers) == 401
    logged = "".join(record.getMessage() for record in caplog.records)
    assert "confidential" not in logged and len(logged) < 2000
