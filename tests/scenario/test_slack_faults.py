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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.memory_inbox import InMemoryInbox
from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.recommender import EngineRecommender
from bot.adapters.redis_inbox import RedisInbox
from bot.channels.http_server import SLACK_PATH
from bot.channels.slack import blocks
from bot.channels.slack.app import thread_id
from bot.conversation.flow import Incoming
from bot.conversation.replies import Reply
from bot.conversation.thread_state import ConversationState
from domain.errors import BackendUnavailableError
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import REDIS_URL, redis_store
from tests.scenario.slack_standin import SlackStandIn
from tests.scenario.test_slack import (
    CHANNEL,
    LEASE_S,
    SECRET,
    TEAM,
    TOKEN,
    SlackSide,
    mention,
    reply_in_thread,
    running_slack,
    section_texts,
    slack,
)

recommender = conversation_harness.recommender
redis_prefix = conversation_harness.redis_prefix
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
        replies: Sequence[Reply] = (),
    ) -> int:
        self._check()
        if self.failing_saves and event_id:
            self.failing_saves -= 1
            raise BackendUnavailableError("Redis", "connection reset mid-write")
        return super().save(
            thread=thread,
            state=state,
            expected_version=expected_version,
            event_id=event_id,
            replies=replies,
        )

    def seen_event(self, *, event_id: str) -> bool:
        self._check()
        return super().seen_event(event_id=event_id)


class ControlledInbox(InMemoryInbox):
    """The in-process inbox, refusing new jobs while ``down`` (as the Redis inbox does when its
    Redis is down)."""

    def __init__(self) -> None:
        super().__init__(lease_s=LEASE_S)
        self.down = False

    def put(self, *, job: dict[str, Any]) -> None:
        if self.down:
            raise BackendUnavailableError("Redis", "connection refused")
        super().put(job=job)


def now_ts(offset: int = 0) -> str:
    return f"{time.time() + offset:.6f}"


async def test_a_click_is_acknowledged_while_every_worker_is_busy(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    store = ControlledStore()
    async with running_slack(tmp_path, recommender, store, workers=1) as slack:
        ts = now_ts()
        await slack.event(mention(ASK, ts=ts))
        (card,) = await slack.posts(1)
        store.block_thread = thread_id("D0BUSY", "1.0", workspace=TEAM)
        direct = {"type": "message", "channel_type": "im", "channel": "D0BUSY", "user": "UBOB"}
        await slack.event(direct | {"text": "chatbot", "ts": "1.0"})
        assert await asyncio.to_thread(store.blocked.wait, 30)
        status = await slack.click(card, "Show chart", user="UALICE")
        store.release.set()
        assert status == 200  # before: the ack waited for the busy pool, and Slack saw a 404
        await slack.posts(3)


async def test_an_event_whose_save_failed_is_answered_once_the_store_takes_it(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    store = ControlledStore()
    store.failing_saves = 1
    async with running_slack(tmp_path, recommender, store) as slack:
        ts = now_ts()
        event = mention(ASK, ts=ts)
        assert await slack.event(event, event_id="EvONE") == 200
        (answer,) = await slack.settled()
        assert "option" in section_texts(answer).lower()  # before: "not answering", then silence
        await slack.event(event, event_id="EvONE", **{"X-Slack-Retry-Num": "1"})
        await slack.event(reply_in_thread("double the traffic", ts=now_ts(1), thread_ts=ts))
        assert len(await slack.settled()) == 2
        assert slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM)).turns == 2


async def test_an_acknowledged_mention_outlives_the_worker_that_took_it(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    """A worker claims the job and is killed before processing it: another worker answers it
    once the lease runs out (before: every in-flight message was lost on kill -9)."""
    inbox, store = InMemoryInbox(lease_s=LEASE_S), ControlledStore()
    async with running_slack(tmp_path, recommender, store, workers=0, inbox=inbox) as a:
        ts = now_ts()
        assert await a.event(mention(ASK, ts=ts)) == 200
        assert await a.queue() == {"queued": 1, "parked": 0}
        (taken,) = inbox.claim(consumer="killed-worker", count=1, wait_s=1)
    async with running_slack(tmp_path, recommender, store, inbox=inbox) as b:
        (answer,) = await b.settled()
        assert answer["thread_ts"] == ts and "option" in section_texts(answer).lower()
        assert taken.job["thread"] == thread_id(CHANNEL, ts, workspace=TEAM)


async def test_replies_saved_by_a_worker_killed_before_posting_are_posted_once(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    """The worker saved the state (and its replies) and died before posting: the next worker
    posts the kept replies and does not process the message again."""
    inbox, store = InMemoryInbox(lease_s=LEASE_S), ControlledStore()
    async with running_slack(tmp_path, recommender, store, workers=0, inbox=inbox) as a:
        ts = now_ts()
        assert await a.event(mention(ASK, ts=ts)) == 200
        (taken,) = inbox.claim(consumer="killed-worker", count=1, wait_s=1)
        incoming = Incoming(
            thread=taken.job["thread"],
            text=taken.job["text"],
            user=taken.job["user"],
            event_id=taken.job["event_id"],
        )
        saved = await asyncio.to_thread(a.flow.process, incoming)
        assert a.standin.recorded.posts == []
    async with running_slack(tmp_path, recommender, store, inbox=inbox) as b:
        (answer,) = await b.settled()
        assert blocks.fallback_text(saved[0]) == answer["text"]
        assert b.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM)).turns == 1
        assert store.undelivered(event_id=incoming.event_id or "") == []


async def test_a_store_outage_is_answered_or_retried_never_swallowed(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    store = ControlledStore()
    async with running_slack(tmp_path, recommender, store) as slack:
        ts = now_ts()
        await slack.event(mention(ASK, ts=ts))
        await slack.settled()
        store.down = True
        follow_up = reply_in_thread("double the traffic", ts=now_ts(1), thread_ts=ts)
        assert await slack.event(follow_up, event_id="EvF") == 503  # Slack retries it
        assert await slack.event(mention("what about L4", ts=now_ts(2), thread_ts=ts)) == 200
        store.down = False  # the acknowledged mention waited in the inbox for the store
        retry = {"X-Slack-Retry-Num": "1"}
        assert await slack.event(follow_up, event_id="EvF", **retry) == 200
        posts = await slack.settled()
        assert len(posts) == 3 and {post["thread_ts"] for post in posts} == {ts}
        assert not any("not answering" in section_texts(post) for post in posts)
        assert slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM)).turns == 3


async def test_a_follow_up_that_overtakes_its_opening_mention_is_answered(
    slack: SlackSide,
) -> None:
    ts = now_ts()
    early = reply_in_thread("double the traffic", ts=now_ts(1), thread_ts=ts)
    assert await slack.event(early) == 200
    assert await slack.event(mention(ASK, ts=ts)) == 200
    posts = await slack.posts(2)
    assert {post["thread_ts"] for post in posts} == {ts}
    assert slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM)).turns == 2


async def test_a_follow_up_slack_retried_a_minute_later_still_waits_for_its_thread(
    slack: SlackSide,
) -> None:
    """Both deliveries failed (Redis was down) and Slack retries them a minute later, the reply
    first: it is answered once the mention's retry opens the thread (before: a thread over 60 s
    old was taken as one Preflight is not in, and the acknowledged reply was dropped)."""
    ts = now_ts(-64)
    late = reply_in_thread("double the traffic", ts=now_ts(-61), thread_ts=ts)
    assert await slack.event(late, **{"X-Slack-Retry-Num": "1"}) == 200
    assert await slack.event(mention(ASK, ts=ts), **{"X-Slack-Retry-Num": "1"}) == 200
    posts = await slack.settled()
    assert len(posts) == 2 and {post["thread_ts"] for post in posts} == {ts}
    assert slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM)).turns == 2


async def test_a_follow_up_answered_once_its_refused_mention_comes_back_a_minute_later(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    """The fault benchmark's 12 unanswered: Redis refused a thread's mention (503; Slack retries
    it a minute later), was back for the thread's follow-up (acknowledged), and the follow-up
    must wait for the retried mention (before: it was re-checked for about 4 s, then dropped)."""
    store, inbox = ControlledStore(), ControlledInbox()
    async with running_slack(tmp_path, recommender, store, inbox=inbox) as slack:
        ts = now_ts(-3)
        store.down = inbox.down = True
        assert await slack.event(mention(ASK, ts=ts), event_id="EvM") == 503
        store.down = inbox.down = False
        follow_up = reply_in_thread("double the traffic", ts=now_ts(), thread_ts=ts)
        assert await slack.event(follow_up) == 200
        assert await slack.settled() == []  # waiting out of the workers' way, not lost
        await asyncio.sleep(5)  # longer than the re-checks before this fix waited
        assert await slack.queue() == {"queued": 0, "parked": 1}
        retry = {"X-Slack-Retry-Num": "1"}
        assert await slack.event(mention(ASK, ts=ts), event_id="EvM", **retry) == 200
        first, second = await slack.posts(2)
        assert await slack.settled() == [first, second]
        assert await slack.queue() == {"queued": 0, "parked": 0}
        assert {first["thread_ts"], second["thread_ts"]} == {ts}
        assert "traffic × 2" in section_texts(second)  # answered after its thread's mention
        assert slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM)).turns == 2


async def test_a_reply_in_an_old_thread_preflight_is_not_in_is_left_alone(
    slack: SlackSide,
) -> None:
    ts = now_ts(-3600)
    assert await slack.event(reply_in_thread("hello", ts=now_ts(), thread_ts=ts)) == 200
    assert await slack.settled() == []
    assert slack.inbox.depth() == 0


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


async def test_two_replicas_sharing_redis_answer_every_acknowledged_message_once(
    tmp_path: Path, recommender: EngineRecommender, redis_prefix: str
) -> None:
    """Replica A acknowledges and is killed with a job in a worker's hands; replica B, sharing
    the Redis inbox and state, answers all of them, each once."""
    store = redis_store(redis_prefix)
    inbox = RedisInbox(url=REDIS_URL, lease_s=LEASE_S, prefix=redis_prefix)
    standin = SlackStandIn(token=TOKEN)
    with standin.running():
        async with running_slack(
            tmp_path, recommender, store, workers=0, standin=standin, inbox=inbox
        ) as a:
            stamps = [now_ts(number) for number in range(3)]
            for ts in stamps:
                assert await a.event(mention(ASK, ts=ts)) == 200
            inbox.claim(consumer="killed-worker", count=1, wait_s=1)
        async with running_slack(
            tmp_path, recommender, store, name="b", standin=standin, inbox=inbox
        ) as b:
            await b.event(mention(ASK, ts=stamps[0]))  # a redelivery of an answered one
            posts = await b.settled()
    assert sorted(post["thread_ts"] for post in posts) == sorted(stamps)
    inbox.close()
    store.close()
