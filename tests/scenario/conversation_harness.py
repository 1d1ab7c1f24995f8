"""An errbot-style ``testbot``: whole conversations in memory through the real flow.

The flow is wired by ``bot.wiring`` exactly as ``preflight chat`` wires it — real understanding,
the real recommendation engine over the packaged knowledge, the deployment service over a
dry-run cluster folder — with the state store of each test's choosing (in-process or real Redis
under a unique key prefix, removed afterwards).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.recommender import EngineRecommender
from bot.adapters.redis_store import RedisStateStore
from bot.conversation.flow import ConversationFlow, Incoming
from bot.conversation.replies import Reply
from bot.conversation.state_store import StateStore
from bot.conversation.thread_state import ConversationState, Essential, Stage
from bot.conversation.tracing import Tracer
from bot.settings import AuditSettings, ClusterSettings, Settings
from bot.wiring import build_flow, engine_versions
from recommend.context import default_context

REDIS_URL = "redis://127.0.0.1:6379/15"


class TestBot:
    """Says things in one thread and keeps the replies."""

    __test__ = False  # not a test class

    def __init__(self, flow: ConversationFlow, *, thread: str, user: str = "alice") -> None:
        self.flow = flow
        self.thread = thread
        self.user = user
        self.transcript: list[tuple[str, list[Reply]]] = []

    def say(
        self, text: str, *, user: str | None = None, event_id: str | None = None
    ) -> list[Reply]:
        """Send one message; return the replies."""
        message = Incoming(thread=self.thread, text=text, user=user or self.user, event_id=event_id)
        replies = self.flow.handle(message)
        self.transcript.append((text, replies))
        return replies

    @property
    def state(self) -> ConversationState:
        """The thread's stored state."""
        return self.flow.state(thread=self.thread)

    def stage(self) -> Stage:
        """The thread's stage now (a call, so type checkers do not narrow it between turns)."""
        return self.state.stage

    def asking(self) -> Essential | None:
        """The essential the thread is waiting for now."""
        return self.state.asking


ARM64_IMAGE = "registry.example.com/vllm-openai-arm64:v0.11.0"  # an operator's own build


def cluster_settings(**fields: object) -> ClusterSettings:
    """Cluster settings a deploy passes the pre-flight check with: a token secret for gated
    models, and an arm64 image for Grace (GH200) nodes, which vllm/vllm-openai does not ship."""
    return ClusterSettings.model_validate(
        {
            "hf_token_secret": "hf-token",
            "images": {"cuda-arm64": ARM64_IMAGE},
            "arm64_images": ["registry.example.com/vllm-openai-arm64"],
            "allowed_images": {
                "cuda": ["vllm/vllm-openai", "registry.example.com/vllm-openai-arm64"]
            },
            **fields,
        }
    )


def settings_for(tmp_path: Path) -> Settings:
    """Embedded settings whose files all live under ``tmp_path``."""
    return Settings(
        data_dir=tmp_path,
        cluster=cluster_settings(output_dir=tmp_path / "manifests"),
        audit=AuditSettings(path=tmp_path / "audit.jsonl"),
    )


def make_flow(
    tmp_path: Path,
    recommender: EngineRecommender,
    store: StateStore,
    *,
    tracer: Tracer | None = None,
) -> ConversationFlow:
    """A flow wired as in production, with this store and a shared recommender."""
    return build_flow(
        settings_for(tmp_path),
        context=recommender.context,
        store=store,
        recommender=recommender,
        tracer=tracer,
    )


@pytest.fixture(scope="session")
def recommender() -> EngineRecommender:
    """The engine over the packaged knowledge, loaded once; it remembers answers across tests."""
    return EngineRecommender(default_context(engine_versions=engine_versions(Settings())))


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A unique Redis key prefix, its keys removed after the test."""
    prefix = f"test-{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def testbot(tmp_path: Path, recommender: EngineRecommender) -> TestBot:
    """A bot with in-process state, in a fresh thread."""
    flow = make_flow(tmp_path, recommender, InMemoryStateStore())
    return TestBot(flow, thread=f"test:{uuid.uuid4().hex[:8]}")


def redis_store(prefix: str) -> RedisStateStore:
    """A Redis state store under ``prefix``."""
    return RedisStateStore(url=REDIS_URL, prefix=prefix)
