"""The optional LLM path of understanding against a local OpenAI-compatible stand-in server.

Real HTTP on loopback, the real client and the real rules: the LLM fills only what the rules
left empty, a rule's value always wins, and any failure falls back to the rules alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.cli.app import app
from bot.settings import LlmSettings
from bot.understanding.llm_client import LlmClient
from bot.understanding.reader import TextUnderstander
from domain.requirements import Task
from tests.scenario.llm_standin import LlmStandIn
from tests.scenario.loopback import serving


@pytest.fixture
def standin() -> Iterator[LlmStandIn]:
    server = LlmStandIn()
    with serving(server):
        yield server


def _understander(standin: LlmStandIn) -> TextUnderstander:
    settings = LlmSettings(url=standin.url, model="standin", api_key=SecretStr("sk-x"), timeout_s=5)
    return TextUnderstander(extractor=LlmClient(settings))


def test_the_llm_fills_what_the_rules_left_empty(standin: LlmStandIn) -> None:
    standin.content = json.dumps({"task": "rag", "user_population": 999, "input_tokens": 3000})

    understood = _understander(standin).message("Helper for our 400 staff on A100s")

    assert understood.requirements.user_population == 400  # the rules read it: they win
    assert understood.requirements.input_tokens == 3000
    assert understood.suggested >= {"input_tokens"}
    assert "user_population" not in understood.suggested
    assert standin.requests[0]["path"].endswith("/chat/completions")
    assert "Helper for our 400 staff" in json.dumps(standin.requests[0]["messages"])


@pytest.mark.parametrize(
    ("content", "status"),
    [
        pytest.param("this is not json", 200, id="not-json"),
        pytest.param(json.dumps({"task": "dance"}), 200, id="invalid-field"),
        pytest.param("{}", 500, id="server-error"),
    ],
)
def test_a_failing_llm_falls_back_to_the_rules(
    standin: LlmStandIn, content: str, status: int
) -> None:
    standin.content, standin.status = content, status

    understood = _understander(standin).message("Summarize 5k tickets a day, cheapest option")

    assert understood.requirements.task is Task.SUMMARIZATION
    assert understood.requirements.requests_per_day == 5000
    assert understood.suggested == frozenset()


def test_preflight_understand_uses_the_configured_endpoint(
    standin: LlmStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFLIGHT_LLM__URL", standin.url)
    standin.content = json.dumps({"output_tokens": 250})

    result = CliRunner().invoke(app, ["understand", "Chatbot for 300 users"])

    assert result.exit_code == 0, result.output
    assert "output_tokens: 250 (from the LLM)" in result.stdout
    assert "user_population: 300" in result.stdout
