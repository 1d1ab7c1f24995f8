"""Teams under hostile input: forged tokens, malformed bodies, reused activity ids.

Real activities are posted to the real server's /api/messages with authentication on (a
registered app id), except where a test needs a turn to run (Emulator mode). Microsoft's OpenID
metadata endpoint is a local stand-in that holds its answer until the test lets it go, so the
test can see that the server keeps answering while botbuilder's blocking fetch is in flight.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from pydantic import SecretStr

from bot.adapters.recommender import EngineRecommender
from bot.settings import TeamsSettings
from tests.scenario import conversation_harness
from tests.scenario.test_teams import CONVERSATION, TeamsSide, _serve, teams

recommender = conversation_harness.recommender
teams = teams  # the fixture, shared with test_teams
APP_ID = "00000000-0000-0000-0000-000000000001"


class SlowOpenId:
    """An OpenID metadata endpoint that answers only once released (then with nothing useful)."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        self.answered = threading.Event()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin.asked.set()
                standin.release.wait(timeout=20)  # a blocked server loop would sit out this wait
                standin.answered.set()
                self.send_response(503)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/.well-known/openidconfiguration"

    @contextmanager
    def running(self) -> Iterator[SlowOpenId]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.release.set()
            self._server.shutdown()
            self._server.server_close()


@pytest.fixture
def openid() -> Iterator[SlowOpenId]:
    with SlowOpenId().running() as standin:
        yield standin


@pytest.fixture
async def guarded(
    tmp_path: Path, recommender: EngineRecommender, openid: SlowOpenId
) -> AsyncIterator[TeamsSide]:
    """Authentication on, OpenID metadata at the slow stand-in."""
    settings = TeamsSettings(
        app_id=APP_ID, app_password=SecretStr("p"), openid_metadata_url=openid.url
    )
    async for side in _serve(tmp_path, recommender, settings):
        yield side


def forged(issuer: str = "https://api.botframework.com") -> str:
    token = jwt.encode(
        {"iss": issuer, "aud": APP_ID, "serviceurl": "http://x"},
        "not-microsofts-key-but-long-enough-for-hs256",
        algorithm="HS256",
        headers={"kid": "forged-key"},
    )
    return f"Bearer {token}"


async def test_a_forged_token_never_freezes_the_server(
    guarded: TeamsSide, openid: SlowOpenId
) -> None:
    post = asyncio.create_task(
        guarded.post(guarded.activity(text="chatbot"), Authorization=forged())
    )
    assert await asyncio.to_thread(openid.asked.wait, 30)  # botbuilder is fetching the keys
    health = await guarded.client.get("/healthz")
    assert health.status == 200
    assert not openid.answered.is_set()  # answered while the key fetch was still hanging
    openid.release.set()
    assert await post in (401, 503)  # refused, or could not check: never processed, never 500
    assert guarded.connector.sent == [] and guarded.state().turns == 0


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer not-a-jwt", id="not-a-jwt"),
        pytest.param("Bearer a.b.c", id="undecodable"),
        pytest.param("Basic dXNlcjpwdw==", id="wrong-scheme"),
        pytest.param(forged(issuer="https://evil.example"), id="unknown-issuer"),
    ],
)
async def test_bogus_tokens_get_401(guarded: TeamsSide, authorization: str) -> None:
    status = await guarded.post(guarded.activity(text="chatbot"), Authorization=authorization)
    assert status == 401
    assert guarded.connector.sent == []


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        pytest.param(b"{not json", "application/json", 400, id="not-json"),
        pytest.param(b"\xff\xfe", "application/json", 400, id="not-utf8"),
        pytest.param(b"[1, 2]", "application/json", 400, id="not-an-object"),
        pytest.param(b'{"text": "hi"}', "application/json", 400, id="no-type"),
        pytest.param(b'{"type": "message"}', "text/plain", 415, id="not-json-content"),
    ],
)
async def test_malformed_bodies_get_4xx(
    teams: TeamsSide, body: bytes, content_type: str, status: int
) -> None:
    response = await teams.client.post(
        "/api/messages", data=body, headers={"Content-Type": content_type}
    )
    assert response.status == status


async def test_the_same_activity_id_in_two_conversations_is_answered_in_both(
    teams: TeamsSide,
) -> None:
    first = teams.activity(text="Chatbot for 300 users")
    second = {
        **first,
        "conversation": {"id": CONVERSATION + "-other", "conversationType": "channel"},
    }
    assert await teams.post(first) == 201
    assert await teams.post(second) == 201
    assert len(teams.connector.sent) == 2
    assert teams.state().turns == 1
    assert teams.flow.state(thread=f"teams:tenant-1/teams:{CONVERSATION}-other").turns == 1
