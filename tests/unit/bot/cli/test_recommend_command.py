"""``preflight recommend``: one JSON object, a table, and exit code 2 for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import recommend_command
from domain.recommendation import Recommendation


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.delenv("PREFLIGHT_LLM__URL", raising=False)
    monkeypatch.delenv("PREFLIGHT_KNOWLEDGE__INVENTORY_FILE", raising=False)
    monkeypatch.delenv("PREFLIGHT_KNOWLEDGE__PRICE_FILE", raising=False)
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Preflight (test root)."""

    recommend_command.register(root)
    return root


def _file(tmp_path: Path, content: str) -> str:
    path = tmp_path / "requirements.json"
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_json_is_one_recommendation_object(app: typer.Typer, tmp_path: Path) -> None:
    requirements = {
        "task": "chatbot",
        "models": ["meta-llama/Llama-3.1-8B"],
        "concurrent_users": 30,
    }
    path = _file(tmp_path, json.dumps(requirements))

    result = CliRunner().invoke(app, ["recommend", "--requirements", path, "--json"])

    assert result.exit_code == 0, result.output
    answer = Recommendation.model_validate(json.loads(result.stdout))
    assert answer.feasible and answer.options
    assert answer.options[0].evidence


def test_nothing_fits_is_an_answer_not_an_error(app: typer.Typer, tmp_path: Path) -> None:
    requirements = {
        "models": ["meta-llama/Llama-3.1-70B"],
        "gpu_families": ["L4"],
        "max_gpus": 1,
        "quantization": "forbidden",
    }
    path = _file(tmp_path, json.dumps(requirements))

    result = CliRunner().invoke(app, ["recommend", "--requirements", path, "--json"])

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["feasible"] is False and printed["why_nothing_fits"]


def test_table_without_json(app: typer.Typer, tmp_path: Path) -> None:
    path = _file(tmp_path, json.dumps({"task": "rag", "requests_per_second": 1.0}))

    result = CliRunner().invoke(app, ["recommend", "-r", path])

    assert result.exit_code == 0, result.output
    assert "Recommended options" in result.stdout
    assert "assumed:" in result.stdout


def test_free_text_goes_through_understanding(app: typer.Typer) -> None:
    text = "Internal chatbot on Llama 3.1 8B for about 40 users, first token within 2 seconds"

    result = CliRunner().invoke(app, ["recommend", text, "--json"])

    assert result.exit_code == 0, result.output
    answer = Recommendation.model_validate(json.loads(result.stdout))
    assert answer.options and answer.options[0].params_b == pytest.approx(8.03)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param("{not json", "not valid JSON", id="not-json"),
        pytest.param('{"gpu_families": ["H1000"]}', "closest known: H100", id="unknown-family"),
        pytest.param('{"models": ["meta-llama/Llama-9"]}', "unknown model", id="unknown-model"),
        pytest.param('{"max_gpus": -1}', "max_gpus", id="bad-field"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    app: typer.Typer, tmp_path: Path, content: str, words: str
) -> None:
    result = CliRunner().invoke(app, ["recommend", "-r", _file(tmp_path, content), "--json"])

    assert result.exit_code == 2
    assert words in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_missing_file_exits_2(app: typer.Typer, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["recommend", "-r", str(tmp_path / "absent.json")])

    assert result.exit_code == 2
    assert "cannot read" in result.stderr
