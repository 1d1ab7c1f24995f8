"""One contract suite over every inbox: in-process and a real Redis stream (127.0.0.1:6379/15)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from bot.adapters.memory_inbox import InMemoryInbox
from bot.adapters.redis_inbox import RedisInbox
from bot.conversation.inbox import Inbox, Lease
from domain.errors import BackendUnavailableError

REDIS_URL = "redis://127.0.0.1:6379/15"
LEASE_S = 0.3


@pytest.fixture(params=["memory", "redis"])
def inbox(request: pytest.FixtureRequest) -> Iterator[Inbox]:
    """Each implementation with a short lease; Redis under a unique key prefix, removed after."""
    if request.param == "memory":
        yield InMemoryInbox(lease_s=LEASE_S)
        return
    prefix = f"test-{uuid.uuid4().hex}:"
    redis_inbox = RedisInbox(url=REDIS_URL, lease_s=LEASE_S, prefix=prefix)
    yield redis_inbox
    redis_inbox.close()
    redis.Redis.from_url(REDIS_URL).delete(f"{prefix}inbox")


def test_jobs_come_out_in_order_once_each(inbox: Inbox) -> None:
    for number in range(3):
        inbox.put(job={"n": number, "text": "ünïcode"})
    first = inbox.claim(consumer="w1", count=2, wait_s=0.1)
    second = inbox.claim(consumer="w2", count=5, wait_s=0.1)
    assert [lease.job["n"] for lease in first + second] == [0, 1, 2]
    assert first[0].job["text"] == "ünïcode" and not any(lease.handed_on for lease in first)
    assert inbox.claim(consumer="w3", count=5, wait_s=0.05) == []
    assert inbox.depth() == 3


def test_a_done_job_is_gone_and_an_unfinished_one_is_handed_on_after_its_lease(
    inbox: Inbox,
) -> None:
    inbox.put(job={"n": 1})
    inbox.put(job={"n": 2})
    one, two = inbox.claim(consumer="dies", count=2, wait_s=0.1)
    inbox.done(lease=one)
    assert inbox.claim(consumer="other", count=5, wait_s=0.05) == []  # lease still running
    time.sleep(LEASE_S + 0.1)
    (again,) = inbox.claim(consumer="other", count=5, wait_s=0.1)
    assert again.job == {"n": 2} and again.id == two.id and again.handed_on
    inbox.done(lease=again)
    assert inbox.depth() == 0


def test_a_renewed_lease_keeps_its_job_and_a_lost_one_is_not_taken_back(inbox: Inbox) -> None:
    inbox.put(job={"n": 1})
    (mine,) = inbox.claim(consumer="slow", count=1, wait_s=0.1)
    for _ in range(3):
        time.sleep(LEASE_S * 0.6)
        inbox.renew(leases=[mine])
    assert inbox.claim(consumer="other", count=1, wait_s=0.05) == []
    time.sleep(LEASE_S + 0.1)
    (theirs,) = inbox.claim(consumer="other", count=1, wait_s=0.1)
    assert theirs.consumer == "other" and theirs.handed_on
    time.sleep(LEASE_S * 0.6)
    inbox.renew(leases=[mine])  # too late: the job moved on; this neither takes nor extends it
    time.sleep(LEASE_S * 0.6)
    (third,) = inbox.claim(consumer="third", count=1, wait_s=0.1)
    assert third.id == mine.id


def test_a_job_put_back_later_replaces_its_copy(inbox: Inbox) -> None:
    inbox.put(job={"n": 1, "attempt": 0})
    inbox.put(job={"n": 2})
    (first,) = inbox.claim(consumer="w", count=1, wait_s=0.1)
    inbox.later(lease=first, job=first.job | {"attempt": 1})
    leases = inbox.claim(consumer="w", count=5, wait_s=0.1)
    assert [lease.job for lease in leases] == [{"n": 2}, {"n": 1, "attempt": 1}]
    time.sleep(LEASE_S + 0.1)
    assert {lease.job["n"] for lease in inbox.claim(consumer="x", count=5, wait_s=0.1)} == {1, 2}
    assert inbox.depth() == 2


def test_a_waiting_claim_wakes_for_a_job_put_meanwhile(inbox: Inbox) -> None:
    taken: list[object] = []
    waiter = threading.Thread(
        target=lambda: taken.extend(inbox.claim(consumer="w", count=1, wait_s=5.0))
    )
    waiter.start()
    time.sleep(0.1)
    inbox.put(job={"n": 1})
    waiter.join(timeout=10)
    assert len(taken) == 1


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda i: i.put(job={"n": 1}), id="put"),
        pytest.param(lambda i: i.claim(consumer="w", count=1, wait_s=0.1), id="claim"),
        pytest.param(lambda i: i.depth(), id="depth"),
        pytest.param(lambda i: i.renew(leases=[Lease(id="1-0", job={}, consumer="w")]), id="renew"),
    ],
)
def test_redis_down_is_a_backend_unavailable_error(call: object) -> None:
    inbox = RedisInbox(url="redis://:secret@127.0.0.1:1/0", timeout_s=0.5)
    with pytest.raises(BackendUnavailableError) as caught:
        call(inbox)  # type: ignore[operator]
    assert caught.value.service == "Redis"
    assert "secret" not in str(caught.value)
