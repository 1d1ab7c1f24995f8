"""Conversations over real Redis: restarts lose nothing, concurrent messages both land."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from bot.adapters.recommender import EngineRecommender
from bot.adapters.redis_store import RedisStateStore
from bot.conversation.replies import Reply, ReplyKind
from bot.conversation.state_store import StateStore
from bot.conversation.thread_state import ConversationState, Stage
from domain.requirements import GpuFamily
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot, make_flow, redis_store

recommender = conversation_harness.recommender
redis_prefix = conversation_harness.redis_prefix


def test_restart_mid_conversation_loses_nothing(
    tmp_path: Path, recommender: EngineRecommender, redis_prefix: str
) -> None:
    before = TestBot(make_flow(tmp_path, recommender, redis_store(redis_prefix)), thread="r1")
    before.say("We need a chatbot")
    before.say("800 concurrent users")
    remembered = before.state
    after = TestBot(make_flow(tmp_path, recommender, redis_store(redis_prefix)), thread="r1")
    assert after.state == remembered
    replies = after.say("double the traffic")
    assert [reply.kind for reply in replies] == [ReplyKind.COMPARISON]
    assert after.state.requirements.concurrent_users == 1600


class RacingStore:
    """Wraps a real store so that the first two loads wait for each other: both read one version."""

    def __init__(self, inner: StateStore) -> None:
        self.inner = inner
        self.barrier = threading.Barrier(2, timeout=30)
        self.loads = 0
        self.lock = threading.Lock()

    def load(self, *, thread: str) -> tuple[ConversationState, int]:
        loaded = self.inner.load(thread=thread)
        with self.lock:
            self.loads += 1
            racing = self.loads <= 2
        if racing:
            self.barrier.wait()
        return loaded

    def save(
        self,
        *,
        thread: str,
        state: ConversationState,
        expected_version: int,
        event_id: str | None = None,
        replies: Sequence[Reply] = (),
    ) -> int:
        return self.inner.save(
            thread=thread,
            state=state,
            expected_version=expected_version,
            event_id=event_id,
            replies=replies,
        )

    def seen_event(self, *, event_id: str) -> bool:
        return self.inner.seen_event(event_id=event_id)

    def undelivered(self, *, event_id: str) -> list[Reply]:
        return self.inner.undelivered(event_id=event_id)

    def delivered(self, *, event_id: str) -> None:
        self.inner.delivered(event_id=event_id)


def test_two_concurrent_messages_in_one_thread_keep_both_updates(
    tmp_path: Path, recommender: EngineRecommender, redis_prefix: str
) -> None:
    setup = TestBot(make_flow(tmp_path, recommender, redis_store(redis_prefix)), thread="c1")
    setup.say("Chatbot for 300 users")
    racing = RacingStore(redis_store(redis_prefix))
    bot = TestBot(make_flow(tmp_path, recommender, racing), thread="c1")
    workers = [
        threading.Thread(target=bot.say, args=(text,)) for text in ("budget 20k", "what about L4")
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    state = setup.state
    assert racing.loads >= 3  # one writer lost the race and re-applied its message
    assert state.requirements.budget_usd_month == 20000
    assert state.requirements.gpu_families == [GpuFamily.L4]
    assert (state.turns, state.stage) == (3, Stage.EXPLORING)


def test_redis_outage_gets_a_clear_reply_not_a_crash(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    down = RedisStateStore(url="redis://127.0.0.1:1/0", timeout_s=0.5)
    bot = TestBot(make_flow(tmp_path, recommender, down), thread="d1")
    (reply,) = bot.say("Chatbot for 300 users", event_id="Ev-9")
    assert reply.kind is ReplyKind.ERROR
    assert "Redis is not answering" in reply.text
