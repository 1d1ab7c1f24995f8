"""Task classification by meaning: a message against labelled examples of each task.

The examples live in ``knowledge/data/task_examples.yaml`` (descriptions of uses as teams write
them, mostly without the task's name). A message is embedded with the MiniLM model Preflight
ships (:mod:`knowledge.embedder`) and each task scores the mean cosine similarity of its
``NEAREST`` closest examples; the best task wins when it scores at least ``MIN_SCORE``. The
examples are embedded once per process, by the same model in bfloat16 where the CPU computes in
it natively (a third less CPU time per message; see :class:`~knowledge.embedder.MiniLmEmbedding`).
Understanding asks only when its rules are unsure (no task word, or only a generic one such as
"bot"), so most messages never load the model.

This module reads its packaged examples and embeds; it knows nothing about rules or chat.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import yaml

from domain.errors import ConfigurationError
from domain.requirements import Task
from knowledge.catalog import YAML_LOADER, data_path

Embed = Callable[[list[str]], Sequence[Sequence[float]]]
"""Texts → unit-length vectors (one per text)."""

NO_TASK = "none"
"""The key of the examples that describe no task."""
NEAREST = 3
MIN_SCORE = 0.35
"""Below this best score a message describes no task the examples know. Set from the tuning
sets (descriptions of a task in ``tests/data/eval/dev.jsonl`` and ``intents.jsonl`` score
0.39–0.53) and follow-up chat messages ("what about H100", "deploy option 1", "approve", "how was
this computed?": 0.12–0.23)."""


@dataclass(frozen=True)
class TaskGuess:
    """The task a message reads as, with its score and the runner-up's.

    Attributes:
        task: The best task.
        score: Its score (mean cosine similarity of its nearest examples).
        margin: Its score minus the next task's.
    """

    task: Task
    score: float
    margin: float


@cache
def no_task_examples() -> tuple[str, ...]:
    """Packaged examples of messages that describe no task (facts, context, follow-ups).

    Returns:
        The examples (empty when the file has none).
    """
    document = yaml.load(
        data_path("task_examples.yaml").read_text(encoding="utf-8"), Loader=YAML_LOADER
    )
    return tuple(str(text) for text in (document or {}).get(NO_TASK, ()))


@cache
def task_examples() -> dict[Task, tuple[str, ...]]:
    """The packaged labelled examples.

    Returns:
        Task → example descriptions.

    Raises:
        ConfigurationError: When the file names an unknown task or a task has no examples.
    """
    path = data_path("task_examples.yaml")
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    examples: dict[Task, tuple[str, ...]] = {}
    for name, texts in document.items():
        if name == NO_TASK:
            continue
        try:
            examples[Task(name)] = tuple(str(text) for text in texts)
        except ValueError as exc:
            raise ConfigurationError(f"{path}: unknown task {name!r}") from exc
    missing = [task.value for task in Task if not examples.get(task)]
    if missing:
        raise ConfigurationError(f"{path}: no examples for {', '.join(missing)}")
    return examples


def _minilm() -> Embed:
    from knowledge.embedder import MiniLmEmbedding

    return MiniLmEmbedding(bfloat16=True).embed


class TaskClassifier:
    """Nearest labelled examples per task, by embedding similarity.

    Args:
        embed: The embedding function; the shipped MiniLM (loaded on first use) when None.
        examples: Task → examples; the packaged ones when None.
    """

    def __init__(
        self,
        embed: Embed | None = None,
        examples: Mapping[Task, Sequence[str]] | None = None,
        no_task: Sequence[str] | None = None,
    ) -> None:
        self._embed = embed
        self._examples = examples
        self._no_task = no_task
        self._matrix: np.ndarray | None = None
        self._labels: list[Task | None] = []

    def _embedder(self) -> Embed:
        if self._embed is None:
            self._embed = _minilm()
        return self._embed

    def _vectors(self) -> np.ndarray:
        if self._matrix is None:
            examples = task_examples() if self._examples is None else self._examples
            no_task = no_task_examples() if self._no_task is None else self._no_task
            texts = [text for task in examples for text in examples[task]] + list(no_task)
            labels: list[Task | None] = [task for task in examples for _ in examples[task]]
            self._labels = labels + [None] * len(no_task)
            self._matrix = np.asarray(self._embedder()(texts), dtype=np.float32)
        return self._matrix

    def scores(self, text: str) -> dict[Task | None, float]:
        """Every task's score for ``text``, and (under None) that of describing no task.

        Args:
            text: The message (any case).

        Returns:
            Task (or None) → mean cosine similarity of its ``NEAREST`` closest examples.
        """
        matrix = self._vectors()
        query = np.asarray(self._embedder()([text])[0], dtype=np.float32)
        similarity = matrix @ query
        per_task: dict[Task | None, list[float]] = {}
        for label, value in zip(self._labels, similarity.tolist(), strict=True):
            per_task.setdefault(label, []).append(value)
        return {
            task: float(np.mean(sorted(values, reverse=True)[:NEAREST]))
            for task, values in per_task.items()
        }

    def classify(self, text: str) -> TaskGuess | None:
        """The task ``text`` describes, when one scores at least ``MIN_SCORE`` and above the
        examples of messages that describe no task.

        Args:
            text: The message.

        Returns:
            The best task with its score and margin, or None.
        """
        ranked = sorted(self.scores(text).items(), key=lambda item: item[1], reverse=True)
        (task, best), runner_up = ranked[0], ranked[1][1] if len(ranked) > 1 else 0.0
        if task is None or best < MIN_SCORE:
            return None
        return TaskGuess(task, best, best - runner_up)


@cache
def shipped_classifier() -> TaskClassifier:
    """The classifier over the packaged examples and the shipped MiniLM (one per process).

    Returns:
        The classifier; the model loads on its first question.
    """
    return TaskClassifier()
