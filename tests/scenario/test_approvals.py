"""Approvals and deployments from chat: bound to what the approver saw, per thread, reversible.

Whole conversations through the real flow, the real deployment service and a dry-run cluster
folder shared by every thread of a test (two flows over one data folder share the deployment
records file, as two replicas share Redis).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.recommender import EngineRecommender
from bot.conversation.flow import ConversationFlow
from bot.conversation.replies import Reply, ReplyKind
from bot.conversation.thread_state import Stage
from bot.settings import Settings
from bot.wiring import build_flow
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot

recommender = conversation_harness.recommender
ASK = "Chatbot for 300 users"


def _flow(tmp_path: Path, recommender: EngineRecommender, **cluster: object) -> ConversationFlow:
    base = conversation_harness.settings_for(tmp_path)
    settings = base.model_copy(update={"cluster": base.cluster.model_copy(update=cluster)})
    assert isinstance(settings, Settings)
    return build_flow(
        settings, context=recommender.context, store=InMemoryStateStore(), recommender=recommender
    )


def _bot(flow: ConversationFlow) -> TestBot:
    return TestBot(flow, thread=f"slack:C1:{uuid.uuid4().hex[:8]}", user="alice")


def _request(bot: TestBot, text: str = ASK) -> Reply:
    """Recommend, choose option 1, confirm: the awaiting-approval card."""
    bot.say(text)
    bot.say("deploy option 1")
    (card,) = bot.say("confirm")
    assert bot.stage() is Stage.AWAITING_APPROVAL, card.plain_text()
    return card


def _approve_value(card: Reply) -> str:
    return next(choice.value for choice in card.choices if choice.label == "Approve")


def _isvcs(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "manifests").rglob("inferenceservice-*.yaml"))


@pytest.fixture
def flow(tmp_path: Path, recommender: EngineRecommender) -> ConversationFlow:
    return _flow(tmp_path, recommender)


def test_the_approve_button_names_the_request_and_its_manifest_hash(flow: ConversationFlow) -> None:
    bot = _bot(flow)
    card = _request(bot)
    pending = bot.state.deployment
    assert pending is not None and len(pending.manifest_hash) == 64
    assert _approve_value(card) == f"approve {pending.request_id} {pending.manifest_hash}"


def test_a_click_on_an_old_card_never_applies_a_newer_request(
    flow: ConversationFlow, tmp_path: Path
) -> None:
    bot = _bot(flow)
    old_click = _approve_value(_request(bot))
    bot.say("cancel")
    bot.say("double the traffic")
    bot.say("deploy option 1")
    new_card = bot.say("confirm")[0]
    assert _approve_value(new_card) != old_click
    refused = bot.say(old_click, user="bob")
    assert refused[0].kind is ReplyKind.ERROR
    assert "not what awaits approval" in refused[0].text
    assert bot.stage() is Stage.AWAITING_APPROVAL
    assert _isvcs(tmp_path) == []
    bot.say(_approve_value(new_card), user="bob")
    assert bot.stage() is Stage.DEPLOYED


def test_a_click_after_cancel_approves_nothing(flow: ConversationFlow, tmp_path: Path) -> None:
    bot = _bot(flow)
    click = _approve_value(_request(bot))
    bot.say("cancel")
    (notice,) = bot.say(click, user="bob")
    assert "No deployment request awaits approval" in notice.text
    assert bot.stage() is Stage.EXPLORING and _isvcs(tmp_path) == []


def test_a_typed_approval_needs_the_request_and_hash_shown(
    flow: ConversationFlow, tmp_path: Path
) -> None:
    bot = _bot(flow)
    _request(bot)
    (prompt,) = bot.say("approve", user="bob")
    assert bot.stage() is Stage.AWAITING_APPROVAL and _isvcs(tmp_path) == []
    typed = prompt.plain_text().split("`")[1]
    wrong = typed[:-12] + "0" * 12
    assert bot.say(wrong, user="bob")[0].kind is ReplyKind.ERROR
    assert bot.stage() is Stage.AWAITING_APPROVAL
    bot.say(typed, user="bob")
    assert bot.stage() is Stage.DEPLOYED


def test_threads_deploying_the_same_option_get_their_own_objects(
    flow: ConversationFlow, tmp_path: Path
) -> None:
    first, second = _bot(flow), _bot(flow)
    first.say(_approve_value(_request(first)), user="bob")
    (of_first,) = _isvcs(tmp_path)
    second.say(_approve_value(_request(second)), user="bob")
    assert (first.stage(), second.stage()) == (Stage.DEPLOYED, Stage.DEPLOYED)
    (of_second,) = set(_isvcs(tmp_path)) - {of_first}
    first.say("rollback", user="bob")
    assert first.stage() is Stage.ROLLED_BACK
    assert _isvcs(tmp_path) == [of_second]
    assert second.stage() is Stage.DEPLOYED


def test_a_redeploy_after_rollback_needs_and_takes_a_new_approval(
    flow: ConversationFlow, tmp_path: Path
) -> None:
    bot = _bot(flow)
    click = _approve_value(_request(bot))
    bot.say(click, user="bob")
    bot.say("rollback", user="bob")
    assert bot.stage() is Stage.ROLLED_BACK and _isvcs(tmp_path) == []
    bot.say("deploy option 1")
    (card,) = bot.say("confirm")
    assert bot.stage() is Stage.AWAITING_APPROVAL, card.plain_text()
    deployed = bot.say(_approve_value(card), user="bob")
    assert bot.stage() is Stage.DEPLOYED, deployed[0].plain_text()
    assert len(_isvcs(tmp_path)) == 1


def test_group_approvers_match_chat_users_through_the_identity_mapping(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    flow = _flow(
        tmp_path,
        recommender,
        approvers={"*": ["group:ml-platform"]},
        identities={"bob": "bob@example.com"},
        identity_groups={"bob": ["ml-platform"]},
    )
    bot = _bot(flow)
    click = _approve_value(_request(bot))
    refused = bot.say(click, user="carol")
    assert "not an approver" in refused[0].text
    bot.say(click, user="bob")
    assert bot.stage() is Stage.DEPLOYED


def test_rollback_is_for_approvers_only(tmp_path: Path, recommender: EngineRecommender) -> None:
    flow = _flow(tmp_path, recommender, approvers={"*": ["user:bob"]})
    bot = _bot(flow)
    bot.say(_approve_value(_request(bot)), user="bob")
    refused = bot.say("rollback", user="mallory")
    assert refused[0].kind is ReplyKind.ERROR and "may not roll back" in refused[0].text
    assert bot.stage() is Stage.DEPLOYED and len(_isvcs(tmp_path)) == 1
    bot.say("rollback", user="bob")
    assert bot.stage() is Stage.ROLLED_BACK and _isvcs(tmp_path) == []
