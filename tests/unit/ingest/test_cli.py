"""``preflight ingest`` end to end into a local data folder (no knowledge base built)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from ingest.cli import register
from knowledge.records import load_records

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ingest"


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps "ingest" a sub-command
        """Nothing."""

    return app


def test_ingest_reports_bad_rows_and_reingest_changes_nothing(tmp_path: Path) -> None:
    args = [
        "ingest",
        str(FIXTURES / "bench_rows.csv"),
        str(FIXTURES / "guidellm_report.json"),
        "--gpu",
        "H100",
        "--data-dir",
        str(tmp_path),
        "--json",
    ]
    first = CliRunner().invoke(_app(), args)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert (summary["records"], summary["new"], summary["indexed"]) == (5, 5, 0)
    assert {(b["line"], Path(b["file"]).name) for b in summary["bad_rows"]} >= {
        (4, "bench_rows.csv"),
        (3, "guidellm_report.json"),
    }
    again = json.loads(CliRunner().invoke(_app(), args).stdout)
    assert again["new"] == 0
    assert len(load_records(tmp_path)) == len(load_records()) + 5


def test_an_unreadable_file_exits_with_a_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(), ["ingest", str(tmp_path / "missing.json"), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "missing.json" in result.output
