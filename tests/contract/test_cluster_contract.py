"""The cluster port, one suite over both implementations, plus what only the API client does.

- the dry-run cluster (a folder) and the real kubernetes client over HTTP against a local
  Kubernetes API emulation (tests/unit/deploy/kube_api.py) run the same contract;
- the API client's own duties are checked on the wire: server-side apply parameters, dry run,
  field manager, SubjectAccessReview bodies, impersonation headers, error translation, watch;
- ``test_real_cluster_*`` run against a real cluster when ``KUBECONFIG`` is set (marker
  ``cluster``); they only read access reviews and server-side dry-run core objects, so they
  change nothing. Without ``KUBECONFIG`` they are skipped with the reason "no KUBECONFIG".
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.approval import ChatIdentity
from deploy.audit import JsonlAuditLog
from deploy.cluster import Cluster, Identity, Permission, permissions_needed
from deploy.dryrun_cluster import DryRunCluster
from deploy.k8s_cluster import KubernetesCluster
from deploy.measure_job import REPORT_MARKER, MeasureWorkload, guidellm_job
from deploy.plan import Target as ServingApi
from deploy.records import MemoryRecords
from deploy.render import render
from deploy.service import DeploymentService
from deploy.watch import wait_ready
from domain.errors import (
    BackendUnavailableError,
    CouldNotCheckError,
    InvalidInputError,
    PermissionDeniedError,
)
from tests.unit.deploy.factories import make_plan
from tests.unit.deploy.kube_api import KubeApiEmulator

NAME = "llama-3-1-8b-h100"
NS = "llm-serving"


class ClusterUnderTest:
    """One cluster implementation and how to give its users permissions."""

    def __init__(self, kind: str, tmp_path: Path, emulator: KubeApiEmulator | None) -> None:
        self.kind = kind
        self.tmp_path = tmp_path
        self.emulator = emulator

    def cluster(self, grants: dict[str, list[Permission]] | None = None) -> Cluster:
        if self.emulator is None:
            return DryRunCluster(self.tmp_path / "out", grants=grants)
        if grants is not None:
            self.emulator.state.grants = {
                who: {f"{p.verb} {p.resource} {p.namespace}" for p in perms}
                for who, perms in grants.items()
            }
        config = self.emulator.write_kubeconfig(self.tmp_path / "kubeconfig")
        return KubernetesCluster.from_kubeconfig(config)

    def finish_job(self, *, namespace: str, name: str, log: str) -> None:
        """End a Job as its runner would: the API marks it succeeded with a pod's log; for the
        folder, whoever ran it saves the log beside it."""
        if self.emulator is None:
            (found,) = (self.tmp_path / "out" / namespace).glob(f"*/job-{name}.yaml")
            found.with_suffix(".log").write_text(log)
            return
        self.emulator.state.job_status[name] = {
            "succeeded": 1,
            "conditions": [{"type": "Complete"}],
        }
        self.emulator.state.logs[f"{name}-x7k2p"] = log


@pytest.fixture
def emulator() -> Iterator[KubeApiEmulator]:
    with KubeApiEmulator() as running:
        yield running


@pytest.fixture(params=["dry-run", "api"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClusterUnderTest]:
    if request.param == "dry-run":
        yield ClusterUnderTest("dry-run", tmp_path, None)
    else:
        with KubeApiEmulator() as running:
            yield ClusterUnderTest("api", tmp_path, running)


def test_dry_run_persists_nothing(target: ClusterUnderTest) -> None:
    cluster = target.cluster()
    result = cluster.apply(manifests=render(make_plan()), dry_run=True)
    assert result.dry_run and len(result.applied) == 6
    assert not cluster.status(namespace=NS, name=NAME).exists


def test_apply_then_status_then_delete(target: ClusterUnderTest) -> None:
    cluster = target.cluster()
    manifests = render(make_plan())
    result = cluster.apply(manifests=manifests, dry_run=False)
    assert result.applied[1] == f"InferenceService/{NAME}"
    status = cluster.status(namespace=NS, name=NAME)
    assert status.exists and status.ready
    cluster.delete(manifests=manifests)
    assert not cluster.status(namespace=NS, name=NAME).exists
    cluster.delete(manifests=manifests)  # already gone: no error


def test_access_review_lists_exactly_the_missing_permissions(target: ClusterUnderTest) -> None:
    needs = permissions_needed(render(make_plan()))
    granted = [p for p in needs if p.verb != "patch"]
    cluster = target.cluster({"bob": granted, "group:sre": needs})
    denied = cluster.check_access(identity=Identity(user="bob"), needs=needs)
    assert not denied.allowed
    assert set(denied.missing) == {p for p in needs if p.verb == "patch"}
    allowed = cluster.check_access(identity=Identity(user="bob", groups=("sre",)), needs=needs)
    assert allowed.allowed and allowed.missing == ()


def test_a_job_runs_until_it_ends_then_its_log_is_read_and_delete_removes_it(
    target: ClusterUnderTest,
) -> None:
    cluster = target.cluster()
    workload = MeasureWorkload(
        target="http://llama-predictor.llm-serving.svc.cluster.local",
        model="meta-llama/Llama-3.1-8B-Instruct",
        input_tokens=512,
        output_tokens=128,
        concurrency=4,
        max_requests=80,
    )
    job = guidellm_job(name=NAME, namespace=NS, workload=workload)
    job_name = f"{NAME}-measure"
    assert cluster.job_outcome(namespace=NS, name=job_name).state == "absent"
    cluster.apply(manifests=[job], dry_run=False)
    running = cluster.job_outcome(namespace=NS, name=job_name)
    assert (running.state, running.log) == ("running", "")
    log = f'done\n{REPORT_MARKER}\n{{"benchmarks": []}}\n'
    target.finish_job(namespace=NS, name=job_name, log=log)
    ended = cluster.job_outcome(namespace=NS, name=job_name)
    assert (ended.state, ended.log) == ("succeeded", log)
    cluster.delete(manifests=[job])
    assert cluster.job_outcome(namespace=NS, name=job_name).state == "absent"


def test_a_failed_job_is_read_as_failed_with_its_condition(
    emulator: KubeApiEmulator, tmp_path: Path
) -> None:
    cluster = _cluster(emulator, tmp_path)
    path = f"/apis/batch/v1/namespaces/{NS}/jobs/m"
    emulator.state.objects[path] = {"kind": "Job", "metadata": {"name": "m", "namespace": NS}}
    emulator.state.job_status["m"] = {
        "failed": 1,
        "conditions": [{"type": "Failed", "reason": "BackoffLimitExceeded"}],
    }
    emulator.state.logs["m-abcde"] = "connection refused"
    outcome = cluster.job_outcome(namespace=NS, name="m")
    assert (outcome.state, outcome.log) == ("failed", "connection refused")
    assert outcome.detail == "Failed: BackoffLimitExceeded"
    (logs,) = emulator.state.of("GET", "/pods/m-abcde/log")
    assert logs.headers["accept"] == ["text/plain, */*"]


def _cluster(emulator: KubeApiEmulator, tmp_path: Path) -> KubernetesCluster:
    return KubernetesCluster.from_kubeconfig(emulator.write_kubeconfig(tmp_path / "kubeconfig"))


def test_server_side_apply_sends_dry_run_then_apply_with_the_field_manager(
    emulator: KubeApiEmulator, tmp_path: Path
) -> None:
    cluster = _cluster(emulator, tmp_path)
    manifests = render(make_plan())
    cluster.apply(manifests=manifests, dry_run=True)
    cluster.apply(manifests=manifests, dry_run=False)
    patches = emulator.state.of("PATCH")
    assert len(patches) == 12
    for sent in patches:
        assert sent.headers["content-type"] == ["application/apply-patch+yaml"]
        assert sent.query["fieldManager"] == ["preflight"]
        assert sent.query["force"] == ["true"]
    assert all(p.query.get("dryRun") == ["All"] for p in patches[:6])
    assert all("dryRun" not in p.query for p in patches[6:])
    assert (
        patches[7].path
        == f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices/{NAME}"
    )
    assert patches[7].body == manifests[1]
    assert patches[10].path == f"/api/v1/namespaces/{NS}/configmaps/{NAME}-dashboard"


def test_access_reviews_carry_user_groups_and_resource_attributes(
    emulator: KubeApiEmulator, tmp_path: Path
) -> None:
    needs = permissions_needed(render(make_plan()))
    _cluster(emulator, tmp_path).check_access(
        identity=Identity(user="bob@corp", groups=("sre", "ml")), needs=needs
    )
    reviews = emulator.state.of("POST", "subjectaccessreviews")
    assert len(reviews) == len(needs) == 18
    first = reviews[0].body
    assert first["apiVersion"] == "authorization.k8s.io/v1"
    assert first["kind"] == "SubjectAccessReview"
    assert first["spec"]["user"] == "bob@corp"
    assert first["spec"]["groups"] == ["sre", "ml"]
    attributes = [r.body["spec"]["resourceAttributes"] for r in reviews]
    assert {
        "namespace": NS,
        "verb": "patch",
        "group": "serving.kserve.io",
        "resource": "inferenceservices",
    } in attributes
    assert {"namespace": NS, "verb": "create", "group": "", "resource": "configmaps"} in attributes


def test_apply_can_impersonate_the_approver(emulator: KubeApiEmulator, tmp_path: Path) -> None:
    cluster = _cluster(emulator, tmp_path)
    who = Identity(user="bob@corp", groups=("sre", "ml"))
    cluster.apply(manifests=render(make_plan())[:1], dry_run=True, impersonate=who)
    (sent,) = emulator.state.of("PATCH")
    assert sent.headers["impersonate-user"] == ["bob@corp"]
    assert sent.headers["impersonate-group"] == ["sre", "ml"]


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        pytest.param(403, PermissionDeniedError, "patch servingruntimes", id="forbidden"),
        pytest.param(422, InvalidInputError, "rejected", id="invalid"),
        pytest.param(404, InvalidInputError, "is KServe", id="kind-not-served"),
        pytest.param(503, BackendUnavailableError, "503", id="unavailable"),
    ],
)
def test_apply_errors_are_translated(
    emulator: KubeApiEmulator, tmp_path: Path, status: int, error: type[Exception], text: str
) -> None:
    emulator.state.apply_status = status
    with pytest.raises(error) as caught:
        _cluster(emulator, tmp_path).apply(manifests=render(make_plan()), dry_run=True)
    assert text in str(caught.value) + " ".join(getattr(caught.value, "missing", []))


def test_a_review_the_server_cannot_answer_is_could_not_check(
    emulator: KubeApiEmulator, tmp_path: Path
) -> None:
    emulator.state.review_status = 503
    needs = permissions_needed(render(make_plan()))
    with pytest.raises(CouldNotCheckError, match="503"):
        _cluster(emulator, tmp_path).check_access(identity=Identity(user="bob"), needs=needs)


def test_an_unreachable_server_is_could_not_check(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = KubeApiEmulator().write_kubeconfig(tmp_path / "kc", server=f"http://127.0.0.1:{port}")
    cluster = KubernetesCluster.from_kubeconfig(config, timeout_s=2)
    with pytest.raises(CouldNotCheckError):
        cluster.check_access(
            identity=Identity(user="bob"), needs=permissions_needed(render(make_plan()))
        )
    with pytest.raises(BackendUnavailableError):
        cluster.apply(manifests=render(make_plan()), dry_run=True)


def test_watch_reports_progress_until_ready_with_the_endpoint(
    emulator: KubeApiEmulator, tmp_path: Path
) -> None:
    emulator.state.ready_after_gets = 3
    emulator.state.pods = [
        {
            "metadata": {"name": f"{NAME}-predictor-abc"},
            "status": {
                "phase": "Pending",
                "containerStatuses": [{"state": {"waiting": {"reason": "ContainerCreating"}}}],
            },
        }
    ]
    emulator.state.events = [
        {
            "type": "Warning",
            "reason": "FailedScheduling",
            "message": "0/3 nodes have nvidia.com/gpu",
            "involvedObject": {"name": f"{NAME}-predictor-abc"},
        },
        {"type": "Warning", "reason": "Other", "message": "x", "involvedObject": {"name": "other"}},
    ]
    service = DeploymentService(
        cluster=_cluster(emulator, tmp_path),
        records=MemoryRecords(),
        audit=JsonlAuditLog(tmp_path / "audit.jsonl"),
    )
    request = service.request(make_plan())
    assert service.approve(request.id, approver=ChatIdentity(user="U-bob")).state == "applied"
    seen: list[Any] = []
    status = wait_ready(
        service, namespace=NS, name=NAME, on_progress=seen.append, poll_s=0, sleep=lambda _: None
    )
    assert [s.ready for s in seen] == [False, True]
    assert seen[0].pods == (f"{NAME}-predictor-abc: Pending (ContainerCreating)",)
    assert seen[0].events == ("FailedScheduling: 0/3 nodes have nvidia.com/gpu",)
    assert status.url == f"http://{NAME}.{NS}.example.test"
    stored = emulator.state.objects[
        f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices/{NAME}"
    ]
    assert stored["metadata"]["annotations"]["preflight.dev/approved-by"] == "U-bob"


def test_llm_inference_service_is_applied_and_watched(
    emulator: KubeApiEmulator, tmp_path: Path
) -> None:
    cluster = _cluster(emulator, tmp_path)
    manifests = render(make_plan(target=ServingApi.LLM_INFERENCE_SERVICE))
    cluster.apply(manifests=manifests, dry_run=False)
    path = f"/apis/serving.kserve.io/v1alpha2/namespaces/{NS}/llminferenceservices/{NAME}"
    assert emulator.state.objects[path]["kind"] == "LLMInferenceService"
    status = cluster.status(namespace=NS, name=NAME, kind="LLMInferenceService")
    assert status.ready
    (pods,) = [r for r in emulator.state.of("GET", "/pods")]
    assert pods.query["labelSelector"] == [
        f"app.kubernetes.io/name={NAME},app.kubernetes.io/part-of=llminferenceservice"
    ]


@pytest.mark.cluster
@pytest.mark.skipif(not os.environ.get("KUBECONFIG"), reason="no KUBECONFIG")
def test_real_cluster_answers_access_reviews() -> None:
    cluster = KubernetesCluster.from_kubeconfig(Path(os.environ["KUBECONFIG"]))
    namespace = os.environ.get("PREFLIGHT_TEST_NAMESPACE", "default")
    need = Permission(verb="create", group="", resource="configmaps", namespace=namespace)
    result = cluster.check_access(identity=Identity(user="system:anonymous"), needs=[need])
    assert not result.allowed and result.missing == (need,)


@pytest.mark.cluster
@pytest.mark.skipif(not os.environ.get("KUBECONFIG"), reason="no KUBECONFIG")
def test_real_cluster_server_side_dry_runs_core_objects() -> None:
    cluster = KubernetesCluster.from_kubeconfig(Path(os.environ["KUBECONFIG"]))
    namespace = os.environ.get("PREFLIGHT_TEST_NAMESPACE", "default")
    core = [m for m in render(make_plan()) if m["kind"] in ("ConfigMap", "PodDisruptionBudget")]
    for manifest in core:
        manifest["metadata"]["namespace"] = namespace
    result = cluster.apply(manifests=core, dry_run=True)
    assert result.dry_run and len(result.applied) == 2
