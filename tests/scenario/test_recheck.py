""" "recheck" in a thread, after new data arrived in a running Preflight.

The flow is wired as ``preflight serve`` wires it (``bot.wiring.build_flow`` with its reloading
recommender over a temporary data directory). Mid-conversation a team ingests a GuideLLM report
of Llama 3.1 8B on L40S eight times slower than predicted and recalibrates, through the real
CLI; "recheck" then shows the calibration and records that changed, the deployed-to-be option's
prediction moving, and the new measurement cited. A second "recheck" finds nothing new.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.conversation.replies import ReplyKind
from bot.wiring import build_flow
from tests.scenario.conversation_harness import TestBot, settings_for
from tests.scenario.test_learning_loop import SOURCE, _slow_report

ASK = "Chatbot for 20 users with Llama 3.1 8B on L40S, first token under 5 seconds"


def test_recheck_shows_what_new_data_changed_in_an_old_recommendation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PREFLIGHT_LLM__URL", "PREFLIGHT_KNOWLEDGE__QDRANT_URL"):
        monkeypatch.delenv(name, raising=False)
    bot = TestBot(build_flow(settings_for(tmp_path)), thread=f"t:{uuid.uuid4().hex[:8]}")
    (first,) = bot.say(ASK)
    assert first.kind is ReplyKind.RECOMMENDATION, first.plain_text()
    before = bot.state.recommendation
    assert before is not None and before.basis is not None
    assert before.options[0].gpu_family == "L40S"

    (same,) = bot.say("recheck")
    assert "predicts the same" in same.text and "unchanged" in same.plain_text()

    env = {"PREFLIGHT_DATA_DIR": str(tmp_path)}
    report = _slow_report(tmp_path / "guidellm-l40s.json")
    args = ["ingest", str(report), "--gpu", "L40S", "--tp", "1", "--source-id", SOURCE]
    args += ["--engine-version", "0.11.0"]  # the deployed image's vLLM
    assert CliRunner().invoke(app, args, env=env).exit_code == 0
    calibrate = ["simulate", "calibrate", "--only", "vllm 0.10+:L40S"]
    assert CliRunner().invoke(app, calibrate, env=env).exit_code == 0

    (card,) = bot.say("recheck")
    assert card.kind is ReplyKind.COMPARISON
    text = card.plain_text()
    assert card.text.startswith("Rechecked on today's data: option 1"), text
    assert "TTFT p95" in card.text and "ITL p95" in card.text
    fields = {field.label: field.value for field in card.fields}
    assert fields["Calibration"].startswith(f"{before.basis.calibration_version} → ")
    assert "(+2;" in fields["Measured records"]
    assert f"[{SOURCE}]" in fields["Newly cited measurements"]
    after = bot.state.recommendation
    assert after is not None and after.basis is not None and after.basis != before.basis
    old, new = before.options[0], after.options[0]
    assert new.predicted.itl_ms_p95 > 1.1 * old.predicted.itl_ms_p95

    (again,) = bot.say("recheck")
    assert "predicts the same" in again.text
