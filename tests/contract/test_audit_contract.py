"""The audit port, one suite over the JSON-lines file and a real Redis stream (127.0.0.1:6379).

Each Redis test uses its own stream key and deletes it afterwards. The last test runs a whole
deployment (request, self-approval denial, approval, dry run, apply, duplicate click, ready,
rollback) through the service and finds every step in each trail.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from deploy.approval import ChatIdentity
from deploy.audit import AuditAction, AuditEvent, AuditLog, JsonlAuditLog
from deploy.audit_redis import RedisAuditLog
from deploy.dryrun_cluster import DryRunCluster
from deploy.records import MemoryRecords
from deploy.rollback import rollback
from deploy.service import DeploymentService
from deploy.watch import wait_ready
from domain.errors import BackendUnavailableError, SelfApprovalError
from tests.unit.deploy.factories import make_plan

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(params=["jsonl", "redis"])
def audit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuditLog]:
    if request.param == "jsonl":
        yield JsonlAuditLog(tmp_path / "audit" / "audit.jsonl")
        return
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True)
    stream = f"preflight-test:audit:{uuid.uuid4().hex}"
    yield RedisAuditLog(client, stream=stream)
    client.delete(stream)


def event(index: int, action: AuditAction = AuditAction.APPLY) -> AuditEvent:
    return AuditEvent(
        at=T0 + timedelta(seconds=index),
        action=action,
        actor=f"U{index}",
        target="ns/app",
        manifest_hash="f" * 64,
        result="ok",
        detail=f"event {index}",
    )


def test_events_come_back_in_order_and_unchanged(audit: AuditLog) -> None:
    assert audit.recent() == []
    written = [event(i) for i in range(5)]
    for item in written:
        audit.append(item)
    assert audit.recent() == written
    assert audit.recent(limit=2) == written[-2:]


def test_text_with_newlines_stays_one_event(audit: AuditLog) -> None:
    tricky = event(1).model_copy(update={"detail": 'line one\n{"action": "apply"}\nline three'})
    audit.append(tricky)
    assert audit.recent() == [tricky]


def test_redis_outage_is_backend_unavailable() -> None:
    client = redis.Redis.from_url("redis://127.0.0.1:1/0", decode_responses=True)
    with pytest.raises(BackendUnavailableError):
        RedisAuditLog(client).append(event(0))


def test_a_whole_deployment_leaves_every_step_in_the_trail(audit: AuditLog, tmp_path: Path) -> None:
    service = DeploymentService(
        cluster=DryRunCluster(tmp_path / "cluster"), records=MemoryRecords(), audit=audit
    )
    request = service.request(make_plan(requester="U-alice"))
    with pytest.raises(SelfApprovalError):
        service.approve(request.id, approver=ChatIdentity(user="U-alice"))
    service.approve(request.id, approver=ChatIdentity(user="U-bob"))
    service.approve(request.id, approver=ChatIdentity(user="U-bob"))
    wait_ready(service, namespace="llm-serving", name="llama-3-1-8b-h100")
    rollback(
        service,
        namespace="llm-serving",
        name="llama-3-1-8b-h100",
        actor=ChatIdentity(user="U-carol"),
    )
    trail = audit.recent()
    assert [e.action.value for e in trail] == [
        "request",
        "deny",
        "approve",
        "dry-run",
        "apply",
        "approve",
        "duplicate",
        "ready",
        "rollback",
    ]
    assert [e.actor for e in trail][:3] == ["U-alice", "U-alice", "U-bob"]
    assert all(e.target == "llm-serving/llama-3-1-8b-h100" for e in trail)
    assert trail[4].manifest_hash == request.manifest_hash
    assert trail[1].result == "denied" and trail[-1].detail == "deleted the first deployment"
