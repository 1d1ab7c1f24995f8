"""Deploy buttons and typed "deploy option N" mean the option the card showed, never another.

Real understanding, deploy service (dry-run folder) and state store; the recommender is a
stand-in at the flow's port whose options a test changes between turns, as a what-if, a recheck
on new data or a re-ranking would.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.bound_options import option_id
from bot.conversation.flow import ConversationFlow, Incoming
from bot.conversation.replies import Reply, ReplyKind
from bot.conversation.thread_state import Pin, Stage
from domain.recommendation import Recommendation, RecommendedOption
from domain.requirements import Requirements
from tests.unit.bot.factories import make_flow, make_option, make_recommendation

L4 = make_option()
A100 = make_option(
    gpu="A100-SXM-80GB", gpu_family="A100", monthly_cost_usd=2400.0, replicas=1, total_gpus=1
)
H100 = make_option(
    gpu="H100-SXM-80GB", gpu_family="H100", monthly_cost_usd=3100.0, replicas=1, total_gpus=1
)


class SettableRecommender:
    """Answers with whatever options the test set last."""

    def __init__(self) -> None:
        self.options: list[RecommendedOption] = [L4, A100]

    def __call__(self, requirements: Requirements, *, pin: Pin, thread: str = "") -> Recommendation:
        return make_recommendation(*self.options)


@pytest.fixture
def recommender() -> SettableRecommender:
    return SettableRecommender()


@pytest.fixture
def flow(tmp_path: Path, recommender: SettableRecommender) -> ConversationFlow:
    return make_flow(tmp_path, recommender)


def say(flow: ConversationFlow, text: str, user: str = "ann") -> list[Reply]:
    return flow.handle(Incoming(thread="t", text=text, user=user))


def button(reply: Reply, label: str) -> str:
    return next(choice.value for choice in reply.choices if choice.label == label)


def test_each_deploy_button_carries_the_id_of_the_option_it_shows(flow: ConversationFlow) -> None:
    (card,) = say(flow, "a chatbot for 300 users at once")
    assert button(card, "Deploy option 1") == f"deploy option 1 {option_id(L4)}"
    assert button(card, "Deploy option 2") == f"deploy option 2 {option_id(A100)}"
    (review,) = say(flow, button(card, "Deploy option 2"))
    assert review.kind is ReplyKind.CONFIRMATION and "A100" in review.text
    assert button(review, "Request deployment") == f"confirm {option_id(A100)}"
    say(flow, button(review, "Request deployment"))
    state = flow.state(thread="t")
    assert state.stage is Stage.AWAITING_APPROVAL
    assert state.deployment is not None and state.deployment.option_index == 1


def test_an_old_cards_deploy_refuses_an_option_no_longer_offered(
    flow: ConversationFlow, recommender: SettableRecommender
) -> None:
    (old,) = say(flow, "a chatbot for 300 users at once")
    recommender.options = [H100, A100]
    say(flow, "double the traffic")
    (refusal,) = say(flow, button(old, "Deploy option 1"))
    assert refusal.kind is ReplyKind.ERROR
    assert refusal.text.startswith("This card is out of date: option 1 is now Llama-3.1-8B")
    assert "H100" in refusal.text and "Nothing was deployed" in refusal.text
    assert button(refusal, "Deploy option 1") == f"deploy option 1 {option_id(H100)}"
    state = flow.state(thread="t")
    assert (state.stage, state.chosen) == (Stage.EXPLORING, None)


def test_an_old_cards_option_ranked_elsewhere_now_is_the_one_reviewed(
    flow: ConversationFlow, recommender: SettableRecommender
) -> None:
    (old,) = say(flow, "a chatbot for 300 users at once")
    recommender.options = [H100, A100, L4]
    say(flow, "double the traffic")
    (review,) = say(flow, button(old, "Deploy option 1"))
    assert review.kind is ReplyKind.CONFIRMATION
    assert review.text.startswith("Deploy option 3: ") and "L4" in review.text
    assert "its option 1 is this same option, ranked 3 now" in review.reasons[0]
    assert flow.state(thread="t").chosen == 2
    say(flow, button(review, "Request deployment"))
    deployment = flow.state(thread="t").deployment
    assert deployment is not None and deployment.option_index == 2


def test_typed_deploy_means_the_last_card_and_is_refused_when_its_option_went(
    flow: ConversationFlow, recommender: SettableRecommender
) -> None:
    say(flow, "a chatbot for 300 users at once")
    recommender.options = [H100, A100]
    say(flow, "recheck")  # a new answer, but no card numbered its options
    (refusal,) = say(flow, "deploy option 1")
    assert refusal.kind is ReplyKind.ERROR
    assert refusal.text.startswith("The options changed since the last card that listed them")
    assert "say “deploy option 1” again" in refusal.text
    (review,) = say(flow, "deploy option 1")
    assert review.kind is ReplyKind.CONFIRMATION and "H100" in review.text


def test_typed_deploy_after_a_what_if_is_the_comparison_cards_option(
    flow: ConversationFlow, recommender: SettableRecommender
) -> None:
    say(flow, "a chatbot for 300 users at once")
    recommender.options = [A100, L4]
    (comparison,) = say(flow, "double the traffic")
    assert button(comparison, "Deploy option 1") == f"deploy option 1 {option_id(A100)}"
    (review,) = say(flow, "deploy option 1")
    assert "A100" in review.text
    assert button(review, "Request deployment") == f"confirm {option_id(A100)}"


def test_request_from_an_older_review_card_requests_nothing(flow: ConversationFlow) -> None:
    say(flow, "a chatbot for 300 users at once")
    (first,) = say(flow, "deploy option 1")
    say(flow, "deploy option 2")
    refusal, review = say(flow, button(first, "Request deployment"))
    assert refusal.kind is ReplyKind.ERROR and "Nothing was requested" in refusal.text
    assert "option 2: " in refusal.text and "A100" in review.text
    state = flow.state(thread="t")
    assert (state.stage, state.chosen, state.deployment) == (Stage.CONFIRMING, 1, None)


@pytest.mark.parametrize(
    ("options_now", "reviewed"),
    [
        pytest.param([L4, A100], True, id="option-still-offered"),
        pytest.param([H100], False, id="option-gone"),
    ],
)
def test_request_after_a_what_if_reviews_again_or_refuses(
    flow: ConversationFlow,
    recommender: SettableRecommender,
    options_now: list[RecommendedOption],
    reviewed: bool,
) -> None:
    say(flow, "a chatbot for 300 users at once")
    (review,) = say(flow, "deploy option 1")
    recommender.options = options_now
    say(flow, "double the traffic")
    replies = say(flow, button(review, "Request deployment"))
    assert replies[0].kind is ReplyKind.ERROR and "nothing was requested" in replies[0].text
    state = flow.state(thread="t")
    assert state.deployment is None
    assert [r.kind for r in replies[1:]] == ([ReplyKind.CONFIRMATION] if reviewed else [])
    assert state.stage is (Stage.CONFIRMING if reviewed else Stage.EXPLORING)


def test_an_old_review_after_a_deployment_requests_and_reviews_nothing(
    flow: ConversationFlow,
) -> None:
    say(flow, "a chatbot for 300 users at once")
    (review,) = say(flow, "deploy option 1")
    say(flow, button(review, "Request deployment"))
    (approval,) = say(flow, "approve")
    say(flow, button(approval, "Approve"), user="ben")
    assert flow.state(thread="t").stage is Stage.DEPLOYED
    (refusal,) = say(flow, button(review, "Request deployment"))
    assert refusal.kind is ReplyKind.ERROR and "nothing was requested" in refusal.text
    assert flow.state(thread="t").stage is Stage.DEPLOYED
