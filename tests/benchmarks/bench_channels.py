"""Benchmark: how fast the chat channels acknowledge and answer, end to end over loopback HTTP.

Run with ``make bench`` or ``.venv/bin/python -m tests.benchmarks channels``. The real aiohttp
server with the real Bolt app and the real Teams adapter; Slack's Web API and the Bot Framework
connector are the local stand-ins of the scenario tests. Each first message names a different
load, so the recommender's cache does not answer it.

Figures (milliseconds, p50 and p95):

* Slack ack — a signed ``app_mention`` until the HTTP 200 (Slack's deadline is 3,000 ms);
* Slack answer — the same event until its reply reaches ``chat.postMessage``;
* Teams turn — an activity POSTed until the 201, after the card was sent to the connector.

It prints figures only; it never asserts.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.adapters.memory_inbox import InMemoryInbox
from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.recommender import EngineRecommender
from bot.channels.http_server import build_http_app
from bot.channels.slack.app import SlackEndpoint, build_slack_app, build_slack_workers
from bot.channels.teams.app import TeamsEndpoint
from bot.settings import SlackSettings, TeamsSettings
from recommend.context import default_context
from tests.scenario import test_slack, test_teams
from tests.scenario.conversation_harness import make_flow
from tests.scenario.slack_standin import SlackStandIn
from tests.scenario.teams_standin import ConnectorStandIn

ROUNDS = 20


def _text(round_number: int) -> str:
    return f"Support chatbot for {300 + 37 * round_number} employees, first token within a second"


def _summary(name: str, samples_ms: list[float]) -> None:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"{name:<14} p50 {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms  n={len(ordered)}"
    )


async def _run(folder: Path) -> None:
    recommender = EngineRecommender(default_context())
    slack_standin, connector = SlackStandIn(token=test_slack.TOKEN), ConnectorStandIn()
    with slack_standin.running(), connector.running():
        flow = make_flow(folder, recommender, InMemoryStateStore())
        inbox = InMemoryInbox()
        bolt = build_slack_app(
            SlackSettings(
                bot_token=SecretStr(test_slack.TOKEN),
                signing_secret=SecretStr(test_slack.SECRET),
                api_url=slack_standin.api_url,
            ),
            flow,
            inbox,
        )
        workers = build_slack_workers(bolt, flow, inbox, workers=4, name="bench", lease_s=60)
        endpoint = SlackEndpoint(bolt, signing_secret=test_slack.SECRET)
        app = build_http_app(slack=endpoint, teams=TeamsEndpoint(TeamsSettings(), flow))
        workers.start()
        async with TestClient(TestServer(app)) as client:
            slack = test_slack.SlackSide(client, slack_standin, flow, inbox)
            teams = test_teams.TeamsSide(client, connector, flow)
            acks, answers, turns = [], [], []
            for number in range(ROUNDS):
                start = time.perf_counter()
                await slack.event(test_slack.mention(_text(number), ts=f"1700000000.{number:06d}"))
                acks.append(1000 * (time.perf_counter() - start))
                await slack.posts(number + 1)
                answers.append(1000 * (time.perf_counter() - start))
                start = time.perf_counter()
                await teams.post(teams.activity(text=_text(ROUNDS + number)))
                turns.append(1000 * (time.perf_counter() - start))
        await asyncio.to_thread(workers.stop)
    _summary("Slack ack", acks)
    _summary("Slack answer", answers)
    _summary("Teams turn", turns)


def main() -> None:
    """Print the channels' latency figures."""
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_run(Path(folder)))


if __name__ == "__main__":
    main()
