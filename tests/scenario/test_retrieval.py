"""Retrieval on the answer path: a built knowledge base shapes the recommendation and its card.

One embedded store (Qdrant Edge, real MiniLM embeddings) is built per module in a temporary data
directory from every pattern and a slice of the measured records plus every Qwen3-32B record;
the engine is handed the real :class:`~knowledge.retrieval.KnowledgeRetriever` over it. The same
requirements without a retriever are the control.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.conversation.cards import recommendation_card
from domain.recommendation import Recommendation
from domain.requirements import Requirements, Task
from knowledge import kb_build
from knowledge.edge_kb import EdgeKnowledgeBase
from knowledge.patterns import load_patterns
from knowledge.records import load_records
from knowledge.retrieval import KnowledgeRetriever
from recommend.context import RecommendContext, default_context
from recommend.engine import recommend

LONG_RAG = "rag-70b-h100-tp4-fp8-long-context"
QWEN = "Qwen/Qwen3-32B"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("learning")
    records = load_records()
    chosen = {r.id: r for r in [*records[::15], *(r for r in records if r.model == QWEN)]}
    with kb_build.open_knowledge_base(data_dir=folder) as kb:
        kb.upsert_patterns(load_patterns())
        kb.upsert_records(chosen.values())
    kb_build.mark_built(folder, "preflight")
    return folder


@pytest.fixture(scope="module")
def contexts(data_dir: Path) -> Iterator[tuple[RecommendContext, RecommendContext]]:
    kb = EdgeKnowledgeBase(path=kb_build.store_path(data_dir))
    retriever = KnowledgeRetriever(kb, patterns=load_patterns(), records=load_records())
    yield default_context(retriever=retriever), default_context()
    kb.close()


def _long_rag() -> Requirements:
    return Requirements.model_validate(
        {
            "task": "rag",
            "models": ["meta-llama/Llama-3.3-70B-Instruct"],
            "gpu_families": ["H100"],
            "min_context_tokens": 32768,
            "requests_per_second": 2,
        }
    )


def _card_lines(recommendation: Recommendation, requirements: Requirements) -> list[str]:
    card = recommendation_card(recommendation, requirements)
    # evidence sits with the other details, folded behind "How was this computed?"
    return [f"{field.label}: {field.value}" for field in (*card.fields, *card.details)]


def test_a_retrieved_pattern_changes_the_prompt_assumption_and_is_on_the_card(
    contexts: tuple[RecommendContext, RecommendContext],
) -> None:
    with_kb, without = contexts
    requirements = _long_rag()
    control = recommend(requirements, context=without, limit=3)
    answer = recommend(requirements, context=with_kb, limit=3)
    assert any("Prompts of ~4096 tokens assumed (rag default)" in a for a in control.assumptions)
    learned = [a for a in answer.assumptions if LONG_RAG in a]
    assert learned and "Prompts of ~8000 tokens" in learned[0]
    assert not any("Prompts of ~4096" in a for a in answer.assumptions)
    assert answer.options[0].predicted.ttft_ms_p50 > control.options[0].predicted.ttft_ms_p50
    lines = _card_lines(answer, requirements)
    assert any(line.startswith("Assumed: Prompts of ~8000") for line in lines)
    assert any(line.startswith("Knowledge base: Similar deployment") and LONG_RAG in line
               for line in lines)  # fmt: skip
    assert not control.retrieved


def test_the_closest_measured_run_is_cited_with_its_source_id(
    contexts: tuple[RecommendContext, RecommendContext],
) -> None:
    with_kb, _ = contexts
    requirements = Requirements.model_validate(
        {"task": "chatbot", "models": [QWEN], "gpu_families": ["A100"], "concurrent_users": 50}
    )
    answer = recommend(requirements, context=with_kb, limit=3)
    measured = [e for e in answer.retrieved if e.kind == "measurement"]
    assert measured
    by_id = {r.id: r for r in load_records()}
    cited = by_id[str(measured[0].record_id)]
    assert (cited.model, cited.gpu.startswith("A100")) == (QWEN, True)
    assert measured[0].source_id == cited.provenance.source_id == "gpustack_perf_lab"
    lines = _card_lines(answer, requirements)
    assert any("Closest measured run" in line and "[gpustack_perf_lab]" in line for line in lines)


def test_recommend_json_carries_what_was_retrieved_and_its_basis(
    data_dir: Path, contexts: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFLIGHT_KNOWLEDGE__QDRANT_URL", raising=False)
    path = data_dir / "requirements.json"
    path.write_text(_long_rag().model_dump_json())
    fresh = data_dir.parent / "cli"  # the module's store is held open: copy it for the CLI
    shutil.copytree(data_dir, fresh)
    result = CliRunner().invoke(
        app,
        ["recommend", "--requirements", str(path), "--json"],
        env={"PREFLIGHT_DATA_DIR": str(fresh)},
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert LONG_RAG in {e.get("pattern_id") for e in answer["retrieved"]}
    assert answer["basis"]["calibration_version"].startswith("shipped-")


def test_a_similar_pattern_does_not_admit_a_family_the_task_rule_excludes(
    contexts: tuple[RecommendContext, RecommendContext],
) -> None:
    """Two of the 31 patterns run a model not tagged for their task, both code completion
    (Llama 3.1 8B base, Qwen2.5-7B-Instruct): neither is a fill-in-the-middle model, so letting
    a similar pattern (score ≥ 0.35) admit its family would break expert rule 5 — answers would
    get worse, so retrieval cites the pattern and the task rule still decides the candidates."""
    with_kb, _ = contexts
    requirements = Requirements.model_validate(
        {"task": "code_completion", "gpu_families": ["A10G"], "requests_per_second": 4}
    )
    answer = recommend(requirements, context=with_kb, limit=5)
    cited = {e.pattern_id for e in answer.retrieved if e.kind == "pattern"}
    assert "code-completion-8b-a10g-awq" in cited
    models = default_context().models
    assert answer.options
    assert all(Task.CODE_COMPLETION in models[o.model].tasks for o in answer.options)
    assert "meta-llama/Llama-3.1-8B" not in {o.model for o in answer.options}


def test_a_retriever_given_the_records_now_cites_what_it_could_not_resolve_before(
    contexts: tuple[RecommendContext, RecommendContext],
) -> None:
    with_kb, _ = contexts
    retriever = with_kb.retriever
    assert isinstance(retriever, KnowledgeRetriever)
    requirements = Requirements.model_validate(
        {"task": "chatbot", "models": [QWEN], "gpu_families": ["A100"], "concurrent_users": 50}
    )
    (cited,) = retriever(requirements).measured[:1]
    blind = retriever.with_records(r for r in load_records() if r.model != QWEN)
    assert cited.record.id not in {run.record.id for run in blind(requirements).measured}
    again = blind.with_records(load_records())
    assert cited.record.id in {run.record.id for run in again(requirements).measured}
