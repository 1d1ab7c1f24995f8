"""Posting into a Teams conversation unprompted, as the Day-2 watch does.

A message through the real Teams endpoint (authentication off, Emulator mode; the connector
stand-in records what the bot sends) leaves the conversation reference in the thread's state;
the Teams poster then continues that conversation with a drift card, which reaches the same
conversation through botbuilder's ``continue_conversation`` and passes the Adaptive Cards
schema. A thread with no reference is not posted to.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.recommender import EngineRecommender
from bot.channels.http_server import build_http_app
from bot.channels.proactive import ThreadPoster
from bot.channels.teams.app import TeamsEndpoint
from bot.channels.teams.proactive import teams_poster
from bot.conversation.measure_cards import drift_card
from bot.settings import TeamsSettings
from tests.scenario import conversation_harness
from tests.scenario.teams_standin import ConnectorStandIn
from tests.scenario.test_teams import CONVERSATION, TeamsSide

recommender = conversation_harness.recommender
THREAD = f"teams:tenant-1/teams:{CONVERSATION}"  # the activities name tenant-1


async def test_a_drift_card_reaches_the_teams_conversation_through_its_stored_reference(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    connector = ConnectorStandIn()
    with connector.running():
        flow = conversation_harness.make_flow(tmp_path, recommender, InMemoryStateStore())
        endpoint = TeamsEndpoint(TeamsSettings(), flow)
        async with TestClient(TestServer(build_http_app(teams=endpoint))) as client:
            side = TeamsSide(client, connector, flow)
            assert await side.post(side.activity(text="Chatbot for 300 users")) == 201
            stored = flow.state(thread=THREAD).reply_to
            assert stored is not None
            assert json.loads(stored)["serviceUrl"] == connector.service_url
            before = len(connector.sent)
            post = ThreadPoster(
                {
                    "teams": teams_poster(
                        endpoint.adapter,
                        app_id="",
                        reference_of=lambda thread: flow.state(thread=thread).reply_to,
                    )
                }
            )
            card = drift_card("chat-8b: TTFT p95 2,400 ms: over the SLO (1,000 ms)")
            await asyncio.to_thread(post, THREAD, card)
            await asyncio.to_thread(post, "teams:19:never-seen", card)
    assert connector.violations == []
    (sent,) = connector.sent[before:]
    assert sent[0] == CONVERSATION
    assert "TTFT p95 2,400 ms" in json.dumps(sent[1])
