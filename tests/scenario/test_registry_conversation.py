"""A conversation that names a model outside the catalog: the flow, wired as in production with the
model registry of the settings (the real Hub client, a Hub-compatible server on 127.0.0.1), sizes
it, says on the card where its architecture came from, and answers a gated model with what to do."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.recommender import EngineRecommender
from bot.conversation.replies import ReplyKind
from bot.settings import KnowledgeSettings
from bot.wiring import build_flow, build_model_lookup
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot, settings_for
from tests.unit.knowledge.hub_server import HubStandIn, hub_online, hub_stand_in, repo_from_configs

recommender = conversation_harness.recommender
__all__ = ["hub_online", "recommender"]  # fixtures, used by name

pytestmark = pytest.mark.usefixtures("hub_online")
NEW = "XiaomiMiMo/MiMo-7B-Base"


@pytest.fixture
def hub() -> Iterator[HubStandIn]:
    repos = {
        NEW: repo_from_configs(NEW, license="mit"),
        "meta-llama/Llama-3.1-8B": repo_from_configs("meta-llama/Llama-3.1-8B", gated="manual"),
    }
    with hub_stand_in(HubStandIn(repos=repos)) as stand_in:
        yield stand_in


@pytest.fixture
def bot(tmp_path: Path, hub: HubStandIn, recommender: EngineRecommender) -> TestBot:
    settings = settings_for(tmp_path).model_copy(
        update={"knowledge": KnowledgeSettings(hf_endpoint=hub.url)}
    )
    context = dataclasses.replace(recommender.context, model_lookup=build_model_lookup(settings))
    flow = build_flow(settings, context=context, store=InMemoryStateStore())
    return TestBot(flow, thread=f"test:{uuid.uuid4().hex[:8]}")


def test_a_model_outside_the_catalog_is_recommended_with_its_origin(
    bot: TestBot, hub: HubStandIn
) -> None:
    replies = bot.say(f"Support chatbot for 300 employees on {NEW}, first token within 2 seconds")

    assert [reply.kind for reply in replies] == [ReplyKind.RECOMMENDATION]
    text = replies[0].plain_text()
    assert "not in the curated catalog: no published quality score" in text
    assert f"{NEW}@{hub.repos[NEW].sha[:12]}" in text
    recommendation = bot.state.recommendation
    assert recommendation is not None
    assert {option.model for option in recommendation.options} == {NEW}


def test_a_gated_model_without_a_token_gets_what_to_do(bot: TestBot) -> None:
    replies = bot.say("Support chatbot for 300 employees on meta-llama/Llama-3.1-8B@main")

    assert [reply.kind for reply in replies] == [ReplyKind.ERROR]
    assert "gated" in replies[0].plain_text()
    assert "PREFLIGHT_KNOWLEDGE__HF_TOKEN" in replies[0].plain_text()


def test_a_chat_deploy_of_a_model_outside_the_catalog_says_what_was_not_checked(
    bot: TestBot,
) -> None:
    bot.say(f"Support chatbot for 300 employees on {NEW}, first token within 2 seconds")
    bot.say("deploy option 1")
    (status,) = bot.say("confirm")

    text = status.plain_text()
    assert "awaits an approver" in text, text
    assert f"Not checked [tp-divides-heads]: {NEW} is not in the catalog" in text
