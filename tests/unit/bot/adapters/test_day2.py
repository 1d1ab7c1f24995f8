"""The Day-2 watch's rounds: one post per drift episode across replicas, re-armed on recovery.

Metrics come from a scripted source at the watch's own port (``SnapshotSource``); records are
the in-process store two watches share as two replicas share Redis; the cluster is the dry-run
folder, where a deployment is there while its InferenceService file is.
"""

from __future__ import annotations

from pathlib import Path

from bot.adapters.day2 import LIST_KEY, Day2Watch, SnapshotSource, Watched, watch_plan
from bot.conversation.replies import Reply
from deploy.drift_watch import Snapshot
from deploy.dryrun_cluster import DryRunCluster
from deploy.records import MemoryRecords
from domain.recommendation import PlannedLoad
from domain.requirements import Requirements
from tests.unit.deploy.factories import make_option

NS, NAME = "llm-serving", "chat-8b"
SLOW = Snapshot(ttft_ms_p95=4000, requests_per_s=9.0)
FAST = Snapshot(ttft_ms_p95=50, requests_per_s=1.0)


class Scripted:
    """Hands out the snapshot the test sets now."""

    def __init__(self) -> None:
        self.now = FAST

    def snapshot(self) -> Snapshot:
        return self.now

    def close(self) -> None:
        return None


def _watched(records: MemoryRecords, cluster_dir: Path) -> Watched:
    option = make_option(replicas=1)
    requirements = Requirements.model_validate(
        {"slo": [{"metric": "ttft", "percentile": 95, "ms": 1000}]}
    )
    planned = PlannedLoad(input_tokens=512, output_tokens=256, peak_rps=2.0)
    entry = Watched(
        request_id="req-1",
        thread="slack:C1:1.0",
        namespace=NS,
        name=NAME,
        option=option,
        plan=watch_plan(NAME, option, planned, requirements),
    )
    records.put("day2:req-1", entry.model_dump_json())
    records.append(LIST_KEY, "req-1")
    folder = cluster_dir / NS / NAME
    folder.mkdir(parents=True)
    (folder / f"inferenceservice-{NAME}.yaml").write_text("kind: InferenceService\n")
    return entry


def test_one_post_per_episode_across_replicas_and_again_after_recovery(tmp_path: Path) -> None:
    records, source = MemoryRecords(), Scripted()
    entry = _watched(records, tmp_path)
    posted: list[tuple[str, Reply]] = []

    def watch() -> Day2Watch:
        return Day2Watch(
            records=records,
            cluster=DryRunCluster(tmp_path),
            metrics=lambda _: source,
            post=lambda thread, reply: posted.append((thread, reply)),
            sustain=2,
        )

    first, second = watch(), watch()
    source.now = SLOW
    assert [first.poll() + second.poll() for _ in range(4)] == [0, 1, 0, 0]
    ((thread, card),) = posted
    assert thread == entry.thread and "load above plan: 9.0 requests/s" in card.text
    assert entry.plan.slo_ttft_ms_p95 == 1000

    source.now = FAST
    for _ in range(2):
        first.poll()
        second.poll()
    assert records.get("day2:alerted:req-1") is None  # recovered: re-armed
    source.now = SLOW
    assert sum(first.poll() + second.poll() for _ in range(3)) == 1
    assert len(posted) == 2


def test_a_deployment_that_is_gone_is_not_polled(tmp_path: Path) -> None:
    records, source = MemoryRecords(), Scripted()
    _watched(records, tmp_path)
    (tmp_path / NS / NAME / f"inferenceservice-{NAME}.yaml").unlink()
    opened: list[str] = []

    def metrics(entry: Watched) -> SnapshotSource:
        opened.append(entry.name)
        return source

    watch = Day2Watch(records=records, cluster=DryRunCluster(tmp_path), metrics=metrics)
    source.now = SLOW
    assert [watch.poll() for _ in range(4)] == [0, 0, 0, 0] and opened == []


def test_the_watch_holds_the_targets_the_option_was_sized_for_assumed_ones_included() -> None:
    option = make_option(replicas=1)
    planned = PlannedLoad(
        input_tokens=512,
        output_tokens=256,
        peak_rps=2.0,
        slo=[{"metric": "ttft", "percentile": 95, "ms": 800}, {"metric": "itl", "ms": 60}],
    )
    plan = watch_plan(NAME, option, planned, Requirements())  # nothing stated: task defaults
    assert (plan.slo_ttft_ms_p95, plan.slo_itl_ms_p95) == (800, 60)
