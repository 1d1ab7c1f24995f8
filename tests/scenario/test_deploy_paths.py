"""One plan builder for every entry point: a chat deploy honours the cluster settings, and it
renders exactly what ``preflight deploy render`` renders for the same option and settings.

Settings come from the environment (``PREFLIGHT_CLUSTER__…``) as in production; the chat side is
the real flow over the real engine and deployment service with a dry-run cluster folder, the CLI
side the real Typer command.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.recommender import EngineRecommender
from bot.cli import deploy_commands
from bot.conversation.thread_state import Stage
from bot.deploy_wiring import make_records
from bot.settings import load_settings
from bot.wiring import build_flow
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot

recommender = conversation_harness.recommender
ASK = "Chatbot for 300 users, we have H100 GPUs"
# Metadata that names who asked and from where: the only thing a chat and a CLI render differ in.
WHO = ("preflight.dev/thread", "preflight.dev/thread-id", "preflight.dev/requester")


@pytest.fixture
def cluster_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for key in ("PREFLIGHT_STATE__REDIS_URL", "PREFLIGHT_AUDIT__REDIS_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PREFLIGHT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PREFLIGHT_AUDIT__PATH", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("PREFLIGHT_CLUSTER__OUTPUT_DIR", str(tmp_path / "manifests"))
    monkeypatch.setenv("PREFLIGHT_CLUSTER__IMAGE", "vllm/vllm-openai:v0.12.0")
    monkeypatch.setenv("PREFLIGHT_CLUSTER__AUTOSCALER", "hpa")
    monkeypatch.setenv("PREFLIGHT_CLUSTER__HF_TOKEN_SECRET", "hf")
    monkeypatch.setenv("PREFLIGHT_CLUSTER__MONITORING_LABELS", '{"release": "kube-prom"}')
    return tmp_path


def _chat_request(recommender: EngineRecommender) -> tuple[TestBot, list[dict[str, Any]]]:
    """A chat deploy of option 1 up to the approval card; the manifests it requested."""
    settings = load_settings()
    flow = build_flow(
        settings, context=recommender.context, store=InMemoryStateStore(), recommender=recommender
    )
    bot = TestBot(flow, thread=f"slack:C1:{uuid.uuid4().hex[:8]}", user="alice")
    bot.say(ASK)
    bot.say("deploy option 1")
    (card,) = bot.say("confirm")
    assert bot.stage() is Stage.AWAITING_APPROVAL, card.plain_text()
    pending = bot.state.deployment
    assert pending is not None
    stored = make_records(settings).get(f"manifests:{pending.request_id}")
    assert stored is not None
    manifests: list[dict[str, Any]] = json.loads(stored)
    return bot, manifests


def _kinds(manifests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["kind"]: m for m in manifests}


def test_a_chat_deploy_renders_what_the_cluster_settings_say(
    cluster_env: Path, recommender: EngineRecommender
) -> None:
    _, manifests = _chat_request(recommender)
    kinds = _kinds(manifests)
    runtime = kinds["ServingRuntime"]["spec"]["containers"][0]
    assert runtime["image"] == "vllm/vllm-openai:v0.12.0"
    assert "HorizontalPodAutoscaler" in kinds and "ScaledObject" not in kinds
    isvc = kinds["InferenceService"]
    assert isvc["metadata"]["annotations"]["serving.kserve.io/storageSecretName"] == "hf"
    env = isvc["spec"]["predictor"]["model"]["env"]
    assert env[0]["valueFrom"]["secretKeyRef"] == {"name": "hf", "key": "HF_TOKEN"}
    assert kinds["PodMonitor"]["metadata"]["labels"]["release"] == "kube-prom"


def _anonymous(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(json.dumps(manifests))
    for manifest in out:
        for part in ("labels", "annotations"):
            for key in WHO:
                manifest["metadata"].get(part, {}).pop(key, None)
    return out


def test_chat_and_cli_render_the_same_manifests_for_the_same_option_and_settings(
    cluster_env: Path, recommender: EngineRecommender
) -> None:
    bot, chat = _chat_request(recommender)
    recommendation, chosen = bot.state.recommendation, bot.state.chosen
    assert recommendation is not None and chosen is not None
    option = recommendation.options[chosen]
    (cluster_env / "option.json").write_text(option.model_dump_json())
    app = typer.Typer()
    deploy_commands.register(app)
    name = _kinds(chat)["InferenceService"]["metadata"]["name"]  # chat names are per thread
    result = CliRunner().invoke(
        app, ["deploy", "render", "--option", "option.json", "--out", "cli", "--name", name]
    )
    assert result.exit_code == 0, result.output
    cli = list(yaml.safe_load_all((cluster_env / "cli" / "manifests.yaml").read_text()))
    assert [m["kind"] for m in cli] == [m["kind"] for m in chat]
    assert _anonymous(cli) == _anonymous(chat)


def test_the_cli_says_which_flag_it_did_not_pass_and_what_it_could_not_check(
    cluster_env: Path,
) -> None:
    from tests.unit.deploy.factories import make_option

    gpt_oss = make_option(model="openai/gpt-oss-120b", precision="fp8", quantization="fp8")
    private = make_option(model="acme/private-7b")
    (cluster_env / "gpt-oss.json").write_text(gpt_oss.model_dump_json())
    (cluster_env / "private.json").write_text(private.model_dump_json())
    app = typer.Typer()
    deploy_commands.register(app)
    runner = CliRunner()
    first = runner.invoke(app, ["deploy", "render", "--option", "gpt-oss.json", "--out", "a"])
    assert first.exit_code == 0, first.output
    assert "note: --quantization=fp8 is not passed" in first.output
    second = runner.invoke(app, ["deploy", "render", "--option", "private.json", "--out", "b"])
    assert second.exit_code == 0, second.output
    assert "not checked [tp-divides-heads]" in second.output
    rendered = (cluster_env / "a" / "manifests.yaml").read_text()
    assert "--quantization" not in rendered
