"""Teams end to end: Bot Framework activities posted to /api/messages of the real server.

Only Microsoft's cloud is faked, at the HTTP boundary: activities are JSON as the Bot Framework
sends them, their ``serviceUrl`` points at ``teams_standin``, which records the replies. The
adapter runs with an empty app id, which turns Bot Framework authentication off exactly as the
Bot Framework Emulator does; one test turns it on and checks that an unauthenticated request is
refused. The flow is wired as in production with in-process state.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.recommender import EngineRecommender
from bot.channels.http_server import TEAMS_PATH, build_http_app
from bot.channels.teams.app import TeamsEndpoint
from bot.conversation.bound_options import option_id
from bot.conversation.flow import ConversationFlow
from bot.conversation.thread_state import Stage
from bot.settings import TeamsSettings
from domain.errors import ConfigurationError
from domain.requirements import Task
from tests.scenario import conversation_harness
from tests.scenario.teams_standin import ConnectorStandIn

recommender = conversation_harness.recommender

CONVERSATION = "19:preflight-team@thread.tacv2;messageid=1700000000000"
BOT = {"id": "28:preflight-bot", "name": "Preflight"}


class TeamsSide:
    """Teams as the bot sees it: posts activities, reads what the bot sent back."""

    def __init__(
        self, client: TestClient[Any, Any], connector: ConnectorStandIn, flow: ConversationFlow
    ) -> None:
        self.client = client
        self.connector = connector
        self.flow = flow

    def activity(
        self,
        *,
        text: str | None = None,
        value: Any = None,
        user: str = "aad-alice",
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        """A message activity in the channel thread, from ``user`` (a click names its card's
        message in ``reply_to``, as Teams does)."""
        activity: dict[str, Any] = {
            "type": "message",
            "id": uuid.uuid4().hex,
            "timestamp": "2026-11-26T10:00:00.000Z",
            "serviceUrl": self.connector.service_url,
            "channelId": "msteams",
            "from": {"id": f"29:{user}", "name": user, "aadObjectId": user},
            "conversation": {"id": CONVERSATION, "conversationType": "channel"},
            "recipient": BOT,
            "channelData": {"tenant": {"id": "tenant-1"}},
        }
        if text is not None:
            activity["text"] = f"<at>Preflight</at> {text}"
            activity["entities"] = [
                {"type": "mention", "mentioned": BOT, "text": "<at>Preflight</at>"}
            ]
        if value is not None:
            activity["value"] = value
        if reply_to is not None:
            activity["replyToId"] = reply_to
        return activity

    async def post(self, activity: dict[str, Any], **headers: str) -> int:
        """POST one activity to /api/messages; returns the HTTP status."""
        response = await self.client.post(TEAMS_PATH, json=activity, headers=headers)
        return response.status

    def state(self) -> Any:
        """The conversation's stored state."""
        return self.flow.state(thread=f"teams:tenant-1/teams:{CONVERSATION}")


async def _serve(
    tmp_path: Path, recommender: EngineRecommender, settings: TeamsSettings
) -> AsyncIterator[TeamsSide]:
    connector = ConnectorStandIn()
    with connector.running():
        flow = conversation_harness.make_flow(tmp_path, recommender, InMemoryStateStore())
        app = build_http_app(teams=TeamsEndpoint(settings, flow))
        client = TestClient(TestServer(app))
        await client.start_server()
        try:
            yield TeamsSide(client, connector, flow)
            assert connector.violations == [], "a card broke the Adaptive Cards schema"
        finally:
            await client.close()


@pytest.fixture
async def teams(tmp_path: Path, recommender: EngineRecommender) -> AsyncIterator[TeamsSide]:
    """The real server with the Teams endpoint, authentication off (Emulator mode)."""
    async for side in _serve(tmp_path, recommender, TeamsSettings()):
        yield side


@pytest.fixture
async def teams_with_auth(
    tmp_path: Path, recommender: EngineRecommender
) -> AsyncIterator[TeamsSide]:
    """The real server with the Teams endpoint authenticating as a registered app."""
    settings = TeamsSettings(
        app_id="00000000-0000-0000-0000-000000000001", app_password=SecretStr("p")
    )
    async for side in _serve(tmp_path, recommender, settings):
        yield side


def card_text(card: Any) -> str:
    """Every text block and fact of a card, at any depth (containers, tables), one per line."""
    if isinstance(card, list):
        return "\n".join(text for item in card if (text := card_text(item)))
    if not isinstance(card, dict):
        return ""
    if card.get("type") == "TextBlock":
        return str(card["text"])
    if card.get("type") == "FactSet":
        return "\n".join(f"{fact['title']}: {fact['value']}" for fact in card["facts"])
    parts = [card_text(card.get(key)) for key in ("body", "items", "rows", "cells")]
    return "\n".join(part for part in parts if part)


def confirmed_submit(card: dict[str, Any], title: str) -> dict[str, Any]:
    """The submit inside the confirmation ShowCard that the action titled ``title`` opens."""
    shown = next(a for a in card["actions"] if a["title"] == title)
    assert shown["type"] == "Action.ShowCard", "an acting button opens a confirmation first"
    (submit,) = shown["card"]["actions"]
    assert submit["type"] == "Action.Submit"
    return dict(submit)


async def test_a_message_gets_an_adaptive_card_with_the_recommendation(teams: TeamsSide) -> None:
    text = "Support chatbot for about 500 employees, first token within a second"
    assert await teams.post(teams.activity(text=text)) == 201
    (card,) = teams.connector.cards()
    assert card["type"] == "AdaptiveCard"
    assert "option" in card_text(card).lower()
    assert teams.state().stage is Stage.EXPLORING
    conversation, activity = teams.connector.sent[0]
    assert conversation == CONVERSATION
    assert activity["recipient"]["id"] == "29:aad-alice"


async def test_a_card_button_routes_its_data_back_as_the_next_message(teams: TeamsSide) -> None:
    await teams.post(teams.activity(text="We'd like to run an open model for our team"))
    (question,) = teams.connector.cards()
    (choice_set,) = [item for item in question["body"] if item["type"] == "Input.ChoiceSet"]
    picked = next(c for c in choice_set["choices"] if c["title"] == "Chatbot / assistant")
    (send,) = question["actions"]
    assert send["type"] == "Action.Submit"
    # Teams posts the inputs merged into the submit's data: {choice set id: picked value}
    value = {**send.get("data", {}), choice_set["id"]: picked["value"]}
    assert await teams.post(teams.activity(value=value)) == 201
    assert len(teams.connector.cards()) == 2
    assert teams.state().requirements.task is Task.CHATBOT


async def test_approval_is_by_the_user_who_pressed_the_button(teams: TeamsSide) -> None:
    await teams.post(teams.activity(text="RAG assistant over our wiki, 5 requests per second"))
    await teams.post(teams.activity(text="deploy option 1"))
    review = teams.connector.cards()[-1]
    await teams.post(teams.activity(value=confirmed_submit(review, "Request deployment")["data"]))
    assert teams.state().stage is Stage.AWAITING_APPROVAL
    approve = confirmed_submit(teams.connector.cards()[-1], "Approve")
    await teams.post(teams.activity(value=approve["data"]))
    assert teams.state().stage is Stage.AWAITING_APPROVAL
    await teams.post(teams.activity(value=approve["data"], user="aad-bob"))
    assert teams.state().stage in (Stage.DEPLOYED, Stage.DEPLOYING)


def _submit_of(card: dict[str, Any], label: str) -> dict[str, Any]:
    """The data Teams posts when ``label`` is picked on a card, directly or from a ChoiceSet."""
    actions = list(card.get("actions", []))
    for action in actions:
        data = action.get("data") or {}
        if action["type"] == "Action.Submit" and label in data.get("preflight_labels", {}).values():
            labels = data["preflight_labels"]
            value = next(v for v, shown in labels.items() if shown == label)
            return {**data, "preflight_choice": value}
        if action["type"] == "Action.ShowCard":
            actions += action["card"].get("actions", [])
    raise AssertionError(f"no {label!r} on the card")


def _used(update: dict[str, Any]) -> dict[str, Any]:
    """The card an update put in place of a used one (no buttons; its details may still fold)."""
    (attachment,) = update["attachments"]
    card: dict[str, Any] = attachment["content"]
    assert {a["type"] for a in card.get("actions", [])} <= {"Action.ToggleVisibility"}
    return card


async def test_a_card_acted_on_is_replaced_and_a_refused_click_leaves_it(teams: TeamsSide) -> None:
    await teams.post(teams.activity(text="RAG assistant over our wiki, 5 requests per second"))
    first, card = teams.connector.ids[-1], teams.connector.cards()[-1]
    chart = _submit_of(card, "Show chart")  # shows more: the card keeps its buttons
    await teams.post(teams.activity(value=chart, reply_to=first))
    await teams.post(teams.activity(text="deploy option 1"))
    review, review_id = teams.connector.cards()[-1], teams.connector.ids[-1]
    request = confirmed_submit(review, "Request deployment")["data"]
    await teams.post(teams.activity(value=request, reply_to=review_id))
    ((updated_id, update),) = teams.connector.updated
    assert updated_id == review_id
    used_review = card_text(_used(update))
    assert card_text(review).split("\n")[0] in used_review  # the same card, its buttons gone
    assert "Deployment requested by aad-alice at 2026-11-26 10:00 UTC" in used_review
    approval_id = teams.connector.ids[-1]
    approve = confirmed_submit(teams.connector.cards()[-1], "Approve")["data"]
    await teams.post(teams.activity(value=approve, reply_to=approval_id))  # her own request
    assert len(teams.connector.updated) == 1
    await teams.post(teams.activity(value=approve, user="aad-bob", reply_to=approval_id))
    assert [message for message, _ in teams.connector.updated] == [review_id, approval_id]
    used_approval = card_text(_used(teams.connector.updated[1][1]))
    assert "Approved by aad-bob at 2026-11-26 10:00 UTC" in used_approval
    assert "awaits an approver" in used_approval and "Who can approve" in used_approval
    assert teams.state().stage in (Stage.DEPLOYED, Stage.DEPLOYING)


async def test_an_activity_delivered_twice_is_processed_once(teams: TeamsSide) -> None:
    activity = teams.activity(text="Code completion for 150 developers, TTFT p95 under 300 ms")
    assert await teams.post(activity) == 201
    assert await teams.post(activity) == 201
    assert len(teams.connector.sent) == 1
    assert teams.state().turns == 1


async def test_with_an_app_id_an_unauthenticated_activity_is_refused(
    teams_with_auth: TeamsSide,
) -> None:
    side = teams_with_auth
    assert await side.post(side.activity(text="support chatbot for 500 employees")) == 401
    assert side.connector.sent == []
    assert side.state().turns == 0


def test_an_app_id_without_its_password_stops_start_up(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    flow = conversation_harness.make_flow(tmp_path, recommender, InMemoryStateStore())
    with pytest.raises(ConfigurationError, match="APP_PASSWORD"):
        TeamsEndpoint(TeamsSettings(app_id="00000000-0000-0000-0000-000000000001"), flow)


async def test_the_chart_is_sent_as_an_inline_png_beside_its_card(teams: TeamsSide) -> None:
    await teams.post(teams.activity(text="Summarize 50k documents a day overnight"))
    await teams.post(teams.activity(text="chart"))
    _, activity = teams.connector.sent[-1]
    kinds = [attachment["contentType"] for attachment in activity["attachments"]]
    assert kinds == ["application/vnd.microsoft.card.adaptive", "image/png"]
    assert activity["attachments"][1]["contentUrl"].startswith("data:image/png;base64,iVBOR")


async def test_an_old_cards_deploy_button_never_deploys_another_option(teams: TeamsSide) -> None:
    await teams.post(teams.activity(text="RAG assistant over our wiki, 5 requests per second"))
    old, old_id = teams.connector.cards()[-1], teams.connector.ids[-1]
    await teams.post(teams.activity(text="double the traffic"))
    latest, latest_id = teams.connector.cards()[-1], teams.connector.ids[-1]
    answer = teams.state().recommendation
    now_id = option_id(answer.options[0])
    stale = _submit_of(old, "Deploy option 1")
    assert stale["preflight_choice"] != _submit_of(latest, "Deploy option 1")["preflight_choice"]
    await teams.post(teams.activity(value=stale, reply_to=old_id))
    refused = teams.connector.cards()[-1]
    assert "This card is out of date: option 1 is now" in card_text(refused)
    assert _submit_of(refused, "Deploy option 1")["preflight_choice"].endswith(now_id)
    assert teams.state().stage is Stage.EXPLORING
    assert teams.connector.updated == []  # the refusal left the old card as it was
    deploy = _submit_of(latest, "Deploy option 1")
    await teams.post(teams.activity(value=deploy, reply_to=latest_id))
    review, review_id = teams.connector.cards()[-1], teams.connector.ids[-1]
    request = confirmed_submit(review, "Request deployment")["data"]
    assert request["preflight_choice"] == f"confirm {now_id}"
    await teams.post(teams.activity(value=request, reply_to=review_id))
    state = teams.state()
    assert state.stage is Stage.AWAITING_APPROVAL
    assert option_id(state.recommendation.options[state.deployment.option_index]) == now_id
    assert [message for message, _ in teams.connector.updated] == [latest_id, review_id]
