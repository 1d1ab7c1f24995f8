"""Texts embedded for records and patterns, and the lexical part of the search score."""

from __future__ import annotations

import pytest

from knowledge.kb import (
    blended_score,
    configuration_metadata,
    lexical_overlap,
    pattern_text,
    record_embedding_text,
    record_text,
    terms,
)
from knowledge.patterns import load_patterns
from knowledge.records import load_records


def test_record_texts_describe_the_configuration_without_load() -> None:
    record = next(r for r in load_records() if r.load_type.value == "concurrency")
    text = record_text(record)
    assert record.gpu in text and record.precision in text
    assert str(record.load_value) not in text
    assert "tokens" not in record_embedding_text(record)


def test_configuration_metadata_lists_every_record() -> None:
    records = load_records()[:3]
    meta = configuration_metadata(records)
    assert meta["record_ids"] == sorted(r.id for r in records)
    assert meta["n_records"] == 3 and meta["kind"] == "benchmark"


def test_pattern_text_spells_out_the_size_and_task() -> None:
    pattern = next(p for p in load_patterns() if p.id == "chat-405b-h200-tp8-fp8")
    text = pattern_text(pattern, 405.85)
    assert "405 billion parameters" in text
    assert "chatbot" in text


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        pytest.param("llama on MI300X", "Llama 70B on MI300X", 1.0, id="all"),
        pytest.param("llama on MI300X", "Llama 70B on H100", 0.25, id="digits-weigh-3"),
        pytest.param("the and of", "anything", 0.0, id="stopwords-only"),
    ],
)
def test_lexical_overlap(query: str, text: str, expected: float) -> None:
    assert lexical_overlap(terms(query), text) == pytest.approx(expected)


def test_blended_score_adds_a_bounded_bonus() -> None:
    assert blended_score(0.5, terms("h100"), "runs on H100") == pytest.approx(0.8)
    assert blended_score(0.5, terms("h100"), "runs on A100") == pytest.approx(0.5)
