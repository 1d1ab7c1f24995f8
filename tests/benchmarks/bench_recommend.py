"""Recommendation benchmark: scenario pass rate, latency over the full catalog, CLI cold start.

Run with ``.venv/bin/python -m tests.benchmarks recommend``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bot.settings import Settings
from bot.understanding.reader import understand
from bot.wiring import engine_versions
from domain.requirements import Requirements
from recommend.context import RecommendContext, default_context
from recommend.engine import recommend
from recommend.inputs import requirements_from_mapping
from tests.conftest import EVAL_DIR, REPO
from tests.scenario.test_scenarios_recommend import _check

# Requirements that leave model and GPU open, so the whole catalog is searched.
FULL_CATALOG = [
    {"task": "chatbot", "concurrent_users": 200},
    {"task": "rag", "requests_per_second": 5.0},
    {"task": "code_completion", "requests_per_second": 20.0, "priority": "latency"},
    {"task": "summarization", "requests_per_day": 50_000, "priority": "cost"},
    {"task": "agentic", "concurrent_users": 20, "priority": "accuracy"},
    {"task": "translation", "requests_per_day": 1_000_000, "license": "permissive"},
    {"task": "chatbot", "budget_usd_month": 5000, "concurrent_users": 500},
    {},
]
_ROUNDS = 3
_COLD_RUNS = 3


def _scenarios(context: RecommendContext, *, from_text: bool) -> tuple[int, int, list[str]]:
    path = EVAL_DIR / "scenarios.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    failed = []
    for case in cases:
        if from_text:
            requirements = understand(case["text"], models=context.models)
        else:
            requirements = requirements_from_mapping(case["requirements"], context.models)
        answer = recommend(requirements, context=context)
        problems = [w for rule in case["must"] if (w := _check(rule, answer, case["requirements"]))]
        if problems:
            failed.append(f"{case['id']}: {problems}")
    return len(cases) - len(failed), len(cases), failed


def _latencies(context: RecommendContext) -> list[float]:
    times = []
    for _ in range(_ROUNDS):
        for data in FULL_CATALOG:
            requirements = Requirements.model_validate(data)
            start = time.perf_counter()
            recommend(requirements, context=context)
            times.append(time.perf_counter() - start)
    return times


def _cold_start() -> list[tuple[float, float]]:
    """(wall, CPU) seconds of whole ``preflight recommend --requirements`` processes."""
    case = {"task": "chatbot", "models": ["meta-llama/Llama-3.1-8B"], "concurrent_users": 50}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(case, handle)
    command = [str(Path(sys.executable).parent / "preflight"), "recommend", "--requirements"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    times = []
    for _ in range(_COLD_RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            [*command, handle.name, "--json"], check=True, capture_output=True, cwd=REPO, env=env
        )
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        times.append((wall, cpu))
    Path(handle.name).unlink()
    return times


def main() -> None:
    """Print scenario pass rates, full-catalog latency p50/p95 and CLI cold start."""
    start = time.perf_counter()
    context = default_context(engine_versions=engine_versions(Settings()))
    print(f"context load: {time.perf_counter() - start:.2f} s")
    for from_text in (False, True):
        passed, total, failed = _scenarios(context, from_text=from_text)
        source = "text (via bot.understanding.reader)" if from_text else "structured requirements"
        print(f"scenarios from {source}: {passed}/{total} pass ({passed / total:.0%})")
        for line in failed:
            print(f"  FAIL {line}")
    times = sorted(_latencies(context))
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"full-catalog recommend ({len(times)} runs): p50 {statistics.median(times):.3f} s, "
        f"p95 {p95:.3f} s, max {times[-1]:.3f} s"
    )
    cold = _cold_start()
    shown = ", ".join(f"{wall:.2f} s wall / {cpu:.2f} s CPU" for wall, cpu in cold)
    print(f"`preflight recommend --requirements` cold start (target ≤ 3 s): {shown}")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
