"""The learning loop through the real CLI: ingest a GuideLLM report, calibrate, recommend again.

Everything lives in a temporary data directory (``PREFLIGHT_DATA_DIR``): the ingested records,
the versioned calibrations and the recommendation's basis; the installed package is never
written. L40S is used because no shipped vLLM measurement covers it, so the new report decides
its calibration scope and must move the prediction.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from simulate.calibration import default_path
from simulate.calibration_store import CURRENT, folder, versions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
MODEL = "meta-llama/Llama-3.1-8B-Instruct"
SOURCE = "team_l40s"
SLOWER = 8.0  # latencies × 8: far slower than an L40S is predicted to be


def _slow_report(path: Path) -> Path:
    """The fixture's two valid GuideLLM runs with every latency eight times longer."""
    report = json.loads((FIXTURES / "guidellm_report.json").read_text())
    runs: list[dict[str, Any]] = report["benchmarks"][:2]
    for run in runs:
        metrics = run["metrics"]
        for name in ("time_to_first_token_ms", "inter_token_latency_ms", "request_latency"):
            stats = metrics[name]["successful"]
            for key in ("mean", "median"):
                stats[key] *= SLOWER
            stats["percentiles"] = {p: v * SLOWER for p, v in stats["percentiles"].items()}
        for name in ("requests_per_second", "output_tokens_per_second", "tokens_per_second"):
            stats = metrics[name]["successful"]
            for key in [k for k in ("mean", "median") if k in stats]:
                stats[key] /= SLOWER
            if "percentiles" in stats:
                stats["percentiles"] = {p: v / SLOWER for p, v in stats["percentiles"].items()}
    path.write_text(json.dumps({"benchmarks": runs}))
    return path


def _recommend(requirements: Path, env: dict[str, str]) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["recommend", "--requirements", str(requirements), "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def _l40s(answer: dict[str, Any]) -> dict[str, Any]:
    option: dict[str, Any] = next(o for o in answer["options"] if o["gpu_family"] == "L40S")
    return option


def test_an_ingested_report_recalibrates_and_moves_the_next_recommendation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PREFLIGHT_LLM__URL", "PREFLIGHT_KNOWLEDGE__QDRANT_URL"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    env = {"PREFLIGHT_DATA_DIR": str(data)}
    shipped_before = default_path().read_bytes()
    requirements = tmp_path / "requirements.json"
    requirements.write_text(
        json.dumps(
            {
                "task": "chatbot",
                "models": [MODEL],
                "gpu_families": ["L40S"],
                "concurrent_users": 20,
                "slo": [{"metric": "ttft", "percentile": 95, "ms": 5000}],
            }
        )
    )
    before = _recommend(requirements, env)
    assert before["basis"]["calibration_version"].startswith("shipped-")

    report = _slow_report(tmp_path / "guidellm-l40s.json")
    ingest = CliRunner().invoke(
        app,
        [
            *["ingest", str(report), "--gpu", "L40S", "--tp", "1", "--source-id", SOURCE],
            *["--engine-version", "0.11.0", "--json"],  # the deployed image's vLLM
        ],
        env=env,
    )
    assert ingest.exit_code == 0, ingest.output
    assert json.loads(ingest.stdout)["new"] == 2
    calibrate = CliRunner().invoke(
        app, ["simulate", "calibrate", "--only", "vllm 0.10+:L40S"], env=env
    )
    assert calibrate.exit_code == 0, calibrate.output
    assert (folder(data) / CURRENT).exists() and len(versions(data)) == 1

    after = _recommend(requirements, env)
    assert after["basis"]["calibration_version"] == versions(data)[0]
    assert after["basis"]["measured_records"] == before["basis"]["measured_records"] + 2
    assert after["basis"]["knowledge_version"] != before["basis"]["knowledge_version"]
    old, new = _l40s(before), _l40s(after)
    assert (new["gpu"], new["precision"], new["replicas"]) == (old["gpu"], old["precision"], 1)
    # Two records against a prior towards the NVIDIA scope: the fit moves, it does not jump.
    # (TTFT moves least: in the vllm 0.10+ band most of a short prompt's TTFT is the fitted
    # per-request overhead, which two records barely pull.)
    for metric, moved in (("itl_ms_p50", 1.1), ("ttft_ms_p50", 1.05)):
        assert new["predicted"][metric] > moved * old["predicted"][metric]
    cited = [e for e in new["evidence"] if e.get("source_id") == SOURCE]
    assert cited and cited[0]["record_id"]
    assert default_path().read_bytes() == shipped_before  # the package was not written
