"""The deploy commands end to end, as a user runs them: render, export, apply, rollback, audit.

Each test runs in its own folder with settings from the environment, as the CLI reads them; the
API case drives the real kubernetes client against the local Kubernetes API emulation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from bot.cli import deploy_commands
from tests.unit.deploy.factories import make_option
from tests.unit.deploy.kube_api import KubeApiEmulator

NAME = "llama-3-1-8b-h100"


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()
    deploy_commands.register(root)
    return root


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    for key in (
        "PREFLIGHT_STATE__REDIS_URL",
        "PREFLIGHT_AUDIT__REDIS_URL",
        "PREFLIGHT_CLUSTER__MODE",
    ):
        monkeypatch.delenv(key, raising=False)
    # Llama is gated on the Hub: the storage-initializer needs the token secret (pre-flight rule
    # gated-model-credentials); LLMInferenceService needs KServe 0.18 (rule kserve-version).
    monkeypatch.setenv("PREFLIGHT_CLUSTER__HF_TOKEN_SECRET", "hf-token")
    monkeypatch.setenv("PREFLIGHT_CLUSTER__KSERVE_VERSION", "0.18")
    (tmp_path / "option.json").write_text(make_option().model_dump_json())
    (tmp_path / "bigger.json").write_text(make_option(replicas=4).model_dump_json())
    yield tmp_path


def run(app: typer.Typer, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_render_writes_validated_manifests_and_their_hash(app: typer.Typer, workdir: Path) -> None:
    code, out = run(
        app,
        "deploy",
        "render",
        "--option",
        "option.json",
        "--out",
        "rendered",
        "--autoscaler",
        "hpa",
    )
    assert code == 0, out
    documents = list(yaml.safe_load_all((workdir / "rendered" / "manifests.yaml").read_text()))
    assert [d["kind"] for d in documents][:3] == [
        "ServingRuntime",
        "InferenceService",
        "HorizontalPodAutoscaler",
    ]
    assert "sha256 " in out


def test_render_the_llm_d_target(app: typer.Typer, workdir: Path) -> None:
    code, out = run(
        app,
        "deploy",
        "render",
        "--option",
        "option.json",
        "--out",
        "llmd",
        "--target",
        "llminferenceservice",
    )
    assert code == 0, out
    documents = list(yaml.safe_load_all((workdir / "llmd" / "manifests.yaml").read_text()))
    assert documents[0]["kind"] == "LLMInferenceService"
    assert documents[0]["apiVersion"] == "serving.kserve.io/v1alpha2"


def test_export_writes_a_kustomization(app: typer.Typer, workdir: Path) -> None:
    code, out = run(app, "deploy", "export", "--option", "option.json", "--dir", "gitops")
    assert code == 0, out
    kustomization = yaml.safe_load(
        (workdir / "gitops/llm-serving" / NAME / "kustomization.yaml").read_text()
    )
    assert kustomization["namespace"] == "llm-serving"
    assert f"inferenceservice-{NAME}.yaml" in kustomization["resources"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--namespace", "Prod"], "namespace 'Prod' must be a lower-case", id="capitals"
        ),
        pytest.param(["--namespace", "kube-system"], "not allowed", id="not-allowed"),
        pytest.param(["--name", "my model"], "name 'my model'", id="name-with-space"),
    ],
)
def test_bad_input_exits_2_with_a_clear_reason(
    app: typer.Typer, workdir: Path, args: list[str], message: str
) -> None:
    code, out = run(app, "deploy", "render", "--option", "option.json", "--out", "x", *args)
    assert code == 2
    assert message in " ".join(out.split())
    assert not (workdir / "x").exists()


def test_gpu_count_beyond_inventory_is_refused(
    app: typer.Typer, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFLIGHT_CLUSTER__GPU_INVENTORY", '{"H100": 3}')
    code, out = run(
        app,
        "deploy",
        "apply",
        "--option",
        "bigger.json",
        "--requester",
        "U-alice",
        "--approver",
        "U-bob",
    )
    assert code == 2
    assert "needs 4 × H100-SXM-80GB but the inventory has 3" in " ".join(out.split())


def test_apply_rollback_and_audit_in_the_default_folder_cluster(
    app: typer.Typer, workdir: Path
) -> None:
    common = ["--requester", "U-alice", "--approver", "U-bob"]
    assert (
        run(
            app,
            "deploy",
            "apply",
            "--option",
            "option.json",
            "--requester",
            "U-alice",
            "--approver",
            "U-alice",
        )[0]
        == 2
    )
    code, out = run(app, "deploy", "apply", "--option", "option.json", *common)
    assert code == 0 and "applied:" in out, out
    code, out = run(app, "deploy", "apply", "--option", "option.json", *common)
    assert code == 0 and "duplicate:" in out
    assert run(app, "deploy", "apply", "--option", "bigger.json", *common)[0] == 0
    isvc = workdir / ".preflight/manifests/llm-serving" / NAME / f"inferenceservice-{NAME}.yaml"
    assert yaml.safe_load(isvc.read_text())["spec"]["predictor"]["maxReplicas"] == 8
    code, out = run(app, "deploy", "rollback", "--name", NAME, "--namespace", "llm-serving")
    assert code == 0 and "revision 0" in out
    assert yaml.safe_load(isvc.read_text())["spec"]["predictor"]["maxReplicas"] == 4
    code, out = run(app, "audit", "list", "--json")
    actions = [json.loads(line)["action"] for line in out.splitlines()]
    assert actions.count("apply") == 2 and actions.count("duplicate") == 1
    assert actions[0:2] == ["request", "deny"] and actions[-1] == "rollback"


def test_apply_dry_run_applies_nothing(app: typer.Typer, workdir: Path) -> None:
    code, out = run(
        app,
        "deploy",
        "apply",
        "--option",
        "option.json",
        "--requester",
        "U-alice",
        "--approver",
        "U-bob",
        "--dry-run",
    )
    assert code == 0 and "dry run passed: 6 objects" in out, out
    assert not (workdir / ".preflight/manifests").exists()
    code, out = run(app, "audit", "list")
    assert "dry-run" in out and "apply " not in out


def test_apply_against_the_api_waits_for_the_endpoint(
    app: typer.Typer, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with KubeApiEmulator() as emulator:
        config = emulator.write_kubeconfig(workdir / "kubeconfig")
        monkeypatch.setenv("PREFLIGHT_CLUSTER__MODE", "api")
        monkeypatch.setenv("PREFLIGHT_CLUSTER__KUBECONFIG", str(config))
        monkeypatch.setenv("PREFLIGHT_CLUSTER__IDENTITIES", '{"U-bob": "bob@corp"}')
        code, out = run(
            app,
            "deploy",
            "apply",
            "--option",
            "option.json",
            "--requester",
            "U-alice",
            "--approver",
            "U-bob",
            "--wait",
            "5",
        )
        assert code == 0, out
        assert f"endpoint http://{NAME}.llm-serving.example.test" in out
        users = {r.body["spec"]["user"] for r in emulator.state.of("POST", "subjectaccessreviews")}
        assert users == {"bob@corp"}
        patches = len(emulator.state.of("PATCH"))
        emulator.state.review_status = 503
        code, out = run(
            app,
            "deploy",
            "apply",
            "--option",
            "bigger.json",
            "--requester",
            "U-alice",
            "--approver",
            "U-bob",
        )
        assert code == 3 and "access review answered 503" in " ".join(out.split())
        assert len(emulator.state.of("PATCH")) == patches


def test_tenant_commands_act_in_its_namespace_with_its_approvers_and_audit(
    app: typer.Typer, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenants = {
        "slack:TALPHA": {"namespaces": ["team-a"], "approvers": ["user:U-bob"]},
        "slack:TBETA": {"namespaces": ["team-b"]},
    }
    monkeypatch.setenv("PREFLIGHT_TENANTS", json.dumps(tenants))
    alpha = ["--tenant", "slack:TALPHA"]
    common = ["--option", "option.json", "--requester", "U-alice", *alpha]
    code, out = run(app, "deploy", "apply", *common, "--approver", "U-carol")
    assert code == 2 and "not an approver" in out, out
    code, out = run(app, "deploy", "apply", *common, "--approver", "U-bob")
    assert code == 0 and "applied: team-a/" in out, out
    assert (workdir / ".preflight/manifests/team-a" / NAME).is_dir()
    code, out = run(
        app, "deploy", "rollback", "--name", NAME, "-n", "team-a", "--tenant", "slack:TBETA"
    )
    assert code == 2 and (workdir / ".preflight/manifests/team-a" / NAME).is_dir(), out
    assert "nothing deployed by Preflight is in place" in out  # beta's records hold none of it
    code, out = run(app, "audit", "list", "--json", *alpha)
    actions = [json.loads(line)["action"] for line in out.splitlines()]
    assert "apply" in actions and "deny" in actions
    assert run(app, "audit", "list", "--json", "--tenant", "slack:TBETA")[1].count("apply") == 0
    assert run(app, "audit", "list", "--json")[1] == ""
    code, out = run(app, "audit", "list", "--tenant", "slack:TNOBODY")
    assert code == 2 and "no tenant 'slack:TNOBODY'" in out
