"""The HTTP server's probes: liveness never touches a backend; readiness names what is down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.redis_store import RedisStateStore
from bot.channels.http_server import build_http_app
from bot.cli.serve_command import readiness_checks
from bot.conversation.state_store import StateStore
from bot.settings import Settings
from knowledge.kb_build import mark_built


async def _client(settings: Settings, store: StateStore) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    client = TestClient(TestServer(build_http_app(checks=readiness_checks(settings, store))))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def _built(tmp_path: Path) -> Settings:
    """Settings whose local knowledge base is marked built (what `kb build` writes last)."""
    settings = Settings(data_dir=tmp_path)
    mark_built(settings.data_dir, settings.knowledge.collection)
    return settings


@pytest.mark.parametrize(
    ("redis_url", "built", "status", "down"),
    [
        pytest.param(None, True, 200, [], id="in-process-and-built"),
        pytest.param("redis://127.0.0.1:6379/15", True, 200, [], id="real-redis"),
        pytest.param("redis://127.0.0.1:1/0", True, 503, ["state store"], id="redis-down"),
        pytest.param(None, False, 200, [], id="optional-kb-not-built"),
    ],
)
async def test_readiness_reports_each_backend(
    tmp_path: Path, redis_url: str | None, built: bool, status: int, down: list[str]
) -> None:
    settings = _built(tmp_path) if built else Settings(data_dir=tmp_path)
    store: StateStore = (
        RedisStateStore(url=redis_url, timeout_s=0.5) if redis_url else InMemoryStateStore()
    )
    async for client in _client(settings, store):
        response = await client.get("/readyz")
        body = await response.json()
        assert response.status == status
        assert [name for name, result in body["checks"].items() if result != "ok"] == down
        assert all("unavailable" in body["checks"][name] for name in down)
        health = await client.get("/healthz")
        assert health.status == 200


async def test_an_unreachable_qdrant_server_makes_it_unready(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    settings.knowledge.qdrant_url = "http://127.0.0.1:9"
    async for client in _client(settings, InMemoryStateStore()):
        response = await client.get("/readyz")
        assert response.status == 503
        assert "unavailable" in (await response.json())["checks"]["knowledge base"]


async def test_unconfigured_chat_endpoints_are_not_mounted(tmp_path: Path) -> None:
    async for client in _client(Settings(data_dir=tmp_path), InMemoryStateStore()):
        assert (await client.post("/slack/events", data=b"{}")).status == 404
        assert (await client.post("/api/messages", json={})).status == 404
