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
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(f"{prefix}inbox", f"{prefix}parked", *client.keys(f"{prefix}parked:*"))


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


def test_a_parked_job_waits_out_of_the_way_until_its_key_is_unparked(inbox: Inbox) -> None:
    inbox.put(job={"n": 1})
    inbox.put(job={"n": 2})
    inbox.put(job={"n": 3})
    one, two, three = inbox.claim(consumer="w", count=3, wait_s=0.1)
    inbox.park(lease=one, key="thread-a", job=one.job | {"attempt": 1}, keep_s=60)
    inbox.park(lease=two, key="thread-a", job=two.job, keep_s=60)
    inbox.park(lease=three, key="thread-b", job=three.job, keep_s=60)
    assert (inbox.depth(), inbox.parked()) == (0, 3)
    time.sleep(LEASE_S + 0.1)
    assert inbox.claim(consumer="x", count=5, wait_s=0.05) == []  # not handed on either
    assert inbox.unpark(key="thread-a") == 2
    assert inbox.unpark(key="thread-a") == 0
    back = inbox.claim(consumer="x", count=5, wait_s=0.1)
    assert [lease.job for lease in back] == [{"n": 1, "attempt": 1}, {"n": 2}]
    assert not any(lease.handed_on for lease in back)
    assert (inbox.depth(), inbox.parked()) == (2, 1)


def test_parked_jobs_are_dropped_once_their_key_ran_out(inbox: Inbox) -> None:
    inbox.put(job={"n": 1})
    inbox.put(job={"n": 2})
    one, two = inbox.claim(consumer="w", count=2, wait_s=0.1)
    inbox.park(lease=one, key="never-opened", job=one.job, keep_s=0.2)
    inbox.park(lease=two, key="kept", job=two.job, keep_s=60)
    time.sleep(0.3)
    assert inbox.parked() == 1
    assert inbox.unpark(key="never-opened") == 0
    assert inbox.unpark(key="kept") == 1


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
        pytest.param(lambda i: i.parked(), id="parked"),
        pytest.param(lambda i: i.unpark(key="t"), id="unpark"),
        pytest.param(lambda i: i.renew(leases=[Lease(id="1-0", job={}, consumer="w")]), id="renew"),
    ],
)
def test_redis_down_is_a_backend_unavailable_error(call: object) -> None:
    inbox = RedisInbox(url="redis://:secret@127.0.0.1:1/0", timeout_s=0.5)
    with pytest.raises(BackendUnavailableError) as caught:
        call(inbox)  # type: ignore[operator]
    assert caught.value.service == "Redis"
    assert "secret" not in str(caught.value)
