"""Every case of shared/eval/scenarios.jsonl, from its ``text`` through the whole flow.

One message per case in a fresh thread; the first recommendation shown must keep the case's
``must`` rules (checked by the same rule checker as the engine's own scenario test). Nothing is
special-cased: the text goes through understanding, the flow and the engine as a user's would.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.conversation.replies import ReplyKind
from tests.conftest import EVAL_DIR
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot
from tests.scenario.test_scenarios_recommend import _check

recommender = conversation_harness.recommender
testbot = conversation_harness.testbot


def _cases() -> list[Any]:
    path = EVAL_DIR / "scenarios.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [pytest.param(case, id=case["id"]) for case in cases]


@pytest.mark.parametrize("case", _cases())
def test_scenario_text_through_the_flow(case: dict[str, Any], testbot: TestBot) -> None:
    replies = testbot.say(case["text"])
    assert [reply.kind for reply in replies] == [ReplyKind.RECOMMENDATION], replies[0].plain_text()
    recommendation = testbot.state.recommendation
    assert recommendation is not None
    failures = [
        why for rule in case["must"] if (why := _check(rule, recommendation, case["requirements"]))
    ]
    assert not failures, failures
