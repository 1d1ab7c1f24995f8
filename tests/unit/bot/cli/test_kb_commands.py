"""``preflight kb`` commands over a small local store (JSON shapes, --if-missing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import kb_commands
from knowledge import kb_build
from knowledge.patterns import load_patterns
from knowledge.records import load_records


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("preflight")
    with kb_build.open_knowledge_base(data_dir=folder) as kb:
        kb.upsert_patterns(load_patterns())
        kb.upsert_records(load_records()[::200])
    kb_build.mark_built(folder, "preflight")
    return folder


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()
    kb_commands.register(root)
    return root


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return {"PREFLIGHT_DATA_DIR": str(data_dir)}


def test_stats_json_has_the_four_counts(app: typer.Typer, env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["kb", "stats", "--json"], env=env)
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert set(counts) == {"benchmarks", "gpus", "models", "patterns"}
    assert counts["patterns"] == len(load_patterns())
    assert counts["benchmarks"] == len(load_records()[::200])


def test_search_json_lists_hits(app: typer.Typer, env: dict[str, str]) -> None:
    args = ["kb", "search", "nightly summarization of support tickets, cost first", "--json"]
    result = CliRunner().invoke(app, [*args, "--limit", "4"], env=env)
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 4
    assert {"id", "kind", "title", "score"} <= set(hits[0])
    assert hits[0]["kind"] == "pattern"
    assert hits[0]["metadata"]["task"] in ("summarization", "batch")


def test_search_filters_by_kind_task_and_gpu(app: typer.Typer, env: dict[str, str]) -> None:
    args = ["kb", "search", "fast answers", "--task", "rag", "--gpu", "l40s", "--kind", "pattern"]
    result = CliRunner().invoke(app, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert hits
    assert all(
        h["metadata"]["task"] == "rag" and h["metadata"]["gpu_family"] == "L40S" for h in hits
    )


def test_an_unknown_gpu_family_is_a_usage_error(app: typer.Typer, env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["kb", "search", "x", "--gpu", "Z9000"], env=env)
    assert result.exit_code == 2
    assert "Z9000" in result.output


def test_build_if_missing_returns_at_once_when_built(app: typer.Typer, env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["kb", "build", "--if-missing"], env=env)
    assert result.exit_code == 0, result.output
    assert "already built" in result.stdout


def test_build_from_a_seed_unpacks_the_archived_store(
    app: typer.Typer, env: dict[str, str], tmp_path: Path
) -> None:
    seed = tmp_path / "kb-seed.tar.gz"
    packed = CliRunner().invoke(app, ["kb", "archive", "--out", str(seed)], env=env)
    assert packed.exit_code == 0, packed.output
    pod = {"PREFLIGHT_DATA_DIR": str(tmp_path / "pod")}
    result = CliRunner().invoke(app, ["kb", "build", "--if-missing", "--seed", str(seed)], env=pod)
    assert result.exit_code == 0, result.output
    assert "unpacked" in result.stdout
    stats = CliRunner().invoke(app, ["kb", "stats", "--json"], env=pod)
    assert json.loads(stats.stdout)["benchmarks"] == len(load_records()[::200])


def test_archive_refuses_an_unbuilt_store(app: typer.Typer, tmp_path: Path) -> None:
    env = {"PREFLIGHT_DATA_DIR": str(tmp_path)}
    args = ["kb", "archive", "--out", str(tmp_path / "s.tar.gz")]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2
    assert "not built" in result.output
