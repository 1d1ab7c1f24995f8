"""Drift decisions: what is drift, which cause, one message per drift, re-armed on recovery."""

from __future__ import annotations

import pytest

from deploy.drift_watch import DriftWatch, Snapshot, WatchPlan, breaches, diagnose

PLAN = WatchPlan(
    deployment="rag-8b",
    replicas=2,
    gpu="L40S",
    precision="bf16",
    planned_rps=4.0,
    planned_input_tokens=4096,
    slo_ttft_ms_p95=2000,
    slo_itl_ms_p95=60,
    predicted_ttft_ms_p95=800,
    predicted_itl_ms_p95=40,
)
CALM = Snapshot(ttft_ms_p95=700, itl_ms_p95=35, requests_per_s=4, prompt_tokens_mean=4000)


@pytest.mark.parametrize(
    ("snapshot", "cause", "fix"),
    [
        pytest.param(
            Snapshot(ttft_ms_p95=3000, requests_per_s=10),
            "load above plan",
            "what if 5 replicas",
            id="load",
        ),
        pytest.param(
            Snapshot(ttft_ms_p95=3000, requests_per_s=4, prompt_tokens_mean=9000),
            "prompts longer than planned",
            "larger GPU than L40S",
            id="long-prompts",
        ),
        pytest.param(
            Snapshot(itl_ms_p95=90, requests_per_s=4, prompt_tokens_mean=4000, kv_cache_usage=0.97),
            "KV-cache pressure",
            "what if fp8",
            id="kv-pressure",
        ),
        pytest.param(
            Snapshot(itl_ms_p95=90, requests_per_s=4), "not clear", "GuideLLM", id="unclear"
        ),
    ],
)
def test_the_likely_cause_and_its_fix(snapshot: Snapshot, cause: str, fix: str) -> None:
    found_cause, what_if = diagnose(PLAN, snapshot)
    assert cause in found_cause and fix in what_if


def test_above_the_band_but_under_the_slo_is_drift_too() -> None:
    (breach,) = breaches(PLAN, Snapshot(ttft_ms_p95=1200))
    assert (breach.slo_ms, breach.band_ms) == (None, 1000)
    assert breaches(PLAN, CALM) == []


def test_one_message_per_drift_and_another_only_after_recovery() -> None:
    posted: list[str] = []
    watch = DriftWatch(PLAN, post=posted.append, sustain=2)
    slow = Snapshot(ttft_ms_p95=3000, requests_per_s=10)
    for snapshot in [slow, slow, slow, slow, CALM, slow, slow]:  # a blip does not re-arm
        watch.observe(snapshot)
    assert len(posted) == 1
    for snapshot in [CALM, CALM, slow, slow]:
        watch.observe(snapshot)
    assert len(posted) == 2
    assert "TTFT p95 3,000 ms: over the SLO (2,000 ms)" in posted[1]
