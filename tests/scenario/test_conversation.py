"""Whole conversations through the real flow: one question at a time, what-ifs, deploy."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.replies import Reply, ReplyKind
from bot.conversation.thread_state import Essential, Stage
from domain.requirements import Task
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot

recommender = conversation_harness.recommender
testbot = conversation_harness.testbot


def _kinds(replies: list[Reply]) -> list[ReplyKind]:
    return [reply.kind for reply in replies]


def _recommended(bot: TestBot, text: str) -> Reply:
    replies = bot.say(text)
    assert _kinds(replies) == [ReplyKind.RECOMMENDATION], replies[0].plain_text()
    return replies[0]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "Support chatbot for about 500 employees, first token within a second", id="chat-users"
        ),
        pytest.param("RAG assistant over our wiki, 5 requests per second at peak", id="rag-rps"),
        pytest.param("Code completion for 150 developers, TTFT p95 under 300 ms", id="code"),
        pytest.param("Summarize 50k documents a day overnight", id="batch-per-day"),
    ],
)
def test_task_and_load_in_one_message_reach_a_recommendation_at_once(
    testbot: TestBot, text: str
) -> None:
    reply = _recommended(testbot, text)
    assert testbot.stage() is Stage.EXPLORING
    assert any(field.label == "Assumed" for field in reply.fields)


def test_vague_message_gets_exactly_one_question_then_each_answer_one_more(
    testbot: TestBot,
) -> None:
    first = testbot.say("We'd like to run an open model for our team")
    assert _kinds(first) == [ReplyKind.QUESTION]
    assert first[0].text.count("?") == 1
    assert testbot.asking() is Essential.TASK
    second = testbot.say(first[0].choices[0].value)
    assert _kinds(second) == [ReplyKind.QUESTION]
    assert testbot.state.requirements.task is Task.CHATBOT
    assert testbot.asking() is Essential.LOAD
    _recommended(testbot, "300")
    assert testbot.state.requirements.concurrent_users == 300


def test_task_alone_gets_a_load_question_and_then_a_recommendation(testbot: TestBot) -> None:
    assert _kinds(testbot.say("we need a chatbot for customer support")) == [ReplyKind.QUESTION]
    _recommended(testbot, "2000 concurrent users")
    assert testbot.state.turns == 2


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("asdf qwerty zxcv", id="keyboard-mash"),
        pytest.param("🙂🙂🙂", id="emoji"),
        pytest.param("?!", id="punctuation"),
        pytest.param("x" * 5000, id="very-long"),
    ],
)
def test_nonsense_gets_a_helpful_question_not_an_error(testbot: TestBot, text: str) -> None:
    replies = testbot.say(text)
    assert _kinds(replies) == [ReplyKind.QUESTION]
    assert "e.g." in replies[0].text
    assert replies[0].choices


def test_double_the_traffic_compares_before_and_after(testbot: TestBot) -> None:
    _recommended(testbot, "Internal chatbot for 1000 employees")
    replies = testbot.say("what if traffic doubles?")
    assert _kinds(replies) == [ReplyKind.COMPARISON]
    assert testbot.state.requirements.user_population == 2000
    table = replies[0].tables[0]
    assert table.columns == ("", "Before", "After")
    assert "traffic × 2" in table.title


def test_what_about_a_gpu_moves_the_recommendation_to_it(testbot: TestBot) -> None:
    _recommended(testbot, "Chatbot for 200 users, Llama 3.1 8B")
    replies = testbot.say("what about L40S")
    assert _kinds(replies) == [ReplyKind.COMPARISON]
    recommendation = testbot.state.recommendation
    assert recommendation is not None and recommendation.options
    assert {option.gpu_family for option in recommendation.options} == {"L40S"}


def test_budget_what_if_sets_the_budget(testbot: TestBot) -> None:
    _recommended(testbot, "Chatbot for 200 users")
    replies = testbot.say("budget 5k")
    assert _kinds(replies) == [ReplyKind.COMPARISON]
    assert testbot.state.requirements.budget_usd_month == 5000
    recommendation = testbot.state.recommendation
    assert recommendation is not None
    assert all((option.monthly_cost_usd or 0.0) <= 5000 for option in recommendation.options)


def test_fp8_what_if_shows_fp8_options(testbot: TestBot) -> None:
    _recommended(testbot, "Chatbot on Llama 3.1 8B for 300 users")
    assert _kinds(testbot.say("fp8?")) == [ReplyKind.COMPARISON]
    recommendation = testbot.state.recommendation
    assert recommendation is not None and recommendation.options
    assert {option.precision for option in recommendation.options} == {"fp8"}


def test_p99_instead_moves_the_slos_to_p99(testbot: TestBot) -> None:
    _recommended(testbot, "Chatbot for 300 users, first token under 800 ms")
    assert _kinds(testbot.say("p99 instead")) == [ReplyKind.COMPARISON]
    assert [target.percentile for target in testbot.state.requirements.slo] == [99]


def test_replicas_what_if_resizes_the_options(testbot: TestBot) -> None:
    _recommended(testbot, "Chatbot for 300 users")
    assert _kinds(testbot.say("3 replicas")) == [ReplyKind.COMPARISON]
    recommendation = testbot.state.recommendation
    assert recommendation is not None and recommendation.options
    assert {option.replicas for option in recommendation.options} == {3}


def test_a_message_that_changes_nothing_gets_what_if_hints(testbot: TestBot) -> None:
    _recommended(testbot, "Chatbot for 300 users")
    replies = testbot.say("hmm interesting")
    assert _kinds(replies) == [ReplyKind.QUESTION]
    assert "double the traffic" in [choice.value for choice in replies[0].choices]


def test_duplicate_event_is_processed_once(testbot: TestBot) -> None:
    first = testbot.say("Chatbot for 300 users", event_id="Ev-1")
    again = testbot.say("Chatbot for 300 users", event_id="Ev-1")
    assert (_kinds(first), again, testbot.state.turns) == ([ReplyKind.RECOMMENDATION], [], 1)


def test_chart_is_a_png_of_the_options(testbot: TestBot) -> None:
    _recommended(testbot, "Chatbot for 300 users")
    (reply,) = testbot.say("chart")
    assert reply.images[0].png.startswith(b"\x89PNG")


def test_deploy_needs_confirmation_and_someone_else_to_approve(
    testbot: TestBot, tmp_path: Path
) -> None:
    _recommended(testbot, "Chatbot for 300 users")
    assert _kinds(testbot.say("deploy option 1")) == [ReplyKind.CONFIRMATION]
    assert testbot.stage() is Stage.CONFIRMING
    (requested,) = testbot.say("confirm")
    assert requested.kind is ReplyKind.STATUS
    assert testbot.stage() is Stage.AWAITING_APPROVAL
    approve = next(choice.value for choice in requested.choices if choice.label == "Approve")
    refused = testbot.say(approve)
    assert _kinds(refused) == [ReplyKind.ERROR]
    assert "own" in refused[0].text
    assert testbot.stage() is Stage.AWAITING_APPROVAL
    deployed = testbot.say(approve, user="bob")
    assert testbot.stage() is Stage.DEPLOYED, deployed[0].plain_text()
    assert list((tmp_path / "manifests").rglob("inferenceservice-*.yaml"))
    rolled = testbot.say("rollback", user="bob")
    assert testbot.stage() is Stage.ROLLED_BACK, rolled[0].plain_text()
    assert not list((tmp_path / "manifests").rglob("inferenceservice-*.yaml"))


def test_cancel_before_approval_returns_to_exploring(testbot: TestBot) -> None:
    _recommended(testbot, "Chatbot for 300 users")
    testbot.say("deploy option 1")
    testbot.say("cancel")
    assert (testbot.state.stage, testbot.state.chosen) == (Stage.EXPLORING, None)


def test_deploying_an_option_that_is_not_there_says_so(testbot: TestBot) -> None:
    _recommended(testbot, "Chatbot for 300 users")
    (reply,) = testbot.say("deploy option 9")
    assert "no option 9" in reply.text
    assert testbot.stage() is Stage.EXPLORING


def test_start_over_forgets_the_thread(testbot: TestBot) -> None:
    _recommended(testbot, "Chatbot for 300 users")
    assert _kinds(testbot.say("start over")) == [ReplyKind.QUESTION]
    assert testbot.state.requirements.task is None
    assert testbot.state.recommendation is None
