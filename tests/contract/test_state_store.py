"""One contract suite over every state store: in-process and real Redis (127.0.0.1:6379/15)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
import redis

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.redis_store import RedisStateStore
from bot.conversation.replies import Choice, Image, Reply, ReplyKind, reply_key
from bot.conversation.state_store import StateStore
from bot.conversation.thread_state import ConversationState, PostedCard, Stage
from domain.errors import BackendUnavailableError, DuplicateEventError, StateConflictError
from domain.requirements import Requirements, Task

REDIS_URL = "redis://127.0.0.1:6379/15"


def _delete_prefix(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[StateStore]:
    """Each implementation of the port; Redis under a unique key prefix, removed afterwards."""
    if request.param == "memory":
        yield InMemoryStateStore()
        return
    prefix = f"test-{uuid.uuid4().hex}:"
    redis_store = RedisStateStore(url=REDIS_URL, prefix=prefix)
    yield redis_store
    redis_store.close()
    _delete_prefix(prefix)


def _state(users: int) -> ConversationState:
    return ConversationState(
        stage=Stage.EXPLORING,
        requirements=Requirements(task=Task.CHATBOT, concurrent_users=users),
        stated=("task", "concurrent_users"),
        turns=1,
    )


def test_unknown_thread_is_fresh_at_version_zero(store: StateStore) -> None:
    state, version = store.load(thread="never-seen")
    assert (state, version) == (ConversationState(), 0)


def test_saved_state_reads_back_equal_with_next_version(store: StateStore) -> None:
    assert store.save(thread="t", state=_state(500), expected_version=0) == 1
    assert store.save(thread="t", state=_state(900), expected_version=1) == 2
    assert store.load(thread="t") == (_state(900), 2)


def test_kept_cards_and_shown_options_read_back_equal(store: StateStore) -> None:
    card = Reply(
        kind=ReplyKind.RECOMMENDATION,
        text="Run Qwen2.5-7B on 1×L4",
        choices=(Choice(label="Deploy option 1", value="deploy option 1 0123456789ab"),),
    )
    state = _state(500).model_copy(
        update={
            "shown": ("0123456789ab", "ba9876543210"),
            "posted": (PostedCard(key=reply_key(card), reply=card),),
        }
    )
    store.save(thread="t", state=state, expected_version=0)
    assert store.load(thread="t") == (state, 1)


def test_threads_are_separate(store: StateStore) -> None:
    store.save(thread="a", state=_state(1), expected_version=0)
    assert store.load(thread="b") == (ConversationState(), 0)


@pytest.mark.parametrize(
    "stale_version", [pytest.param(0, id="behind"), pytest.param(5, id="ahead")]
)
def test_stale_write_raises_conflict_and_keeps_the_winner(
    store: StateStore, stale_version: int
) -> None:
    store.save(thread="t", state=_state(1), expected_version=0)
    with pytest.raises(StateConflictError):
        store.save(thread="t", state=_state(2), expected_version=stale_version)
    assert store.load(thread="t") == (_state(1), 1)


def test_concurrent_writers_never_lose_an_update(store: StateStore) -> None:
    def add_users(times: int) -> None:
        for _ in range(times):
            while True:
                state, version = store.load(thread="race")
                users = state.requirements.concurrent_users or 0
                try:
                    store.save(thread="race", state=_state(users + 1), expected_version=version)
                    break
                except StateConflictError:
                    continue

    workers = [threading.Thread(target=add_users, args=(25,)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    state, version = store.load(thread="race")
    assert (state.requirements.concurrent_users, version) == (100, 100)


def test_an_event_is_recorded_by_the_save_of_its_state_and_only_then(store: StateStore) -> None:
    assert store.seen_event(event_id="e1") is False
    store.save(thread="t", state=_state(1), expected_version=0, event_id="e1")
    assert (store.seen_event(event_id="e1"), store.seen_event(event_id="e2")) == (True, False)
    with pytest.raises(DuplicateEventError):
        store.save(thread="t", state=_state(2), expected_version=1, event_id="e1")
    assert store.load(thread="t") == (_state(1), 1)


def test_a_conflicting_save_does_not_record_its_event(store: StateStore) -> None:
    store.save(thread="t", state=_state(1), expected_version=0)
    with pytest.raises(StateConflictError):
        store.save(thread="t", state=_state(2), expected_version=0, event_id="e1")
    assert store.seen_event(event_id="e1") is False
    store.save(thread="t", state=_state(2), expected_version=1, event_id="e1")
    assert store.seen_event(event_id="e1") is True


def test_replies_are_kept_with_their_event_until_delivered(store: StateStore) -> None:
    chart = Image(title="chart", alt_text="cost vs latency", png=b"\x89PNG\r\n\x1a\n\xff")
    replies = [Reply(text="first", images=(chart,)), Reply(kind=ReplyKind.ERROR, text="second")]
    store.save(thread="t", state=_state(1), expected_version=0, event_id="e1", replies=replies)
    store.save(thread="t", state=_state(2), expected_version=1, event_id="e2")
    assert store.undelivered(event_id="e1") == replies
    assert store.undelivered(event_id="e2") == []
    store.delivered(event_id="e1")
    assert store.undelivered(event_id="e1") == []


def test_replies_of_a_refused_save_are_not_kept(store: StateStore) -> None:
    store.save(thread="t", state=_state(1), expected_version=0, event_id="e1")
    with pytest.raises(DuplicateEventError):
        store.save(
            thread="t",
            state=_state(2),
            expected_version=1,
            event_id="e1",
            replies=[Reply(text="x")],
        )
    with pytest.raises(StateConflictError):
        store.save(
            thread="t",
            state=_state(2),
            expected_version=0,
            event_id="e2",
            replies=[Reply(text="y")],
        )
    assert store.undelivered(event_id="e1") == store.undelivered(event_id="e2") == []


def test_memory_store_forgets_after_ttl() -> None:
    now = [0.0]
    store = InMemoryStateStore(ttl_s=10, clock=lambda: now[0])
    store.save(thread="t", state=_state(1), expected_version=0, event_id="e")
    now[0] = 11.0
    assert store.load(thread="t") == (ConversationState(), 0)
    assert store.seen_event(event_id="e") is False


def test_redis_store_sets_a_ttl_on_threads() -> None:
    prefix = f"test-{uuid.uuid4().hex}:"
    store = RedisStateStore(url=REDIS_URL, prefix=prefix, ttl_s=120)
    store.save(thread="t", state=_state(1), expected_version=0)
    ttl = redis.Redis.from_url(REDIS_URL).ttl(f"{prefix}thread:t")
    store.close()
    _delete_prefix(prefix)
    assert 0 < ttl <= 120


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda s: s.load(thread="t"), id="load"),
        pytest.param(lambda s: s.save(thread="t", state=_state(1), expected_version=0), id="save"),
        pytest.param(lambda s: s.seen_event(event_id="e"), id="seen_event"),
        pytest.param(lambda s: s.undelivered(event_id="e"), id="undelivered"),
        pytest.param(lambda s: s.delivered(event_id="e"), id="delivered"),
    ],
)
def test_redis_down_is_a_backend_unavailable_error(call: object) -> None:
    store = RedisStateStore(url="redis://:secret@127.0.0.1:1/0", timeout_s=0.5)
    with pytest.raises(BackendUnavailableError) as caught:
        call(store)  # type: ignore[operator]
    assert caught.value.service == "Redis"
    assert "secret" not in str(caught.value)
