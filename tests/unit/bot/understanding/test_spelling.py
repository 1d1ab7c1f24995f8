"""Typos and shorthand of requirement words are corrected; real words are left alone."""

from __future__ import annotations

import pytest

from bot.understanding.spelling import correct, correct_word


@pytest.mark.parametrize(
    ("typo", "word"),
    [
        pytest.param("latnecy", "latency", id="swap"),
        pytest.param("thruput", "throughput", id="shorthand"),
        pytest.param("prmpt", "prompt", id="no-vowels"),
        pytest.param("tok", "tokens", id="tok"),
        pytest.param("employes", "employees", id="missing-letter"),
        pytest.param("firts", "first", id="five-letter-swap"),
        pytest.param("budgt", "budget", id="five-letter-missing"),
        pytest.param("summarizaton", "summarization", id="long"),
        pytest.param("concurent", "concurrent", id="double-letter"),
    ],
)
def test_typos_are_corrected(typo: str, word: str) -> None:
    assert correct_word(typo) == word


@pytest.mark.parametrize(
    "word",
    [
        "taken",
        "stuff",
        "chart",
        "streams",
        "customer",
        "headline",
        "qwen",
        "llama",
        "gemma",
        "mouth",
    ],
)
def test_real_words_and_names_stay(word: str) -> None:
    assert correct_word(word) == word


def test_words_with_digits_are_never_touched() -> None:
    assert correct("h100 l40s p95 4k qwen3") == "h100 l40s p95 4k qwen3"
