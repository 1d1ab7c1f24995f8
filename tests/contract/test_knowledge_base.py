"""Contract of the knowledge-base port, one suite over every implementation, real embeddings.

Implementations: Qdrant Edge (the embedded default, Qdrant's engine in-process) and
qdrant-client through LlamaIndex (what serves a Qdrant server; run here in its local mode, as no
server runs on the test machine). Each store is built once per session in a temporary folder
from every pattern and a slice of the measured records (building all 6,388 is the benchmark's
job, not the tests').
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.benchmarks import BenchmarkRecord
from domain.errors import BackendUnavailableError
from domain.requirements import GpuFamily, Task
from knowledge.edge_kb import EdgeKnowledgeBase
from knowledge.embedder import MiniLmEmbedding
from knowledge.kb import KnowledgeBase
from knowledge.patterns import load_patterns
from knowledge.qdrant_kb import QdrantKnowledgeBase
from knowledge.records import load_records

Store = EdgeKnowledgeBase | QdrantKnowledgeBase

RETRIEVAL_SET = Path(__file__).resolve().parents[1] / "data" / "retrieval_set.jsonl"


@pytest.fixture(scope="session")
def subset() -> list[BenchmarkRecord]:
    records = load_records()
    return records[::40]


@pytest.fixture(scope="session")
def embedder() -> MiniLmEmbedding:
    return MiniLmEmbedding()


def _open(kind: str, path: Path, embedder: MiniLmEmbedding) -> Store:
    if kind == "edge":
        return EdgeKnowledgeBase(path=path, embedder=embedder)
    return QdrantKnowledgeBase(path=path, embedder=embedder)


@pytest.fixture(scope="session", params=["edge", "qdrant-client"])
def kb_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def kb_path(tmp_path_factory: pytest.TempPathFactory, kb_kind: str) -> Path:
    return tmp_path_factory.mktemp(kb_kind) / "kb"


@pytest.fixture(scope="session")
def kb(
    kb_kind: str, kb_path: Path, subset: list[BenchmarkRecord], embedder: MiniLmEmbedding
) -> Iterator[Store]:
    store = _open(kb_kind, kb_path, embedder)
    store.upsert_patterns(load_patterns())
    store.upsert_records(subset)
    store.optimize()
    yield store
    store.close()


def test_it_is_a_knowledge_base(kb: Store) -> None:
    port: KnowledgeBase = kb
    assert port.stats().patterns == len(load_patterns())


def test_stats_count_what_was_indexed(kb: Store, subset: list[BenchmarkRecord]) -> None:
    stats = kb.stats()
    assert (stats.benchmarks, stats.patterns) == (len(subset), len(load_patterns()))
    assert stats.gpus >= 24 and stats.models >= 74


def test_upserting_again_changes_nothing(kb: Store, subset: list[BenchmarkRecord]) -> None:
    before = kb.stats()
    assert kb.upsert_records(subset[:40]) == 40
    assert kb.upsert_patterns(load_patterns()[:3]) == 3
    assert kb.stats() == before


def test_hits_are_ranked_and_carry_their_fields(kb: Store) -> None:
    hits = kb.search("llama 70B serving on H100 with fp8", limit=8)
    assert len(hits) == 8
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for hit in hits:
        assert hit.id and hit.title and hit.kind in ("pattern", "benchmark")
        assert hit.metadata["gpu_family"]


@pytest.mark.parametrize(
    ("kwargs", "check"),
    [
        pytest.param({"kinds": ("benchmark",)}, lambda h: h.kind == "benchmark", id="kind"),
        pytest.param({"kinds": ("pattern",)}, lambda h: h.kind == "pattern", id="kind-pattern"),
        pytest.param(
            {"task": Task.RAG, "kinds": ("pattern",)},
            lambda h: h.metadata["task"] == "rag",
            id="task",
        ),
        pytest.param(
            {"gpu_family": GpuFamily.MI300X},
            lambda h: h.metadata["gpu_family"] == "MI300X",
            id="gpu-family",
        ),
        pytest.param(
            {"gpu_family": GpuFamily.A100, "kinds": ("benchmark",)},
            lambda h: h.metadata["gpu_family"] == "A100",
            id="family-benchmarks",
        ),
    ],
)
def test_filters(kb: Store, kwargs: dict[str, object], check: object) -> None:
    hits = kb.search("throughput of a large model", limit=5, **kwargs)  # type: ignore[arg-type]
    assert hits
    assert all(check(hit) for hit in hits)  # type: ignore[operator]


def test_a_filter_nothing_matches_gives_no_hits(kb: Store) -> None:
    assert kb.search("anything", kinds=("benchmark",), gpu_family=GpuFamily.GB300) == []


def test_benchmark_hits_list_measured_record_ids(kb: Store, subset: list[BenchmarkRecord]) -> None:
    ids = {record.id for record in subset}
    hits = kb.search("Mixtral on MI300X", kinds=("benchmark",), limit=5)
    for hit in hits:
        assert hit.id in ids
        assert set(hit.metadata["record_ids"]) <= ids


def test_cost_first_nightly_summarization_finds_summarization_or_batch_patterns(
    kb: Store,
) -> None:
    hits = kb.search("nightly summarization of 30k support tickets, cost matters most", limit=3)
    assert [h.kind for h in hits] == ["pattern"] * 3
    assert hits[0].metadata["task"] in ("summarization", "batch")


def test_retrieval_recall_at_3(kb: Store) -> None:
    cases = [json.loads(line) for line in RETRIEVAL_SET.read_text().splitlines() if line.strip()]
    assert len(cases) >= 100
    recalls = []
    for case in cases:
        top = [h.id for h in kb.search(case["query"], kinds=("pattern",), limit=3)]
        relevant = set(case["relevant"])
        recalls.append(len(relevant & set(top)) / min(len(relevant), 3))
    assert sum(recalls) / len(recalls) >= 0.9


def test_a_locked_local_store_is_reported_as_unavailable(
    kb: Store, kb_kind: str, kb_path: Path, embedder: MiniLmEmbedding
) -> None:
    with pytest.raises(BackendUnavailableError) as info:
        _open(kb_kind, kb_path, embedder)
    assert "in use" in info.value.detail


def test_a_store_reopened_keeps_what_was_indexed(
    kb_kind: str, tmp_path: Path, embedder: MiniLmEmbedding, subset: list[BenchmarkRecord]
) -> None:
    with _open(kb_kind, tmp_path / "kb", embedder) as first:
        first.upsert_records(subset[:30])
        first.upsert_patterns(load_patterns()[:4])
    with _open(kb_kind, tmp_path / "kb", embedder) as again:
        assert (again.stats().benchmarks, again.stats().patterns) == (30, 4)
        more = [r.model_copy(update={"id": r.id + "-rerun"}) for r in subset[:5]]
        again.upsert_records(more)
        assert again.stats().benchmarks == 35
        hits = again.search(subset[0].model, kinds=("benchmark",), limit=30)
        ids = {rid for hit in hits for rid in hit.metadata["record_ids"]}
        assert {subset[0].id, subset[0].id + "-rerun"} <= ids


def test_an_unreachable_server_is_reported_as_unavailable() -> None:
    store = QdrantKnowledgeBase(url="http://127.0.0.1:9")
    with pytest.raises(BackendUnavailableError) as info:
        store.stats()
    assert info.value.service == "Qdrant"
