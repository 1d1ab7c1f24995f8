"""``preflight chat`` as a user runs it: a subprocess reading piped lines until end of input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PREFLIGHT = Path(sys.executable).parent / "preflight"


def _chat(lines: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFLIGHT_")}
    env |= {
        "PREFLIGHT_DATA_DIR": str(tmp_path),
        "PREFLIGHT_CLUSTER__OUTPUT_DIR": str(tmp_path / "manifests"),
        "PREFLIGHT_AUDIT__PATH": str(tmp_path / "audit.jsonl"),
        "HF_HUB_OFFLINE": "1",
    }
    return subprocess.run(
        [str(PREFLIGHT), "chat", "--user", "ann"],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_piped_conversation_runs_to_a_comparison_and_exits_zero(tmp_path: Path) -> None:
    result = _chat(
        ["we need a chatbot", "1", "double the traffic", "deploy option 1", "1"], tmp_path
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "How much traffic" in out
    assert "Before" in out and "After" in out
    assert out.count("> ") == 5
    assert "Deploy option 1:" in out
    assert "Waiting for an approver" in out
    assert "Traceback" not in out + result.stderr


def test_a_number_picks_the_button_of_the_last_reply(tmp_path: Path) -> None:
    result = _chat(["hello", "2"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "rag" in result.stdout.lower()
    assert "How much traffic should the rag carry" in result.stdout
