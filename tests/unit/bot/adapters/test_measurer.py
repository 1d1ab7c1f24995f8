"""Measuring a deployment on the Kubernetes API (the real client against the local emulation).

The deployment's InferenceService is Ready with a URL; "measure" applies GuideLLM's Job there
(server-side apply to batch/v1), the Job runs until the emulation marks it succeeded with its
pod's log (the GuideLLM report after the marker), and the outcome is ingested — the real
``preflight ingest --observed`` subprocess — with the cluster's name in its provenance.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.measurer import ServiceMeasurer
from bot.deploy_wiring import deployment_service
from bot.settings import AuditSettings, ClusterSettings, Settings
from deploy.approval import DeploymentRequest
from deploy.k8s_cluster import KubernetesCluster
from deploy.measure_job import REPORT_MARKER
from domain.recommendation import PlannedLoad
from tests.unit.deploy.factories import make_option
from tests.unit.deploy.kube_api import KubeApiEmulator

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "ingest" / "guidellm_report.json"
NS, NAME, RID = "llm-serving", "chat-8b", "req-0123456789abcdef"


def test_a_measurement_on_the_api_runs_the_job_reads_its_log_and_records_the_run(
    tmp_path: Path,
) -> None:
    with KubeApiEmulator() as emulator:
        settings = Settings(
            data_dir=tmp_path,
            cluster=ClusterSettings(mode="api", name="prod-east"),
            audit=AuditSettings(path=tmp_path / "audit.jsonl"),
        )
        cluster = KubernetesCluster.from_kubeconfig(emulator.write_kubeconfig(tmp_path / "kc"))
        service = deployment_service(settings, cluster=cluster)
        request = DeploymentRequest(
            id=RID,
            thread_id="slack:C1:1.0",
            namespace=NS,
            name=NAME,
            requester="alice",
            manifest_hash=hashlib.sha256(b"m").hexdigest(),
            option_hash="o",
            created_at=datetime(2026, 12, 5, tzinfo=UTC),
        )
        service.records.put(f"request:{RID}", request.model_dump_json())
        isvc = f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices/{NAME}"
        emulator.state.objects[isvc] = {
            "kind": "InferenceService",
            "metadata": {"name": NAME, "namespace": NS},
        }
        measurer = ServiceMeasurer(service, settings=settings)
        option = make_option(replicas=1)
        planned = PlannedLoad(input_tokens=512, output_tokens=128, peak_rps=4.0)

        started = measurer.start(
            request_id=RID, actor="alice", thread="slack:C1:1.0", option=option, planned=planned
        )
        assert started.state == "started", started.message
        (applied,) = emulator.state.of("PATCH", f"/apis/batch/v1/namespaces/{NS}/jobs/")
        script = applied.body["spec"]["template"]["spec"]["containers"][0]["args"][0]
        assert f"target=http://{NAME}.{NS}.example.test" in script  # the ISVC's own URL
        assert "prompt_tokens=512,output_tokens=128" in script
        assert measurer.outcome(request_id=RID, option=option).state == "running"

        report = json.loads(FIXTURE.read_text())
        report["benchmarks"] = report["benchmarks"][:1]
        emulator.state.job_status[f"{NAME}-measure"] = {"succeeded": 1}
        emulator.state.logs[f"{NAME}-measure-q8x2z"] = f"{REPORT_MARKER}\n{json.dumps(report)}"
        measured = measurer.outcome(request_id=RID, option=option)
    assert measured.state == "measured", measured.message
    assert measured.record is not None and measured.comparisons
    provenance = measured.record.provenance.source_path
    assert provenance.startswith(f"observed: prod-east/{NS}/{NAME}/")
    assert measured.record.gpu == option.gpu and measured.record.model == option.model
