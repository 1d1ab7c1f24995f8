"""Task defaults: every task has token shapes, SLOs and a named source."""

from __future__ import annotations

from domain.requirements import SloMetric, Task
from knowledge.task_defaults import task_defaults


def test_every_task_has_defaults_with_a_source() -> None:
    defaults = task_defaults()
    assert set(defaults) == set(Task)
    for task, entry in defaults.items():
        assert entry.task is task
        assert entry.slo
        assert len(entry.source) > 40


def test_chat_is_interactive_and_batch_is_not() -> None:
    defaults = task_defaults()
    assert defaults[Task.CHATBOT].slo[0].metric is SloMetric.TTFT
    assert defaults[Task.BATCH].slo[0].metric is SloMetric.E2E
    assert defaults[Task.RAG].input_tokens > defaults[Task.CHATBOT].input_tokens
