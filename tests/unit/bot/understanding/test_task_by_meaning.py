"""The task: rules that name it win, a classifier reads descriptions, and guesses never replace."""

from __future__ import annotations

from dataclasses import dataclass

from bot.understanding.reader import merge, understand_message
from domain.requirements import Requirements, Task
from knowledge.task_classifier import TaskGuess


@dataclass
class _Fixed:
    """A task reader at our own port that always answers the same and counts its calls."""

    guess: TaskGuess | None
    calls: int = 0

    def classify(self, text: str) -> TaskGuess | None:
        self.calls += 1
        return self.guess


def test_a_named_task_never_asks_the_classifier() -> None:
    reader = _Fixed(TaskGuess(Task.BATCH, 0.9, 0.5))

    understood = understand_message("Summarize our tickets", classifier=reader)

    assert understood.requirements.task is Task.SUMMARIZATION
    assert reader.calls == 0


def test_a_description_gets_the_classifiers_task_marked_as_guessed() -> None:
    reader = _Fixed(TaskGuess(Task.EXTRACTION, 0.5, 0.1))

    understood = understand_message("Pull the totals out of receipts", classifier=reader)

    assert understood.requirements.task is Task.EXTRACTION
    assert understood.guessed == frozenset({"task"})


def test_a_generic_hint_is_replaced_only_by_a_clear_guess() -> None:
    clear = _Fixed(TaskGuess(Task.RAG, 0.5, 0.06))
    close = _Fixed(TaskGuess(Task.RAG, 0.42, 0.01))
    text = "A bot that checks our wiki pages before it replies"

    assert understand_message(text, classifier=clear).requirements.task is Task.RAG
    assert understand_message(text, classifier=close).requirements.task is Task.CHATBOT


def test_no_guess_leaves_the_task_empty() -> None:
    understood = understand_message("we have 8 H100s", classifier=_Fixed(None))

    assert understood.requirements.task is None


def test_a_guessed_task_fills_but_never_replaces() -> None:
    understood = understand_message(
        "translate our pages", classifier=_Fixed(TaskGuess(Task.RAG, 0.5, 0.1))
    )
    guessed = understand_message(
        "they read pages all day", classifier=_Fixed(TaskGuess(Task.RAG, 0.5, 0.1))
    )

    assert merge(Requirements(task=Task.CHATBOT), guessed).task is Task.CHATBOT
    assert merge(Requirements(), guessed).task is Task.RAG
    assert merge(Requirements(task=Task.CHATBOT), understood).task is Task.TRANSLATION


def test_a_message_of_only_numbers_and_requirement_words_never_asks() -> None:
    reader = _Fixed(TaskGuess(Task.RAG, 0.9, 0.5))

    understood = understand_message("assistant for 4200 staff, TTFT under 0.9 s", classifier=reader)

    assert understood.requirements.task is Task.CHATBOT
    assert reader.calls == 0
