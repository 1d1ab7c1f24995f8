"""A deployment still rolling out on a real API is handed to the Day-2 watch at once.

The flow is wired for ``PREFLIGHT_CLUSTER__MODE=api`` against the local Kubernetes API emulation,
whose InferenceService stays not Ready: after the approval the thread is "deploying", and the
watch (a recorder at the flow's own Follower port) is told once — not again on "status".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bot.adapters.recommender import EngineRecommender
from bot.conversation.thread_state import Stage
from bot.settings import AuditSettings, Settings
from bot.wiring import build_flow
from domain.recommendation import PlannedLoad, RecommendedOption
from domain.requirements import Requirements
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot, cluster_settings
from tests.unit.deploy.kube_api import KubeApiEmulator

recommender = conversation_harness.recommender


@dataclass
class Recorded:
    """The Follower port, recording what it was handed."""

    calls: list[tuple[str, str, float]] = field(default_factory=list)

    def follow(
        self,
        *,
        request_id: str,
        thread: str,
        option: RecommendedOption,
        planned: PlannedLoad,
        requirements: Requirements,
    ) -> None:
        self.calls.append((request_id, thread, planned.peak_rps))


def test_a_rolling_out_deployment_is_followed_once(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    with KubeApiEmulator() as emulator:
        emulator.state.ready_after_gets = 10_000
        config = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        settings = Settings(
            data_dir=tmp_path,
            cluster=cluster_settings(mode="api", kubeconfig=config),
            audit=AuditSettings(path=tmp_path / "audit.jsonl"),
        )
        follower = Recorded()
        flow = build_flow(
            settings, context=recommender.context, recommender=recommender, follower=follower
        )
        bot = TestBot(flow, thread=f"slack:C9:{uuid.uuid4().hex[:8]}")
        bot.say("Chatbot for 300 users")
        bot.say("deploy option 1")
        (requested,) = bot.say("confirm")
        approve = next(c.value for c in requested.choices if c.label == "Approve")
        bot.say(approve, user="bob")
        assert bot.stage() is Stage.DEPLOYING
        bot.say("status")
        assert bot.stage() is Stage.DEPLOYING
    deployment = bot.state.deployment
    assert deployment is not None
    assert [(rid, thread) for rid, thread, _ in follower.calls] == [
        (deployment.request_id, bot.thread)
    ]
    assert follower.calls[0][2] > 0
