"""Tests of recommend.memo and of answers remembered across recommendations."""

from __future__ import annotations

import dataclasses

import pytest

from domain.requirements import Priority, Requirements
from recommend.context import RecommendContext
from recommend.engine import recommend
from recommend.memo import Memo


def test_memo_computes_once_per_key_and_drops_the_least_recent() -> None:
    memo = Memo(entries=2)
    calls: list[str] = []

    def compute(value: str) -> str:
        calls.append(value)
        return value.upper()

    assert memo.get("a", lambda: compute("a")) == "A"
    assert memo.get("a", lambda: compute("a")) == "A"
    memo.get("b", lambda: compute("b"))
    memo.get("a", lambda: compute("a"))  # "a" is now the most recent
    memo.get("c", lambda: compute("c"))  # drops "b"
    memo.get("b", lambda: compute("b"))
    assert calls == ["a", "b", "c", "b"]
    assert len(memo) == 2


def test_get_many_computes_only_the_missing_in_one_call() -> None:
    memo = Memo(entries=3)
    asked: list[list[int]] = []

    def compute(positions: list[int]) -> list[str]:
        asked.append(positions)
        return [f"answer {i}" for i in positions]

    memo.get("b", lambda: "kept b")
    answers = memo.get_many(["a", "b", "c"], lambda missing: compute(missing))
    assert answers == ["answer 0", "kept b", "answer 2"]
    assert asked == [[0, 2]]
    assert memo.get_many(["c", "a"], compute) == ["answer 2", "answer 0"]
    assert asked == [[0, 2]]  # nothing computed the second time
    memo.get_many(["d", "e"], compute)  # two more: only the three most recent stay
    assert len(memo) == 3
    assert memo.get("b", lambda: "again") == "again"  # "b" was the least recent


def test_a_copied_context_starts_with_an_empty_memo(context: RecommendContext) -> None:
    copy = dataclasses.replace(context, inventory=None)
    assert copy.memo is not context.memo
    assert len(copy.memo) == 0


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"task": "chatbot", "concurrent_users": 300}, id="chatbot-full-catalog"),
        pytest.param(
            {"task": "rag", "requests_per_second": 4.0, "priority": Priority.COST},
            id="rag-cost",
        ),
        pytest.param(
            {"task": "code_completion", "models": ["meta-llama/Llama-3.1-8B"], "max_gpus": 2},
            id="named-model-ceiling",
        ),
    ],
)
def test_remembered_answers_change_no_recommendation(
    context: RecommendContext, data: dict[str, object]
) -> None:
    requirements = Requirements.model_validate(data)
    fresh = dataclasses.replace(context)  # same knowledge, empty memo
    cold = recommend(requirements, context=fresh)
    warm = recommend(requirements, context=fresh)
    assert len(fresh.memo) > 0
    assert warm == cold
    louder = requirements.model_copy(update={"requests_per_second": 9.0})
    assert recommend(louder, context=fresh) == recommend(louder, context=dataclasses.replace(fresh))
