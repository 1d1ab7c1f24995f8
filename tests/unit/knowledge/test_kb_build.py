"""Building the knowledge base and remembering it was built (over a fake at our own port)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from domain.benchmarks import BenchmarkRecord, DeploymentPattern
from domain.requirements import GpuFamily, Task
from knowledge import kb_build
from knowledge.kb import KbStats, Kind, SearchHit
from knowledge.records import add_ingested, load_records


class RecordingKb:
    """A KnowledgeBase that only counts what it is given."""

    def __init__(self) -> None:
        self.records: list[BenchmarkRecord] = []
        self.patterns: list[DeploymentPattern] = []
        self.optimized = False

    def search(
        self,
        text: str,
        *,
        kinds: Sequence[Kind] = (),
        task: Task | None = None,
        gpu_family: GpuFamily | None = None,
        limit: int = 5,
    ) -> list[SearchHit]:
        return []

    def upsert_records(self, records: Iterable[BenchmarkRecord]) -> int:
        self.records += list(records)
        return len(self.records)

    def upsert_patterns(self, patterns: Iterable[DeploymentPattern]) -> int:
        self.patterns += list(patterns)
        return len(self.patterns)

    def stats(self) -> KbStats:
        return KbStats(benchmarks=len(self.records), gpus=0, models=0, patterns=len(self.patterns))

    def optimize(self) -> None:
        self.optimized = True


def test_build_indexes_shipped_and_ingested_data_and_marks_it_built(tmp_path: Path) -> None:
    extra = load_records()[0].model_copy(update={"id": "bm-extra0000000001"})
    add_ingested(tmp_path, [extra])
    kb = RecordingKb()
    assert not kb_build.is_built(tmp_path, "preflight")
    report = kb_build.build(kb, data_dir=tmp_path, collection="preflight")
    assert (report.benchmarks, report.patterns) == (len(load_records()) + 1, len(kb.patterns))
    assert kb.optimized
    assert kb_build.is_built(tmp_path, "preflight")
    assert not kb_build.is_built(tmp_path, "other")


def test_new_ingested_data_makes_the_marker_stale(tmp_path: Path) -> None:
    kb_build.mark_built(tmp_path, "preflight")
    assert kb_build.is_built(tmp_path, "preflight")
    add_ingested(tmp_path, [load_records()[0].model_copy(update={"id": "bm-extra0000000002"})])
    assert not kb_build.is_built(tmp_path, "preflight")
