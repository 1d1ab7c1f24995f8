"""Issue 12 item 14: state after a rollback says what it is, a rolled-back request can be applied
again, and a dry run obeys the approval policy as the real apply does.

Real components: the dry-run cluster folder, in-process records, the JSON-lines audit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.approval import ChatIdentity
from deploy.audit import JsonlAuditLog
from deploy.dryrun_cluster import DryRunCluster
from deploy.records import MemoryRecords
from deploy.revisions import standing
from deploy.rollback import rollback
from deploy.service import DeploymentService
from domain.errors import SelfApprovalError
from tests.unit.deploy.factories import make_plan

TARGET = "llm-serving/llama-3-1-8b-h100"


def _service(tmp_path: Path) -> DeploymentService:
    return DeploymentService(
        cluster=DryRunCluster(tmp_path / "cluster"),
        records=MemoryRecords(),
        audit=JsonlAuditLog(tmp_path / "audit.jsonl"),
    )


def test_a_rolled_back_request_is_said_to_be_rolled_back_and_can_be_applied_again(
    tmp_path: Path,
) -> None:
    service = _service(tmp_path)
    first = service.request(make_plan(replicas=2))
    service.approve(first.id, approver=ChatIdentity(user="U-bob"))
    request = service.request(make_plan(replicas=3))
    assert standing(service.records, TARGET, request.id) == "never applied"
    assert service.approve(request.id, approver=ChatIdentity(user="U-bob")).state == "applied"
    assert standing(service.records, TARGET, request.id) == "in place"
    rollback(
        service, namespace="llm-serving", name="llama-3-1-8b-h100", actor=ChatIdentity(user="U-c")
    )
    assert standing(service.records, TARGET, request.id) == "rolled back"
    assert standing(service.records, TARGET, first.id) == "in place"
    again = service.approve(request.id, approver=ChatIdentity(user="U-dave"))
    assert again.state == "applied"
    assert standing(service.records, TARGET, request.id) == "in place"


def test_a_newer_revision_supersedes_the_older_request(tmp_path: Path) -> None:
    service = _service(tmp_path)
    first = service.request(make_plan(replicas=2))
    service.approve(first.id, approver=ChatIdentity(user="U-bob"))
    second = service.request(make_plan(replicas=3))
    service.approve(second.id, approver=ChatIdentity(user="U-bob"))
    assert standing(service.records, TARGET, first.id) == "superseded"
    assert standing(service.records, TARGET, second.id) == "in place"


def test_a_dry_run_refuses_self_approval_as_the_real_apply_does(tmp_path: Path) -> None:
    service = _service(tmp_path)
    plan = make_plan(requester="U-alice")
    with pytest.raises(SelfApprovalError):
        service.dry_run(plan, approver=ChatIdentity(user="U-alice"))
    assert [e.result for e in service.audit.recent()] == ["denied"]
    result = service.dry_run(plan, approver=ChatIdentity(user="U-bob"))
    assert result.applied
