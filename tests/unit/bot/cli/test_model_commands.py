"""``preflight recommend`` and ``preflight models`` with a model outside the catalog, read by the
real Hub client from a Hub-compatible server on 127.0.0.1 that the settings name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from tests.unit.knowledge.hub_server import HubStandIn, hub_online, hub_stand_in, repo_from_configs

__all__ = ["hub_online"]  # the fixture, used by name

pytestmark = pytest.mark.usefixtures("hub_online")
NEW = "XiaomiMiMo/MiMo-7B-Base"
FINE_TUNE = "acme/llama-ft-8b"  # a company's Llama fine-tune: gated, and no gated org's name


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[HubStandIn]:
    repos = {
        NEW: repo_from_configs(NEW, license="mit"),
        "meta-llama/Llama-3.1-8B": repo_from_configs("meta-llama/Llama-3.1-8B", gated="manual"),
        FINE_TUNE: repo_from_configs("meta-llama/Llama-3.1-8B", gated="manual"),
    }
    with hub_stand_in(HubStandIn(repos=repos)) as stand_in:
        for name in ("LLM__URL", "KNOWLEDGE__INVENTORY_FILE", "KNOWLEDGE__PRICE_FILE"):
            monkeypatch.delenv(f"PREFLIGHT_{name}", raising=False)
        monkeypatch.delenv("PREFLIGHT_KNOWLEDGE__HF_TOKEN", raising=False)
        monkeypatch.setenv("PREFLIGHT_KNOWLEDGE__HF_ENDPOINT", stand_in.url)
        monkeypatch.setenv("PREFLIGHT_DATA_DIR", str(tmp_path))
        yield stand_in


def test_recommend_sizes_a_model_the_catalog_lacks(hub: HubStandIn) -> None:
    message = f"a support chatbot for 50 concurrent users on H100s with {NEW}, TTFT under 2 s"

    result = CliRunner().invoke(app, ["recommend", message, "--json", "--limit", "2"])

    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["options"] and {o["model"] for o in answer["options"]} == {NEW}
    assert answer["options"][0]["params_b"] == 7.62
    sha = hub.repos[NEW].sha[:12]
    assert answer["options"][0]["reasons"][0] == (
        "not in the curated catalog: no published quality score; architecture read from "
        f"{NEW}@{sha}"
    )
    assert f"GET /api/models/{NEW}" in hub.requests


def test_models_show_lists_each_figure_with_its_source(hub: HubStandIn) -> None:
    result = CliRunner().invoke(app, ["models", "show", NEW, "--json"])

    assert result.exit_code == 0, result.output
    spec = json.loads(result.stdout)
    assert (spec["layers"], spec["kv_heads"], spec["head_dim"]) == (36, 8, 128)
    sources = {item["field"]: item["source"] for item in spec["origin"]["fields"]}
    assert sources["kv_heads"] == "config.json num_key_value_heads"
    assert "mimo.py" in sources["params_b"]


def test_models_are_cached_listed_and_refreshed(hub: HubStandIn) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["models", "show", NEW]).exit_code == 0
    hub.requests.clear()

    listed = runner.invoke(app, ["models", "list"])
    refreshed = runner.invoke(app, ["models", "refresh"])

    assert listed.exit_code == 0 and NEW in listed.stdout
    assert refreshed.exit_code == 0 and f"refreshed {NEW}@" in refreshed.stdout
    assert f"GET /api/models/{NEW}" in hub.requests


@pytest.mark.parametrize(
    ("model", "says"),
    [
        pytest.param("acme/no-such-model", "no model 'acme/no-such-model'", id="404"),
        pytest.param("meta-llama/Llama-3.1-8B", "PREFLIGHT_KNOWLEDGE__HF_TOKEN", id="gated"),
    ],
)
def test_a_model_that_cannot_be_read_exits_2_with_what_to_do(
    hub: HubStandIn, model: str, says: str
) -> None:
    result = CliRunner().invoke(app, ["models", "show", model])

    assert result.exit_code == 2
    assert says in " ".join(result.output.split())


def test_simulate_run_predicts_a_model_the_catalog_lacks(hub: HubStandIn) -> None:
    args = ["simulate", "run", "--model", NEW, "--gpu", "H100", "--input-tokens", "512"]
    args += ["--output-tokens", "128", "--rate", "1", "--analytical", "--json"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    assert f"GET /api/models/{NEW}" in hub.requests
    weights_gib = json.loads(result.stdout)["memory"]["weights_gib"]
    assert weights_gib == pytest.approx(7.62e9 * 2 / 2**30, rel=0.01)  # bf16 weights of 7.62 B


def test_a_model_gated_on_the_registry_renders_only_with_a_token_for_the_downloader(
    hub: HubStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PREFLIGHT_KNOWLEDGE__HF_TOKEN", hub.token)
    monkeypatch.delenv("PREFLIGHT_CLUSTER__HF_TOKEN_SECRET", raising=False)
    runner = CliRunner()
    message = f"a support chatbot for 20 concurrent users on H100s with {FINE_TUNE}"
    answer = runner.invoke(app, ["recommend", message, "--json", "--limit", "1"])
    assert answer.exit_code == 0, answer.output
    option = json.loads(answer.stdout)["options"][0]
    assert option["model"] == FINE_TUNE
    assert any("a Hub token for this gated model" in reason for reason in option["reasons"])
    chosen = tmp_path / "option.json"
    chosen.write_text(json.dumps(option))
    render = ["deploy", "render", "--option", str(chosen), "--out"]

    refused = runner.invoke(app, [*render, str(tmp_path / "refused")])
    monkeypatch.setenv("PREFLIGHT_CLUSTER__HF_TOKEN_SECRET", "hf")
    rendered = runner.invoke(app, [*render, str(tmp_path / "rendered")])

    assert refused.exit_code == 2
    assert "[gated-model-credentials]" in " ".join(refused.output.split())
    assert rendered.exit_code == 0, rendered.output
    manifests = (tmp_path / "rendered" / "manifests.yaml").read_text()
    assert "serving.kserve.io/storageSecretName: hf" in manifests
