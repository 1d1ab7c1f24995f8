"""The Day-2 watch as ``preflight serve`` runs it: deployments from chat, a real Prometheus.

The flow and the watch are wired by ``bot.wiring`` (``build_day2`` + ``build_flow(follower=…)``,
as ``serve`` does) on the embedded default (dry-run cluster, file records under the test's data
directory). A thread deploys option 1; the watch then follows it. Debian's ``prometheus`` scrapes
a local endpoint exporting vLLM's metric names (``tests/scenario/vllm_exporter.py``). While the
deployment runs fast nothing is posted; once traffic and TTFT climb, ONE drift message reaches
the thread, however many polls follow — and a second replica over the same records posts
nothing (the episode is claimed). A measuring run that ended is posted once too.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from bot.adapters.day2 import Day2Watch
from bot.adapters.recommender import EngineRecommender
from bot.conversation.replies import Reply, ReplyKind
from bot.conversation.thread_state import Stage
from bot.settings import Settings
from bot.wiring import build_day2, build_flow
from deploy.measure_job import REPORT_MARKER
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot, settings_for
from tests.scenario.test_day2_watch import exporter, prometheus
from tests.scenario.vllm_exporter import Exporter

recommender = conversation_harness.recommender
__all__ = ["exporter", "prometheus"]
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "guidellm_report.json"
WAIT_S = 60.0


def _settings(tmp_path: Path, prometheus_url: str) -> Settings:
    base = settings_for(tmp_path)
    cluster = base.cluster.model_copy(
        update={
            "prometheus_url": prometheus_url,
            "watch_selector": 'job="vllm"',
            "watch_window": "5s",
            "watch_interval_s": 0.5,
            "watch_sustain": 3,
        }
    )
    return base.model_copy(update={"cluster": cluster})


def _deploy(bot: TestBot) -> None:
    bot.say("Chatbot for 300 users, first token under 1 second")
    bot.say("deploy option 1")
    (requested,) = bot.say("confirm")
    approve = next(c.value for c in requested.choices if c.label == "Approve")
    (ready,) = bot.say(approve, user="bob")
    assert bot.stage() is Stage.DEPLOYED, ready.plain_text()


def _poll_until(watch: Day2Watch, posted: list[tuple[str, Reply]], count: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while len(posted) < count:
        assert time.monotonic() < deadline, f"nothing posted: {posted}"
        watch.poll()
        time.sleep(0.5)


def test_serve_watch_posts_one_drift_message_in_the_deployment_thread(
    exporter: Exporter, prometheus: str, tmp_path: Path, recommender: EngineRecommender
) -> None:
    exporter.load.ttft_s, exporter.load.itl_s, exporter.load.rps = 0.01, 0.004, 0.4
    settings = _settings(tmp_path, prometheus)
    watch, replica = build_day2(settings), build_day2(settings)
    posted: list[tuple[str, Reply]] = []
    watch.post = replica.post = lambda thread, reply: posted.append((thread, reply))
    flow = build_flow(
        settings, context=recommender.context, recommender=recommender, follower=watch
    )
    bot = TestBot(flow, thread=f"slack:C1:{uuid.uuid4().hex[:8]}")
    _deploy(bot)
    (followed,) = watch.watched()
    assert followed.thread == bot.thread and followed.plan.slo_ttft_ms_p95 == 1000
    bot.say("status")  # still deployed: followed once, not again
    assert len(watch.watched()) == 1

    time.sleep(6)  # a calm window in Prometheus
    for _ in range(4):
        assert watch.poll() == 0
        time.sleep(0.5)
    assert posted == []

    exporter.load.rps, exporter.load.ttft_s = 6.0, 2.0
    _poll_until(watch, posted, 1)
    for _ in range(6):
        watch.poll()
        replica.poll()
        time.sleep(0.5)
    assert len(posted) == 1
    thread, card = posted[0]
    assert thread == bot.thread and card.kind is ReplyKind.STATUS
    assert "TTFT p95" in card.text and "over the SLO (1,000 ms)" in card.text
    assert "Likely cause: load above plan" in card.text
    assert [c.label for c in card.choices] == ["Measure it"]


def test_a_finished_measurement_is_posted_in_its_thread_once(
    exporter: Exporter, prometheus: str, tmp_path: Path, recommender: EngineRecommender
) -> None:
    exporter.load.ttft_s, exporter.load.itl_s = 0.01, 0.004
    settings = _settings(tmp_path, prometheus)
    watch = build_day2(settings)
    posted: list[tuple[str, Reply]] = []
    watch.post = lambda thread, reply: posted.append((thread, reply))
    flow = build_flow(
        settings, context=recommender.context, recommender=recommender, follower=watch
    )
    bot = TestBot(flow, thread=f"slack:C2:{uuid.uuid4().hex[:8]}")
    _deploy(bot)
    bot.say("measure")
    watch.poll()
    assert all(reply.kind is not ReplyKind.COMPARISON for _, reply in posted)
    (job,) = (tmp_path / "manifests").rglob("job-*-measure.yaml")
    report = json.loads(FIXTURE.read_text())
    report["benchmarks"] = report["benchmarks"][:1]
    job.with_suffix(".log").write_text(f"{REPORT_MARKER}\n{json.dumps(report)}\n")
    watch.poll()
    watch.poll()
    compared = [reply for _, reply in posted if reply.kind is ReplyKind.COMPARISON]
    assert len(compared) == 1 and "observed: dry-run/" in compared[0].plain_text()
