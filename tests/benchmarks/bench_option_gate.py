"""What the recommend-time pre-flight gate costs: recommendation latency with and without it.

Run with ``.venv/bin/python -m tests.benchmarks option_gate``. The gate renders each option it
screens and runs the pre-flight rules over the objects (``deploy/option_gate.py``). Prints
figures; asserts nothing.
"""

from __future__ import annotations

import dataclasses
import statistics
import time

from deploy.option_gate import OptionGate
from deploy.profile import ClusterProfile
from recommend.context import RecommendContext, default_context
from recommend.engine import recommend
from recommend.inputs import requirements_from_mapping
from tests.benchmarks.bench_recommend import FULL_CATALOG

_ROUNDS = 3


def _latencies_ms(context: RecommendContext) -> list[float]:
    times = []
    for _ in range(_ROUNDS):
        for data in FULL_CATALOG:
            fresh = dataclasses.replace(context)  # an empty simulator memo each time
            requirements = requirements_from_mapping(data, context.models)
            start = time.perf_counter()
            recommend(requirements, context=fresh)
            times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    """Print median and p95 recommendation latency without the gate, noting and excluding."""
    base = default_context()
    variants = {
        "no gate": base,
        "gate, dry-run (note)": dataclasses.replace(
            base, deploy_check=OptionGate(profile=ClusterProfile(), exclude_setup=False)
        ),
        "gate, api (exclude)": dataclasses.replace(
            base, deploy_check=OptionGate(profile=ClusterProfile())
        ),
    }
    for name, context in variants.items():
        times = sorted(_latencies_ms(context))
        p95 = times[int(0.95 * (len(times) - 1))]
        print(
            f"{name:22s} median {statistics.median(times):6.0f} ms  p95 {p95:6.0f} ms "
            f"({len(times)} recommendations over the full catalog)"
        )
