"""Tests of recommend.memo and of answers remembered across recommendations."""

from __future__ import annotations

import dataclasses

import pytest

from domain.requirements import Priority, Requirements
from recommend.context import RecommendContext
from recommend.engine import recommend
from recommend.memo import Memo


def test_memo_computes_once_per_key_and_drops_the_least_recent() -> None:
    memo = Memo(budget=2)
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


def test_memo_keeps_within_its_weight_budget() -> None:
    memo = Memo(budget=10)
    for number in range(5):
        memo.get(number, lambda: "small", weight=3)
    assert memo.weight <= 10
    assert len(memo) == 3
    memo.get("heavy", lambda: [1] * 8, weight=len)  # weight told from the answer
    assert memo.weight == 8
    assert len(memo) == 1
    memo.get("too heavy", lambda: "x", weight=11)  # heavier than the budget: not kept
    assert memo.peek("too heavy") is None
    assert memo.peek("heavy") == [1] * 8


def test_put_and_peek_respect_owners() -> None:
    memo = Memo()
    owner = {"spec": 1}
    memo.put("k", 42, owners=(owner,), weight=2)
    assert memo.peek("k", owners=(owner,)) == 42
    assert memo.peek("k", owners=({"spec": 2},)) is None
    assert memo.weight == 2


def test_memo_answers_only_for_the_same_owners() -> None:
    memo = Memo()
    first, altered = {"spec": 1}, {"spec": 2}
    assert memo.get("k", lambda: "one", owners=(first,)) == "one"
    assert memo.get("k", lambda: "again", owners=({"spec": 1},)) == "one"  # equal owners
    assert memo.get("k", lambda: "two", owners=(altered,)) == "two"


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
