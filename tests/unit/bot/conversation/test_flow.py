"""The flow's state machine with real understanding, real deployment (dry-run folder) and state
stores, and a recommender stand-in at the flow's own port (so each transition is checked apart
from the engine's numbers; tests/scenario runs the real engine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.deployer import ServiceDeployer
from bot.adapters.memory_store import InMemoryStateStore
from bot.conversation.flow import MAX_POSTED, ConversationFlow, Incoming
from bot.conversation.ports import FlowDependencies
from bot.conversation.replies import Reply, ReplyKind, reply_key
from bot.conversation.thread_state import ConversationState, Essential, Pin, Stage
from bot.deploy_wiring import deployment_service
from bot.settings import AuditSettings, Settings
from bot.understanding.reader import TextUnderstander
from domain.errors import BackendUnavailableError
from domain.recommendation import Recommendation
from domain.requirements import Requirements
from tests.unit.bot.factories import make_flow, make_option, make_recommendation

USD_PER_USER = 2.0


class LoadPricedRecommender:
    """One option whose cost grows with the users; nothing fits over the budget."""

    def __init__(self) -> None:
        self.calls: list[tuple[Requirements, Pin]] = []

    def __call__(self, requirements: Requirements, *, pin: Pin, thread: str = "") -> Recommendation:
        self.calls.append((requirements, pin))
        cost = USD_PER_USER * (requirements.concurrent_users or 100)
        if requirements.budget_usd_month and cost > requirements.budget_usd_month:
            return Recommendation(feasible=False, why_nothing_fits="the budget is too small")
        return make_recommendation(
            make_option(monthly_cost_usd=cost, precision=pin.precision or "bf16"),
            make_option(monthly_cost_usd=cost * 2, gpu="H100-SXM-80GB", gpu_family="H100"),
        )


class DownStore(InMemoryStateStore):
    """A state store whose backend has gone away."""

    def load(self, *, thread: str) -> tuple[ConversationState, int]:
        raise BackendUnavailableError("Redis", "connection refused")


@pytest.fixture
def recommender() -> LoadPricedRecommender:
    return LoadPricedRecommender()


@pytest.fixture
def flow(tmp_path: Path, recommender: LoadPricedRecommender) -> ConversationFlow:
    return make_flow(tmp_path, recommender, chart=lambda recommendation, **_: b"\x89PNG fake")


def say(flow: ConversationFlow, text: str, user: str = "ann") -> list[Reply]:
    return flow.handle(Incoming(thread="t", text=text, user=user))


def kinds(replies: list[Reply]) -> list[ReplyKind]:
    return [reply.kind for reply in replies]


def test_task_and_load_recommend_in_one_turn(
    flow: ConversationFlow, recommender: LoadPricedRecommender
) -> None:
    assert kinds(say(flow, "a chatbot for 300 users at once")) == [ReplyKind.RECOMMENDATION]
    assert recommender.calls[0][0].concurrent_users == 300
    assert flow.state(thread="t").stage is Stage.EXPLORING


@pytest.mark.parametrize(
    ("answers", "asking"),
    [
        pytest.param(["hello there"], Essential.TASK, id="vague"),
        pytest.param(["hello there", "rag"], Essential.LOAD, id="task-button"),
        pytest.param(["500 users"], Essential.TASK, id="load-first"),
    ],
)
def test_one_question_at_a_time(
    flow: ConversationFlow, answers: list[str], asking: Essential
) -> None:
    for answer in answers:
        replies = say(flow, answer)
        assert kinds(replies) == [ReplyKind.QUESTION]
    assert flow.state(thread="t").asking is asking


def test_a_bare_number_answers_the_load_question(flow: ConversationFlow) -> None:
    say(flow, "we need a summarization service")
    assert kinds(say(flow, "5k")) == [ReplyKind.RECOMMENDATION]
    assert flow.state(thread="t").requirements.concurrent_users == 5000


def test_what_if_re_runs_and_compares(
    flow: ConversationFlow, recommender: LoadPricedRecommender
) -> None:
    say(flow, "a chatbot for 300 users at once")
    (reply,) = say(flow, "double the traffic")
    rows = {row[0]: row[1:] for row in reply.tables[0].rows}
    assert reply.kind is ReplyKind.COMPARISON
    assert rows["Per month"] == ("$600", "$1,200")
    assert recommender.calls[-1][0].concurrent_users == 600


def test_what_if_into_nothing_fits_and_back(flow: ConversationFlow) -> None:
    say(flow, "a chatbot for 300 users at once")
    (tight,) = say(flow, "budget 100")
    assert "nothing fits: the budget is too small" in tight.text
    (again,) = say(flow, "budget 5k")
    assert "$600/month" in again.text


def test_precision_pin_reaches_the_recommender(
    flow: ConversationFlow, recommender: LoadPricedRecommender
) -> None:
    say(flow, "a chatbot for 300 users at once")
    say(flow, "fp8?")
    assert recommender.calls[-1][1] == Pin(precision="fp8")
    assert flow.state(thread="t").pin == Pin(precision="fp8")


def test_deploy_path_confirm_approve_rollback(flow: ConversationFlow, tmp_path: Path) -> None:
    say(flow, "a chatbot for 300 users at once")
    assert kinds(say(flow, "deploy option 2")) == [ReplyKind.CONFIRMATION]
    assert flow.state(thread="t").chosen == 1
    (requested,) = say(flow, "yes")
    assert requested.kind is ReplyKind.STATUS
    assert "other than ann" in requested.plain_text()
    (prompt,) = say(flow, "approve", user="ben")
    assert flow.state(thread="t").stage is Stage.AWAITING_APPROVAL
    typed = prompt.plain_text().split("`")[1]
    assert typed.startswith("approve req-") and len(typed.split()[-1]) == 12
    (self_approved,) = say(flow, typed)
    assert self_approved.kind is ReplyKind.ERROR
    (approved,) = say(flow, typed, user="ben")
    assert flow.state(thread="t").stage is Stage.DEPLOYED, approved.plain_text()
    assert list((tmp_path / "out").rglob("*.yaml"))
    assert kinds(say(flow, "status")) == [ReplyKind.STATUS]
    say(flow, "rollback", user="ben")
    assert flow.state(thread="t").stage is Stage.ROLLED_BACK
    assert not list((tmp_path / "out").rglob("inferenceservice-*.yaml"))


def test_cards_with_buttons_are_kept_for_redrawing_the_latest_few(flow: ConversationFlow) -> None:
    (card,) = say(flow, "a chatbot for 300 users at once")
    assert flow.posted(thread="t", key=reply_key(card)) == card
    (chart,) = say(flow, "chart")  # no button that settles it: nothing to redraw
    assert flow.posted(thread="t", key=reply_key(chart)) is None
    latest = [say(flow, "double the traffic")[0] for _ in range(MAX_POSTED)]
    assert flow.posted(thread="t", key=reply_key(card)) is None
    kept = flow.state(thread="t").posted
    assert [c.key for c in kept] == [reply_key(reply) for reply in latest]


def test_waiting_for_approval_reminds_instead_of_exploring(flow: ConversationFlow) -> None:
    say(flow, "a chatbot for 300 users at once")
    say(flow, "deploy")
    say(flow, "confirm")
    (reminder,) = say(flow, "double the traffic")
    assert "awaits an approver" in reminder.text
    assert flow.state(thread="t").stage is Stage.AWAITING_APPROVAL


def test_help_and_chart_do_not_change_the_stage(flow: ConversationFlow) -> None:
    say(flow, "a chatbot for 300 users at once")
    assert "what-ifs" in say(flow, "help")[0].text
    assert say(flow, "show chart")[0].images[0].png.startswith(b"\x89PNG")
    assert flow.state(thread="t").stage is Stage.EXPLORING


def test_chart_before_any_recommendation_says_so(flow: ConversationFlow) -> None:
    assert say(flow, "chart")[0].text == "There are no options to chart yet."


def test_backend_outage_is_a_clear_reply(tmp_path: Path) -> None:
    config = Settings(data_dir=tmp_path, audit=AuditSettings(path=tmp_path / "audit.jsonl"))
    deps = FlowDependencies(
        understander=TextUnderstander(),
        recommender=LoadPricedRecommender(),
        deployer=ServiceDeployer(deployment_service(config), settings=config),
    )
    broken = ConversationFlow(store=DownStore(), deps=deps)
    (reply,) = broken.handle(Incoming(thread="t", text="hi"))
    assert reply.kind is ReplyKind.ERROR
    assert "Redis is not answering" in reply.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(st.text(max_size=300), min_size=1, max_size=4))
def test_no_message_crashes_the_flow(flow: ConversationFlow, texts: list[str]) -> None:
    for text in texts:
        replies = flow.handle(Incoming(thread="fuzz", text=text, user="ann"))
        assert all(reply.text for reply in replies)
