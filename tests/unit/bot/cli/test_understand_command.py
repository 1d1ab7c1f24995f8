"""``preflight understand``: JSON in the evaluation schema, and a plain-words answer."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import understand_command
from domain.requirements import Requirements


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.delenv("PREFLIGHT_LLM__URL", raising=False)
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Preflight (test root)."""

    understand_command.register(root)
    return root


def test_json_has_exactly_the_schema_fields(app: typer.Typer) -> None:
    text = "Chatbot for ~5k employees on A100s, answers start within half a second, $12k a month"

    result = CliRunner().invoke(app, ["understand", text, "--json"])

    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert list(printed) == list(Requirements.model_fields)
    assert printed["user_population"] == 5000
    assert printed["slo"] == [{"metric": "ttft", "ms": 500.0, "percentile": 95}]
    assert printed["budget_usd_month"] == 12000.0
    assert printed["models"] == []
    assert printed["max_gpus"] is None


def test_plain_output_lists_what_was_understood(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["understand", "RAG bot, 20 RPS", "--no-llm"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ['task: "rag"', "requests_per_second: 20.0"]


def test_nonsense_gets_a_helpful_question(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["understand", "purple elephants"])

    assert result.exit_code == 0
    assert "could not find a requirement" in result.output
    assert "Try e.g." in result.output


def test_an_unreachable_llm_endpoint_falls_back_to_the_rules(
    app: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFLIGHT_LLM__URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("PREFLIGHT_LLM__TIMEOUT_S", "2")

    result = CliRunner().invoke(app, ["understand", "RAG bot, 20 RPS"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ['task: "rag"', "requests_per_second: 20.0"]
