"""Terse key/value specs are written out as the sentences they mean."""

from __future__ import annotations

import pytest

from bot.understanding.key_values import rewrite


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param(
            "ttft_p90=2s; in=4k; gpu=l40s",
            ["ttft p90 under 2s", "4k tokens in", "l40s gpu"],
            id="semicolons",
        ),
        pytest.param(
            "task=agentic in=8k out=600", ["agentic", "8k tokens in", "600 tokens out"], id="spaces"
        ),
        pytest.param("users=250 concurrent", ["250 concurrent users"], id="concurrent-users"),
        pytest.param(
            "gpus<=4, rps=20", ["at most 4 gpus", "20 requests per second"], id="operator"
        ),
        pytest.param(
            "rpd: 20k, budget: 3000/month",
            ["20k requests per day", "budget $3000/month"],
            id="colons",
        ),
    ],
)
def test_known_keys_become_words(text: str, words: list[str]) -> None:
    rewritten = rewrite(text)

    for phrase in words:
        assert phrase in rewritten


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "budget: $40k/month. use case: customer service chatbot in 6 languages.",
            id="prose-colons",
        ),
        pytest.param("colour=blue; mood=calm", id="unknown-keys"),
    ],
)
def test_prose_and_unknown_keys_stay_as_written(text: str) -> None:
    assert rewrite(text) == text
