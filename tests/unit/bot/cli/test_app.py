"""Tests of bot.cli.app: every command is listed, and command modules load only when used."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.app import COMMAND_MODULES, _commands, app
from tests.conftest import REPO


@pytest.mark.parametrize(
    "module", [pytest.param(m, id=m) for m in sorted(set(COMMAND_MODULES.values()))]
)
def test_the_command_table_names_what_each_module_registers(module: str) -> None:
    register = importlib.import_module(module).register
    listed = {name for name, owner in COMMAND_MODULES.items() if owner == module}
    assert set(_commands(register)) == listed


def test_help_lists_every_command_plain_commands_first() -> None:
    script = Path(sys.executable).parent / "preflight"
    env = {**os.environ, "COLUMNS": "100"}
    out = subprocess.run(
        [str(script), "--help"], check=True, capture_output=True, text=True, cwd=REPO, env=env
    )
    positions = {name: out.stdout.find(f"│ {name} ") for name in [*COMMAND_MODULES, "ingest"]}
    assert all(at >= 0 for at in positions.values()), positions
    assert positions["serve"] < positions["ingest"] < positions["kb"] < positions["audit"]


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_importing_the_cli_loads_no_command_module() -> None:
    probe = (
        "import sys, bot.cli.app; "
        "print(sorted(m for m in sys.modules if m.startswith(('bot.cli_', 'ingest', 'simulate'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"


def test_a_command_runs_after_its_module_loads_on_demand() -> None:
    result = CliRunner().invoke(app, ["understand", "chatbot for 300 users", "--json", "--no-llm"])
    assert result.exit_code == 0
    assert '"user_population": 300' in result.output
    assert isinstance(app, typer.Typer)


def test_simulate_run_sizes_a_checkpoint_at_the_precision_it_ships_in() -> None:
    # gpt-oss-120b ships MXFP4 (~61 GiB) and fits one 80 GB GPU; sized as bf16 it needed 218 GiB.
    args = ["simulate", "run", "--model", "openai/gpt-oss-120b", "--gpu", "H100-SXM-80GB"]
    args += ["--input-tokens", "1000", "--output-tokens", "200", "--concurrency", "8", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    memory = json.loads(result.output)["memory"]
    assert memory["fits"] is True
