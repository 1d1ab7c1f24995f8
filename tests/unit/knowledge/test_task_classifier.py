"""Task classification by meaning: nearest labelled examples, with the shipped MiniLM."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from domain.requirements import Task
from knowledge.task_classifier import TaskClassifier, shipped_classifier, task_examples


def _axis_embed(texts: list[str]) -> Sequence[Sequence[float]]:
    """A tiny embedding at our own port: one axis per keyword, normalised."""
    keywords = ("docs", "sql", "summary")
    vectors = []
    for text in texts:
        raw = [float(word in text) for word in keywords] + [0.1]
        norm = sum(value * value for value in raw) ** 0.5
        vectors.append([value / norm for value in raw])
    return vectors


def test_the_nearest_examples_decide() -> None:
    classifier = TaskClassifier(
        _axis_embed,
        {Task.RAG: ["answers from docs"], Task.CODE_GENERATION: ["writes sql"]},
        no_task=[],
    )

    guess = classifier.classify("a bot over our docs")

    assert guess is not None
    assert guess.task is Task.RAG
    assert guess.margin > 0


def test_nothing_close_enough_is_no_task() -> None:
    classifier = TaskClassifier(
        _axis_embed, {Task.RAG: ["docs"], Task.SUMMARIZATION: ["summary"]}, no_task=[]
    )

    assert classifier.classify("what about it") is None


def test_closest_to_describing_no_task_is_no_task() -> None:
    classifier = TaskClassifier(_axis_embed, {Task.RAG: ["docs"]}, no_task=["sql summary"])

    assert classifier.classify("sql summary please") is None


def test_every_task_has_examples() -> None:
    examples = task_examples()

    assert set(examples) == set(Task)
    assert all(len(texts) >= 5 for texts in examples.values())


@pytest.mark.parametrize(
    ("text", "task"),
    [
        pytest.param(
            "A bot that reads our handbook pages first and then replies", Task.RAG, id="rag"
        ),
        pytest.param(
            "Turns a feature request into finished Python code", Task.CODE_GENERATION, id="codegen"
        ),
        pytest.param(
            "Every week a job rewrites all catalogue texts, nobody waits", Task.BATCH, id="batch"
        ),
        pytest.param(
            "Get the IBAN and amount out of each payment letter", Task.EXTRACTION, id="extract"
        ),
    ],
)
def test_descriptions_read_by_meaning_with_minilm(text: str, task: Task) -> None:
    guess = shipped_classifier().classify(text)

    assert guess is not None
    assert guess.task is task


@pytest.mark.parametrize("text", ["what about H100", "deploy option 1", "approve", "fp8?"])
def test_follow_ups_are_no_task_with_minilm(text: str) -> None:
    assert shipped_classifier().classify(text) is None


def test_bfloat16_vectors_stay_the_float32_ones() -> None:
    from knowledge.embedder import MiniLmEmbedding

    texts = [text for examples in task_examples().values() for text in examples[:2]]
    single = MiniLmEmbedding().embed(texts)
    half = MiniLmEmbedding(bfloat16=True).embed(texts)

    cosines = [
        sum(a * b for a, b in zip(x, y, strict=True)) for x, y in zip(single, half, strict=True)
    ]
    assert min(cosines) > 0.99
