"""``preflight serve`` wiring: configured channels are mounted and verify their callers."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.cli.app import app
from bot.cli.serve_command import build_server
from bot.settings import AuditSettings, ClusterSettings, Settings, SlackSettings, TeamsSettings
from tests.scenario import test_slack
from tests.scenario.slack_standin import SlackStandIn


async def test_configured_channels_are_mounted_and_refuse_unauthenticated_calls(
    tmp_path: Path,
) -> None:
    standin = SlackStandIn(token="xoxb-serve")
    with standin.running():
        settings = Settings(
            data_dir=tmp_path,
            cluster=ClusterSettings(output_dir=tmp_path / "manifests"),
            audit=AuditSettings(path=tmp_path / "audit.jsonl"),
            slack=SlackSettings(
                bot_token=SecretStr("xoxb-serve"),
                signing_secret=SecretStr("shh"),
                api_url=standin.api_url,
            ),
            teams=TeamsSettings(
                app_id="00000000-0000-0000-0000-000000000002", app_password=SecretStr("p")
            ),
        )
        async with TestClient(TestServer(build_server(settings))) as client:
            unsigned = await client.post("/slack/events", json={"type": "event_callback"})
            unauthenticated = await client.post(
                "/api/messages", json={"type": "message", "text": "hi", "id": "1"}
            )
            assert (unsigned.status, unauthenticated.status) == (401, 401)
            assert (await client.get("/healthz")).status == 200
    assert standin.recorded.posts == []


async def test_serve_warms_up_before_listening_and_answers_through_its_inbox_workers(
    tmp_path: Path,
) -> None:
    """The warm-up rehearses on a scratch store (no thread saved, no turn counted); the workers
    started with the server answer a signed mention."""
    standin = SlackStandIn(token=test_slack.TOKEN)
    with standin.running():
        settings = Settings(
            data_dir=tmp_path,
            cluster=ClusterSettings(output_dir=tmp_path / "manifests"),
            audit=AuditSettings(path=tmp_path / "audit.jsonl"),
            slack=SlackSettings(
                bot_token=SecretStr(test_slack.TOKEN),
                signing_secret=SecretStr(test_slack.SECRET),
                api_url=standin.api_url,
            ),
        )
        async with TestClient(TestServer(build_server(settings))) as client:
            metrics = await (await client.get("/metrics")).text()
            assert "preflight_turn_seconds_count 0.0" in metrics
            assert 'preflight_inbox_jobs{state="queued"} 0.0' in metrics  # the queue depth
            stamp = f"{time.time():.6f}"
            envelope = {
                "type": "event_callback",
                "event_id": "EvServe",
                "event": test_slack.mention("chatbot for 300 people", ts=stamp),
            }
            status, _ = await test_slack.SlackSide(client, standin, None, None).send(  # type: ignore[arg-type]
                json.dumps(envelope), content_type="application/json"
            )
            assert status == 200
            (answer,) = await asyncio.to_thread(standin.wait_for_posts, 1)
            metrics = await (await client.get("/metrics")).text()
    assert answer["thread_ts"] == stamp
    assert "preflight_turn_seconds_count 1.0" in metrics


def test_serve_is_a_command_with_host_and_port() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output


async def test_the_day2_watch_runs_while_serving_and_posts_into_slack_threads(
    tmp_path: Path,
) -> None:
    import threading

    from bot.channels.proactive import ThreadPoster
    from bot.channels.slack.proactive import slack_poster
    from bot.cli.serve_command import WATCH_THREAD
    from bot.conversation.measure_cards import drift_card

    def watching() -> bool:
        return any(t.name == WATCH_THREAD for t in threading.enumerate())

    standin = SlackStandIn(token="xoxb-serve")
    with standin.running():
        settings = Settings(
            data_dir=tmp_path,
            cluster=ClusterSettings(output_dir=tmp_path / "manifests", watch_interval_s=0.2),
            audit=AuditSettings(path=tmp_path / "audit.jsonl"),
            slack=SlackSettings(
                bot_token=SecretStr("xoxb-serve"),
                signing_secret=SecretStr("shh"),
                api_url=standin.api_url,
            ),
        )
        server = build_server(settings)
        assert not watching()
        async with TestClient(TestServer(server)):
            assert watching()
        assert not watching()

        post = ThreadPoster({"slack": slack_poster("xoxb-serve", api_url=standin.api_url)})
        post("slack:C42:1700000000.000100", drift_card("chat-8b: TTFT p95 2,400 ms: over the SLO"))
        post("teams:19:abc", drift_card("not routed: Teams is off here"))
        (posted,) = standin.wait_for_posts(1)
    assert (posted["channel"], posted["thread_ts"]) == ("C42", "1700000000.000100")
    assert "TTFT p95 2,400 ms" in posted["text"]
