"""The knowledge-base retrieval port the engine is handed, and what retrieval changes.

A :class:`Retriever` returns the deployment patterns most similar to a request and the closest
measured runs (:class:`knowledge.retrieval.KnowledgeRetriever` is the implementation over the
knowledge base). :func:`shape` lets the most similar pattern of the request's task fill the
prompt-size assumption when the team stated none (saying so, with the pattern's id), and
:func:`citations` turns what was found into evidence for the card. This module never searches.
"""

from __future__ import annotations

from typing import Protocol

from domain.recommendation import Evidence
from domain.requirements import Requirements
from knowledge.retrieval import MIN_PATTERN_SCORE, Retrieved, prompt_tokens


class Retriever(Protocol):
    """Knowledge-base search for one request."""

    def __call__(self, requirements: Requirements) -> Retrieved:
        """Similar patterns and closest measured runs for ``requirements``."""
        ...


def shape(requirements: Requirements, retrieved: Retrieved) -> tuple[Requirements, list[str]]:
    """Fill the prompt size from the most similar pattern of the task, when none was stated.

    Args:
        requirements: What the team stated.
        retrieved: What the knowledge base found.

    Returns:
        The requirements to size for and the assumptions taken (in words, with pattern ids).
    """
    if requirements.input_tokens is not None or requirements.task is None:
        return requirements, []
    for found in retrieved.patterns:
        pattern = found.pattern
        stated = prompt_tokens(pattern)
        if pattern.task != requirements.task or found.score < MIN_PATTERN_SCORE or not stated:
            continue
        tokens, phrase = stated
        note = (
            f"Prompts of ~{tokens} tokens assumed from the most similar deployment in the "
            f"knowledge base, '{pattern.title}' [{pattern.id}], whose scale reads "
            f"'{phrase}' (low end taken); state input_tokens to change it."
        )
        return requirements.model_copy(update={"input_tokens": tokens}), [note]
    return requirements, []


def citations(retrieved: Retrieved) -> list[Evidence]:
    """Evidence lines for what the knowledge base found: patterns, then measured runs.

    Args:
        retrieved: What was found.

    Returns:
        One evidence item per pattern and per measured run, with ids and sources.
    """
    from recommend.explain import describe_record

    lines = [
        Evidence(
            kind="pattern",
            summary=(f"Similar deployment: {p.pattern.title} — {p.pattern.scale} [{p.pattern.id}]"),
            pattern_id=p.pattern.id,
        )
        for p in retrieved.patterns
    ]
    lines += [
        Evidence(
            kind="measurement",
            summary=f"Closest measured run: {describe_record(run.record)}",
            record_id=run.record.id,
            source_id=run.record.provenance.source_id,
            source_path=run.record.provenance.source_path,
        )
        for run in retrieved.measured
    ]
    return lines
