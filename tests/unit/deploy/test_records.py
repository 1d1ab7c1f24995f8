"""One suite over every record store: in-process, JSON file, and real Redis (127.0.0.1:6379)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from deploy.file_records import FileRecords
from deploy.records import MemoryRecords, RecordStore
from deploy.redis_records import RedisRecords
from domain.errors import BackendUnavailableError


@pytest.fixture(params=["memory", "file", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    if request.param == "memory":
        yield MemoryRecords()
    elif request.param == "file":
        yield FileRecords(tmp_path / "records.json")
    else:
        client = redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
        prefix = f"preflight-test:{uuid.uuid4().hex}:"
        yield RedisRecords(client, prefix=prefix)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)


def test_put_and_get(store: RecordStore) -> None:
    assert store.get("a") is None
    assert store.put("a", "1")
    assert store.put("a", "2")
    assert store.get("a") == "2"


def test_put_only_if_absent_is_a_claim(store: RecordStore) -> None:
    assert store.put("claim", "first", only_if_absent=True)
    assert not store.put("claim", "second", only_if_absent=True)
    assert store.get("claim") == "first"


def test_concurrent_claims_have_one_winner(store: RecordStore) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(lambda i: store.put("race", str(i), only_if_absent=True), range(16)))
    assert wins.count(True) == 1


def test_lists_append_in_order(store: RecordStore) -> None:
    assert store.items("list") == []
    assert store.append("list", "x") == 1
    assert store.append("list", "y") == 2
    assert store.items("list") == ["x", "y"]


def test_delete_removes_values_and_lists_and_frees_a_claim(store: RecordStore) -> None:
    store.put("claim", "bob", only_if_absent=True)
    store.append("approvals", "x")
    store.delete("claim", "approvals", "never-written")
    assert store.get("claim") is None
    assert store.items("approvals") == []
    assert store.put("claim", "carol", only_if_absent=True)


def test_redis_outage_is_backend_unavailable() -> None:
    client = redis.Redis.from_url("redis://127.0.0.1:1/0", decode_responses=True)
    with pytest.raises(BackendUnavailableError, match="redis"):
        RedisRecords(client).get("x")
