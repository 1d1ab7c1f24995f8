"""The vocabulary: tasks, GPU names, percentiles, priority and license wording."""

from __future__ import annotations

import pytest

from bot.understanding import lexicon


@pytest.mark.parametrize(
    ("text", "task"),
    [
        pytest.param("internal rag chatbot over hr policies", "rag", id="rag-beats-chat"),
        pytest.param(
            "real-time translation for 120 support agents", "translation", id="agents-are-people"
        ),
        pytest.param("a slack bot that writes python scripts", "code_generation", id="codegen"),
        pytest.param("tab completion in the editor", "code_completion", id="completion"),
        pytest.param("nightly job to summarize calls", "summarization", id="task-beats-batch"),
        pytest.param("offline scoring of reviews", "batch", id="batch"),
        pytest.param("an agent that calls our ticketing apis", "agentic", id="agent"),
        pytest.param("the ocr text becomes json", "extraction", id="weak-extraction"),
        pytest.param("faq bot for the intranet", "chatbot", id="faq"),
        pytest.param("we have some gpus", None, id="none"),
    ],
)
def test_find_task(text: str, task: str | None) -> None:
    assert lexicon.find_task(text) == task


def test_find_gpus_marks_negations_and_sizes() -> None:
    mentions = lexicon.find_gpus("no h100s or a100-80gb, but l40s and 8xh200 are fine")

    assert [(m.family.value, m.negated) for m in mentions] == [
        ("H100", True),
        ("A100", True),
        ("L40S", False),
        ("H200", False),
    ]


def test_a_number_is_not_a_gpu() -> None:
    assert lexicon.find_gpus("a 100 users, t 4, l 40") == []


@pytest.mark.parametrize(
    ("text", "percentiles"),
    [
        pytest.param("p90 ttft", [90], id="p90"),
        pytest.param("99th percentile", [99], id="ordinal"),
        pytest.param("99% of the time", [99], id="share"),
        pytest.param("median and on average", [50, 50], id="words"),
    ],
)
def test_find_percentiles(text: str, percentiles: list[int]) -> None:
    assert [value for _, value in lexicon.find_percentiles(text)] == percentiles


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        pytest.param("accuracy first, cost second", "accuracy", id="first"),
        pytest.param("prefer fast over cheap", "latency", id="prefer"),
        pytest.param("cost matters most; latency is secondary", "cost", id="matters-most"),
        pytest.param("a balance of cost and speed", "balanced", id="balanced"),
        pytest.param("streaming speed matters for our chat", None, id="not-ranked"),
        pytest.param("first token within 400 ms", None, id="first-token"),
    ],
)
def test_find_priority(text: str, priority: str | None) -> None:
    assert lexicon.find_priority(text) == priority


@pytest.mark.parametrize(
    ("text", "stance"),
    [
        pytest.param("apache-2.0 or mit only", "permissive", id="apache-mit"),
        pytest.param("permissive licenses", "permissive", id="permissive"),
        pytest.param("open-weights models are fine", "open-weights", id="open-weights"),
        pytest.param("we run apache kafka", None, id="kafka"),
    ],
)
def test_find_license(text: str, stance: str | None) -> None:
    assert lexicon.find_license(text) == stance
