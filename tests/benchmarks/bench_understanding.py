"""Understanding: field accuracy on the evaluation sets, and ``preflight understand`` cold start.

Field accuracy is scored as ``shared/eval/README.md`` defines it: a case's score is the share of
all schema fields (stated and unstated alike) that come back right; the figure is the mean over
cases. Lists compare as sets (latency targets as (metric, ms, percentile) triples), numbers with a
relative tolerance of 1e-6.

Run: ``.venv/bin/python -m tests.benchmarks understanding``.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from domain.requirements import Requirements
from tests.conftest import EVAL_DIR

FIELDS = tuple(Requirements.model_fields)
COLD_START_RUNS = 5


def _normal(name: str, value: Any) -> Any:
    """A field value in a form where equal meanings compare equal."""
    if value in (None, []):
        return None
    if name == "slo":
        return frozenset(
            (target["metric"], float(target["ms"]), int(target.get("percentile", 95)))
            for target in value
        )
    if isinstance(value, list):
        return frozenset(value)
    return value


def _same(name: str, expected: Any, got: Any) -> bool:
    want, have = _normal(name, expected), _normal(name, got)
    if isinstance(want, int | float) and isinstance(have, int | float):
        return math.isclose(float(want), float(have), rel_tol=1e-6)
    return bool(want == have)


def score_case(expected: Mapping[str, Any], got: Mapping[str, Any]) -> dict[str, bool]:
    """Which schema fields of one case came back right.

    Args:
        expected: The case's ``expect`` (only stated fields; the rest must come back empty).
        got: ``Requirements.model_dump(mode="json")`` of the parse.

    Returns:
        Field name → right or wrong, for every field of the schema.
    """
    return {name: _same(name, expected.get(name), got.get(name)) for name in FIELDS}


def load_cases(name: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Cases of an evaluation set as (id, text, expected fields).

    Args:
        name: ``intents`` or ``scenarios``.

    Returns:
        The cases in file order.
    """
    path = EVAL_DIR / f"{name}.jsonl"
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            cases.append(
                (
                    case["id"],
                    case["text"],
                    case["expect"] if "expect" in case else case["requirements"],
                )
            )
    return cases


def evaluate(cases: Iterable[tuple[str, str, dict[str, Any]]]) -> tuple[float, dict[str, Any]]:
    """Score understanding over cases.

    Args:
        cases: (id, text, expected) triples.

    Returns:
        The mean case score and a report: per-field accuracy and each imperfect case's misses.
    """
    from bot.understanding.reader import understand

    scores, per_field, misses = [], {name: 0 for name in FIELDS}, {}
    count = 0
    for case_id, text, expected in cases:
        got = understand(text).model_dump(mode="json")
        right = score_case(expected, got)
        count += 1
        scores.append(sum(right.values()) / len(right))
        for name, ok in right.items():
            per_field[name] += ok
        wrong = {name: (expected.get(name), got[name]) for name, ok in right.items() if not ok}
        if wrong:
            misses[case_id] = wrong
    fields = {name: hits / max(count, 1) for name, hits in per_field.items()}
    return statistics.fmean(scores), {"per_field": fields, "misses": misses}


SAMPLE = "Chatbot for 5k employees on A100s, TTFT under 500 ms, $12k a month."
CLI_COMMAND = [str(Path(sys.executable).with_name("preflight")), "understand", SAMPLE, "--json"]
LIBRARY_COMMAND = [
    sys.executable,
    "-c",
    f"from bot.understanding.reader import understand; print(understand({SAMPLE!r}))",
]


def cold_start_s(command: list[str], runs: int = COLD_START_RUNS) -> list[float]:
    """Wall time of ``command`` in a fresh process, per run.

    Args:
        command: The command line (the CLI, or understanding alone).
        runs: How many processes to start.

    Returns:
        Seconds per run.
    """
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    """Print field accuracy on both evaluation sets, misses, and the CLI cold start."""
    for name in ("intents", "scenarios"):
        cases = load_cases(name)
        accuracy, report = evaluate(cases)
        print(f"{name}: field accuracy {accuracy:.4f} over {len(cases)} cases")
        for field, value in report["per_field"].items():
            print(f"  {field:22s} {value:.3f}")
        for case_id, wrong in report["misses"].items():
            print(f"  miss {case_id}: {wrong}")
    started = time.perf_counter()
    evaluate(load_cases("intents"))
    per_message_ms = (time.perf_counter() - started) * 1000 / len(load_cases("intents"))
    print(f"warm understanding: {per_message_ms:.2f} ms per message")
    for label, command in (
        ("preflight understand --json", CLI_COMMAND),
        ("understanding alone (python -c)", LIBRARY_COMMAND),
    ):
        times = cold_start_s(command)
        print(
            f"{label} cold start: median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s over {len(times)} runs (target ≤ 1.5 s)"
        )


if __name__ == "__main__":
    main()
