"""Day-2 watch against a real Prometheus (Debian's ``prometheus``; ``.ci/run`` installs it).

The test starts Prometheus scraping a local endpoint that exports vLLM's metric names every
second, reads the deployment's p95s through the Prometheus HTTP API with
:class:`~deploy.prometheus_metrics.PrometheusMetrics`, and feeds a
:class:`~deploy.drift_watch.DriftWatch` poll by poll: while the deployment runs as planned
nothing is posted; once traffic triples and TTFT climbs past the SLO, exactly one message is
posted (cause and fixing what-if included), however many polls follow.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from deploy.drift_watch import DriftWatch, Snapshot, WatchPlan
from deploy.prometheus_metrics import PrometheusMetrics
from domain.errors import BackendUnavailableError
from tests.scenario.loopback import serving
from tests.scenario.vllm_exporter import Exporter

WAIT_S = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def exporter() -> Iterator[Exporter]:
    metrics = Exporter()
    with serving(metrics.server):
        yield metrics


@pytest.fixture
def prometheus(exporter: Exporter, tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("Debian's prometheus is not installed (.ci/run installs it)")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: vllm\n"
        f"    static_configs:\n      - targets: ['{exporter.address}']\n"
    )
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _until(metrics: PrometheusMetrics, ready: Callable[[Snapshot], bool]) -> Snapshot:
    deadline = time.monotonic() + WAIT_S
    snapshot = None
    while True:
        try:
            snapshot = metrics.snapshot()
            if ready(snapshot):
                return snapshot
        except BackendUnavailableError:  # Prometheus still starting: keep waiting
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"Prometheus never showed the expected data: {snapshot}")
        time.sleep(0.5)


def test_drift_past_the_slo_posts_one_message_with_cause_and_fix(
    exporter: Exporter, prometheus: str
) -> None:
    plan = WatchPlan(
        deployment="chat-8b",
        replicas=2,
        gpu="L40S",
        precision="fp8",
        planned_rps=5.0,
        planned_input_tokens=512,
        slo_ttft_ms_p95=1000,
        predicted_ttft_ms_p95=300,
        predicted_itl_ms_p95=30,
    )
    posted: list[str] = []
    watch = DriftWatch(plan, post=posted.append, sustain=3)
    metrics = PrometheusMetrics(url=prometheus, selector='job="vllm"', window="5s")
    try:
        calm = _until(metrics, lambda s: s.ttft_ms_p95 is not None and bool(s.requests_per_s))
        assert calm.ttft_ms_p95 is not None and calm.ttft_ms_p95 < 300
        assert calm.kv_cache_usage == pytest.approx(0.4)
        for _ in range(4):
            assert watch.observe(metrics.snapshot()) is None
            time.sleep(0.5)
        assert posted == []

        exporter.load.rps, exporter.load.ttft_s, exporter.load.kv_usage = 15.0, 2.0, 0.7
        _until(metrics, lambda s: (s.ttft_ms_p95 or 0) > 1000 and (s.requests_per_s or 0) > 10)
        drifts = []
        for _ in range(8):
            drift = watch.observe(metrics.snapshot())
            drifts += [drift] if drift else []
            time.sleep(0.5)
    finally:
        metrics.close()
    assert len(posted) == 1 and len(drifts) == 1
    assert "TTFT p95" in posted[0] and "over the SLO (1,000 ms)" in posted[0]
    assert "load above plan" in drifts[0].cause
    # 2 replicas sized for 5 requests/s, now 10-15 read over a 5 s window: 4 to 7 replicas
    assert re.fullmatch(r"what if [4-7] replicas \(now 2\)", drifts[0].what_if)
    assert watch.alerted
