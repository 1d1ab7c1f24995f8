"""Every misread of issue 14's first paragraph, through ``preflight understand``.

Each message was read wrong or silently dropped before; each now comes back right, or is named
under "Not understood" with the closest known names.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import understand_command


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.delenv("PREFLIGHT_LLM__URL", raising=False)
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """Preflight (test root)."""

    understand_command.register(root)
    return root


def _understand(app: typer.Typer, text: str) -> tuple[dict[str, Any], str]:
    result = CliRunner().invoke(app, ["understand", text, "--json"])
    assert result.exit_code == 0, result.output
    printed: dict[str, Any] = json.loads(result.stdout)
    return {
        name: value for name, value in printed.items() if value not in (None, [])
    }, result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "RAG with 64k token prompts and 2000 token outputs",
            {"task": "rag", "input_tokens": 64000, "output_tokens": 2000},
            id="token-prompts-and-outputs",
        ),
        pytest.param(
            "Extraction: 1500 token inputs, 200 token JSON outputs",
            {"task": "extraction", "input_tokens": 1500, "output_tokens": 200},
            id="token-inputs-json-outputs",
        ),
        pytest.param(
            "The model must be open-license", {"license": "open-weights"}, id="open-license"
        ),
        pytest.param("int4 AWQ weights please", {"quantization": "allowed"}, id="int4-awq"),
        pytest.param("fp8 only", {"quantization": "8bit"}, id="fp8-only"),
        pytest.param(
            "The nightly batch must finish in 6 hours",
            {"task": "batch", "window_hours": 6.0},
            id="finish-in-6-hours",
        ),
        pytest.param(
            "we have 8 H100s and 4 A100s",
            {"gpu_families": ["H100", "A100"], "max_gpus": 12},
            id="two-gpu-counts",
        ),
        pytest.param(
            "Chatbot für 2000 Mitarbeiter",
            {"task": "chatbot", "user_population": 2000},
            id="mitarbeiter",
        ),
        pytest.param(
            "Ein Chatbot, die Antwort muss unter 1 Sekunde beginnen",
            {"task": "chatbot", "slo": [{"metric": "ttft", "ms": 1000.0, "percentile": 95}]},
            id="unter-1-sekunde",
        ),
    ],
)
def test_misreads_now_read_right(app: typer.Typer, text: str, expected: dict[str, Any]) -> None:
    stated, notes = _understand(app, text)

    assert stated == expected
    assert notes == ""


def test_an_unknown_gpu_is_no_gpu_count_and_is_named(app: typer.Typer) -> None:
    stated, notes = _understand(app, "Can we run it on RTX 9090 GPUs?")

    assert "max_gpus" not in stated
    assert "I don't know the GPU 'RTX 9090' (closest: RTX 4090, RTX PRO 6000)" in notes


def test_an_unknown_model_is_named_with_the_closest_models(app: typer.Typer) -> None:
    stated, notes = _understand(app, "We want llama 4 70b for our chatbot")

    assert stated == {"task": "chatbot"}
    assert "'Llama 4 70B' is not a model I know: Llama-3.3-70B or Llama-4-Scout" in notes


def test_plain_answer_lists_what_was_not_understood(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["understand", "Chatbot on RTX 9090s", "--no-llm"])

    assert result.exit_code == 0, result.output
    assert 'task: "chatbot"' in result.stdout
    assert "Not understood: I don't know the GPU 'RTX 9090'" in result.stdout


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "Nächtlicher Batch mit 40.000 Dokumenten, muss innerhalb von 6 Stunden fertig sein, "
            "nur Modelle mit offener Lizenz, höchstens 4 H100 80GB",
            id="german",
        ),
        pytest.param(
            "Traitement par lots de 40 000 documents chaque nuit, doit finir en 6 heures, "
            "licence ouverte, au maximum 4 H100 80GB",
            id="french",
        ),
        pytest.param(
            "Lote nocturno de 40.000 documentos, debe terminar en 6 horas, licencia abierta, "
            "como máximo 4 H100 80GB",
            id="spanish",
        ),
    ],
)
def test_other_languages_read_as_their_english_version(app: typer.Typer, text: str) -> None:
    english, _ = _understand(
        app,
        "Nightly batch of 40,000 documents, must finish within 6 hours, open-license models "
        "only, at most 4 H100 80GB",
    )

    stated, notes = _understand(app, text)

    assert stated == english
    assert {"window_hours", "license", "requests_per_day", "gpus", "max_gpus"} <= set(stated)
    assert notes == ""
