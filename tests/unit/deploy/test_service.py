"""Tests of the deployment service: approval, RBAC, idempotency, rollback, and the audit trail.

Real components throughout: the dry-run cluster (a folder, with an RBAC grant table), the
in-process records, the JSON-lines audit, and the real kubernetes client for the unreachable
cluster. The only stand-ins are subclasses of our own cluster that count or fail applies.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.approval import ApprovalPolicy, ChatIdentity
from deploy.audit import JsonlAuditLog, now_utc
from deploy.cluster import (
    ApplyResult,
    DeploymentStatus,
    Identity,
    Permission,
    permissions_needed,
)
from deploy.dashboard import dashboard_uid
from deploy.dryrun_cluster import DryRunCluster
from deploy.k8s_cluster import KubernetesCluster
from deploy.plan import Autoscaler
from deploy.records import MemoryRecords
from deploy.render import Manifest, render
from deploy.rollback import rollback
from deploy.service import DeploymentService
from deploy.watch import wait_ready
from domain.errors import (
    ApprovalError,
    ApprovalExpiredError,
    ApprovalVoidedError,
    BackendUnavailableError,
    CouldNotCheckError,
    InvalidInputError,
    PermissionDeniedError,
    PolicyViolationError,
    SelfApprovalError,
)
from tests.unit.deploy.factories import make_plan
from tests.unit.deploy.kube_api import KubeApiEmulator

BOB = ChatIdentity(user="U-bob")
CAROL = ChatIdentity(user="U-carol")


class CountingCluster(DryRunCluster):
    """The dry-run cluster, counting real (non-dry-run) applies; fails the first ``fail`` ones."""

    def __init__(self, directory: Path, *, fail: int = 0, **kwargs: Any) -> None:
        super().__init__(directory, **kwargs)
        self.applies = 0
        self.fail = fail

    def apply(self, *, manifests: Sequence[Manifest], dry_run: bool, **kwargs: Any) -> ApplyResult:
        if not dry_run:
            if self.fail:
                self.fail -= 1
                raise BackendUnavailableError("kubernetes API", "503")
            self.applies += 1
        return super().apply(manifests=manifests, dry_run=dry_run, **kwargs)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = now_utc()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_service(
    tmp_path: Path, cluster: Any = None, clock: Clock | None = None, **kw: Any
) -> DeploymentService:
    return DeploymentService(
        cluster=cluster or CountingCluster(tmp_path / "cluster"),
        records=MemoryRecords(),
        audit=JsonlAuditLog(tmp_path / "audit.jsonl"),
        clock=clock or now_utc,
        **kw,
    )


def actions(service: DeploymentService) -> list[str]:
    return [e.action.value for e in service.audit.recent()]


def isvc_file(tmp_path: Path, name: str = "llama-3-1-8b-h100") -> Path:
    return tmp_path / "cluster" / "llm-serving" / name / f"inferenceservice-{name}.yaml"


def test_request_then_approval_applies_and_audits_each_step(tmp_path: Path) -> None:
    service = make_service(tmp_path, grafana_url="https://grafana.example")
    request = service.request(make_plan())
    outcome = service.approve(request.id, approver=BOB)
    assert outcome.state == "applied"
    assert outcome.revision == 0
    assert outcome.dashboard_url == "https://grafana.example/d/" + dashboard_uid(
        "llm-serving", "llama-3-1-8b-h100"
    )
    applied = yaml.safe_load(isvc_file(tmp_path).read_text())
    assert applied["metadata"]["annotations"]["preflight.dev/approved-by"] == "U-bob"
    assert actions(service) == ["request", "approve", "dry-run", "apply"]
    assert {e.manifest_hash for e in service.audit.recent()} == {request.manifest_hash}


def test_requester_cannot_approve_and_the_denial_is_audited(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    request = service.request(make_plan(requester="U-alice"))
    with pytest.raises(SelfApprovalError):
        service.approve(request.id, approver=ChatIdentity(user="U-alice"))
    assert not isvc_file(tmp_path).exists()
    assert actions(service) == ["request", "deny"]


def test_bad_input_is_refused_before_the_cluster_and_audited(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    with pytest.raises(PolicyViolationError, match="team-x"):
        service.request(make_plan(namespace="team-x"))
    assert not (tmp_path / "cluster").exists()
    assert service.audit.recent()[-1].result == "refused"


def test_denied_access_review_blocks_the_apply_and_names_what_is_missing(tmp_path: Path) -> None:
    plan = make_plan()
    needs = permissions_needed(render(plan))
    partial = [p for p in needs if p.resource != "scaledobjects"]
    cluster = CountingCluster(tmp_path / "cluster", grants={"chat:U-bob": partial})
    service = make_service(tmp_path, cluster)
    request = service.request(plan)
    with pytest.raises(PermissionDeniedError) as caught:
        service.approve(request.id, approver=BOB)
    assert caught.value.missing == [
        f"{verb} scaledobjects.keda.sh in llm-serving" for verb in ("get", "create", "patch")
    ]
    assert cluster.applies == 0 and not isvc_file(tmp_path).exists()
    assert actions(service)[-1] == "deny"


def test_group_grants_through_the_identity_map_allow_the_apply(tmp_path: Path) -> None:
    from deploy.approval import IdentityMap

    plan = make_plan()
    grants = {"group:ml-deployers": permissions_needed(render(plan))}
    service = make_service(
        tmp_path,
        CountingCluster(tmp_path / "cluster", grants=grants),
        identities=IdentityMap(users={"U-bob": Identity(user="bob", groups=("ml-deployers",))}),
    )
    outcome = service.approve(service.request(plan).id, approver=BOB)
    assert outcome.state == "applied"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_cluster_is_could_not_check_and_nothing_is_applied(tmp_path: Path) -> None:
    emulator = KubeApiEmulator()
    config = emulator.write_kubeconfig(
        tmp_path / "kubeconfig", server=f"http://127.0.0.1:{_closed_port()}"
    )
    emulator.server.server_close()
    service = make_service(tmp_path, KubernetesCluster.from_kubeconfig(config, timeout_s=2))
    request = service.request(make_plan())
    with pytest.raises(CouldNotCheckError):
        service.approve(request.id, approver=BOB)
    assert actions(service) == ["request", "could-not-check"]
    assert service.records.get(f"deployed:{request.id}") is None


def test_double_approval_applies_once(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    request = service.request(make_plan())
    first = service.approve(request.id, approver=BOB)
    second = service.approve(request.id, approver=BOB)
    third = service.approve(request.id, approver=CAROL)
    assert service.cluster.applies == 1  # type: ignore[attr-defined]
    assert (first.state, second.state, third.state) == ("applied", "duplicate", "duplicate")
    assert second.revision == first.revision == 0
    assert actions(service).count("duplicate") == 2


def test_concurrent_clicks_apply_once(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    request = service.request(make_plan())
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: service.approve(request.id, approver=BOB), range(8)))
    assert service.cluster.applies == 1  # type: ignore[attr-defined]
    assert sorted(o.state for o in outcomes) == ["applied"] + ["duplicate"] * 7


def test_the_same_thread_and_manifests_make_one_request(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    assert service.request(make_plan()).id == service.request(make_plan()).id
    assert service.request(make_plan()).id != service.request(make_plan(thread_id="other")).id
    assert actions(service).count("request") == 2


def test_a_manifest_change_after_approval_voids_it(tmp_path: Path) -> None:
    service = make_service(tmp_path, policy=ApprovalPolicy(required_approvals=2))
    request = service.request(make_plan())
    assert service.approve(request.id, approver=BOB).state == "waiting"
    tampered = render(make_plan(replicas=5))
    import json

    service.records.put(f"manifests:{request.id}", json.dumps(tampered))
    with pytest.raises(ApprovalVoidedError):
        service.approve(request.id, approver=CAROL)
    assert service.cluster.applies == 0  # type: ignore[attr-defined]
    assert actions(service)[-1] == "deny"


def test_approving_other_manifests_than_shown_is_void(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    request = service.request(make_plan())
    with pytest.raises(ApprovalVoidedError):
        service.approve(request.id, approver=BOB, seen_hash="0" * 64)


def test_an_expired_approval_does_not_apply(tmp_path: Path, clock: Clock) -> None:
    policy = ApprovalPolicy(required_approvals=2, expiry_s=3600)
    service = make_service(tmp_path, clock=clock, policy=policy)
    request = service.request(make_plan())
    service.approve(request.id, approver=BOB)
    clock.now += timedelta(minutes=61)
    with pytest.raises(ApprovalExpiredError):
        service.approve(request.id, approver=CAROL)
    assert service.cluster.applies == 0  # type: ignore[attr-defined]


def test_an_expired_request_is_renewed_when_asked_again(tmp_path: Path, clock: Clock) -> None:
    service = make_service(tmp_path, clock=clock)
    first = service.request(make_plan())
    clock.now += timedelta(hours=25)
    with pytest.raises(ApprovalExpiredError):
        service.approve(first.id, approver=BOB)
    renewed = service.request(make_plan())
    assert renewed.id == first.id and renewed.created_at == clock.now
    assert service.approve(renewed.id, approver=BOB).state == "applied"


def test_two_approvals_needed_apply_on_the_second(tmp_path: Path) -> None:
    service = make_service(tmp_path, policy=ApprovalPolicy(required_approvals=2))
    request = service.request(make_plan())
    waiting = service.approve(request.id, approver=BOB)
    applied = service.approve(request.id, approver=CAROL)
    assert (waiting.state, waiting.needed, waiting.approvers) == ("waiting", 2, ("U-bob",))
    assert applied.state == "applied" and set(applied.approvers) == {"U-bob", "U-carol"}


def test_a_failed_apply_is_audited_and_a_later_click_retries(tmp_path: Path) -> None:
    service = make_service(tmp_path, CountingCluster(tmp_path / "cluster", fail=1))
    request = service.request(make_plan())
    with pytest.raises(BackendUnavailableError):
        service.approve(request.id, approver=BOB)
    assert service.audit.recent()[-1].result == "error"
    assert service.approve(request.id, approver=BOB).state == "applied"
    assert service.cluster.applies == 1  # type: ignore[attr-defined]


def _deploy(service: DeploymentService, **kw: Any) -> None:
    request = service.request(make_plan(**kw))
    assert service.approve(request.id, approver=BOB).state == "applied"


def test_rollback_restores_the_previous_revision_then_deletes_the_first(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    _deploy(service, replicas=2)
    _deploy(service, replicas=6, autoscaler=Autoscaler.HPA)
    folder = isvc_file(tmp_path).parent
    assert (folder / "horizontalpodautoscaler-llama-3-1-8b-h100-scaler.yaml").exists()
    done = rollback(service, namespace="llm-serving", name="llama-3-1-8b-h100", actor=CAROL)
    assert (done.action, done.revision) == ("reapplied", 0)
    assert done.removed == ("HorizontalPodAutoscaler/llama-3-1-8b-h100-scaler",)
    restored = yaml.safe_load(isvc_file(tmp_path).read_text())
    assert restored["spec"]["predictor"]["maxReplicas"] == 4
    assert not (folder / "horizontalpodautoscaler-llama-3-1-8b-h100-scaler.yaml").exists()
    assert (folder / "scaledobject-llama-3-1-8b-h100-scaler.yaml").exists()
    last = rollback(service, namespace="llm-serving", name="llama-3-1-8b-h100", actor=CAROL)
    assert last.action == "deleted" and not folder.exists()
    with pytest.raises(InvalidInputError, match="nothing deployed"):
        rollback(service, namespace="llm-serving", name="llama-3-1-8b-h100", actor=CAROL)
    assert actions(service).count("rollback") == 2


def test_another_threads_deployment_is_neither_requested_nor_applied_over(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    pending = service.request(make_plan(thread_id="thread-b", replicas=6))
    _deploy(service)
    with pytest.raises(PolicyViolationError, match="belongs to another conversation"):
        service.approve(pending.id, approver=BOB)
    with pytest.raises(PolicyViolationError, match="belongs to another conversation"):
        service.request(make_plan(thread_id="thread-b", replicas=4))
    restored = yaml.safe_load(isvc_file(tmp_path).read_text())
    assert restored["spec"]["predictor"]["maxReplicas"] == 4
    with pytest.raises(PolicyViolationError):
        rollback(
            service, namespace="llm-serving", name="llama-3-1-8b-h100", actor=CAROL, thread_id="b"
        )
    assert service.audit.recent()[-1].result == "denied"


def test_rolling_back_a_first_deployment_frees_the_name_and_the_request(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    request = service.request(make_plan())
    service.approve(request.id, approver=BOB)
    rollback(service, namespace="llm-serving", name="llama-3-1-8b-h100", actor=CAROL)
    again = service.request(make_plan())
    assert service.approve(again.id, approver=BOB).state == "applied"
    assert isvc_file(tmp_path).exists()
    rollback(service, namespace="llm-serving", name="llama-3-1-8b-h100", actor=CAROL)
    _deploy(service, thread_id="another thread")
    assert isvc_file(tmp_path).exists()


def test_rollback_is_refused_to_someone_the_policy_does_not_list(tmp_path: Path) -> None:
    service = make_service(tmp_path, policy=ApprovalPolicy(approvers={"*": ["group:sre"]}))
    request = service.request(make_plan())
    service.approve(request.id, approver=ChatIdentity(user="U-bob", groups=("sre",)))
    with pytest.raises(ApprovalError, match="may not roll back"):
        rollback(service, namespace="llm-serving", name="llama-3-1-8b-h100", actor=CAROL)
    assert isvc_file(tmp_path).exists()
    rollback(
        service,
        namespace="llm-serving",
        name="llama-3-1-8b-h100",
        actor=ChatIdentity(user="U-carol", groups=("sre",)),
    )
    assert not isvc_file(tmp_path).exists()


def test_a_new_revision_prunes_what_the_old_one_had_and_it_lacks(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    _deploy(service)
    folder = isvc_file(tmp_path).parent
    keda = folder / "scaledobject-llama-3-1-8b-h100-scaler.yaml"
    assert keda.exists()
    _deploy(service, autoscaler=Autoscaler.HPA)
    assert not keda.exists()
    assert (folder / "horizontalpodautoscaler-llama-3-1-8b-h100-scaler.yaml").exists()
    assert "pruned ScaledObject/llama-3-1-8b-h100-scaler" in service.audit.recent()[-1].detail


def test_pruning_needs_delete_permission(tmp_path: Path) -> None:
    first, second = make_plan(), make_plan(autoscaler=Autoscaler.HPA)
    grants = {"chat:U-bob": permissions_needed(render(first)) + permissions_needed(render(second))}
    service = make_service(tmp_path, CountingCluster(tmp_path / "cluster", grants=grants))
    service.approve(service.request(first).id, approver=BOB)
    with pytest.raises(PermissionDeniedError) as caught:
        service.approve(service.request(second).id, approver=BOB)
    assert caught.value.missing == ["delete scaledobjects.keda.sh in llm-serving"]


def test_rollback_needs_the_actors_permissions(tmp_path: Path) -> None:
    plan = make_plan()
    grants: dict[str, list[Permission]] = {"chat:U-bob": permissions_needed(render(plan))}
    service = make_service(tmp_path, CountingCluster(tmp_path / "cluster", grants=grants))
    _deploy(service)
    with pytest.raises(PermissionDeniedError, match="U-carol"):
        rollback(service, namespace="llm-serving", name="llama-3-1-8b-h100", actor=CAROL)
    assert isvc_file(tmp_path).exists()
    assert service.audit.recent()[-1].result == "denied"


def test_wait_ready_reports_progress_and_audits_readiness(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    _deploy(service)
    seen: list[DeploymentStatus] = []
    status = wait_ready(
        service, namespace="llm-serving", name="llama-3-1-8b-h100", on_progress=seen.append
    )
    assert status.ready and seen == [status]
    assert actions(service)[-1] == "ready"


def test_dry_run_checks_access_and_applies_nothing(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    result = service.dry_run(make_plan(), approver=BOB)
    assert result.dry_run and len(result.applied) == 6
    assert service.cluster.applies == 0  # type: ignore[attr-defined]
    assert not isvc_file(tmp_path).exists()
