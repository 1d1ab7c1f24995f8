"""Turn latency of the conversation with the embedded stack, warm: message in → replies out.

The flow is wired by ``bot.wiring`` as ``preflight chat`` wires it (in-process state, the real
engine over the packaged knowledge, dry-run deployment). After one warm-up conversation, each
round is a fresh thread: a first message stating task and load (→ a recommendation), then three
what-ifs (→ before/after comparisons). Prints p50/p95/max per kind and overall; target p95 ≤ 300 ms.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bot.flow import ConversationFlow, Incoming
from bot.settings import AuditSettings, ClusterSettings, Settings
from bot.wiring import build_flow

ROUNDS = 12
FIRST_MESSAGES = (
    "Support chatbot for 2k employees, first token within 1 s",
    "RAG assistant over our wiki, 5 requests per second, Llama 3.1 8B",
    "Code completion for 150 developers, TTFT p95 under 300 ms, L4 or A10G",
    "Summarize 50k documents a day",
)
WHAT_IFS = ("double the traffic", "what about L40S", "budget 5k")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _timed(flow: ConversationFlow, thread: str, text: str) -> float:
    start = time.perf_counter()
    flow.handle(Incoming(thread=thread, text=text, user="bench"))
    return (time.perf_counter() - start) * 1000


def main() -> None:
    """Run the rounds and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        settings = Settings(
            data_dir=root,
            cluster=ClusterSettings(output_dir=root / "manifests"),
            audit=AuditSettings(path=root / "audit.jsonl"),
        )
        started = time.perf_counter()
        flow = build_flow(settings)
        print(f"wiring (context load): {(time.perf_counter() - started) * 1000:,.0f} ms")
        for text in (FIRST_MESSAGES[0], *WHAT_IFS):
            _timed(flow, "warm-up", text)
        first: list[float] = []
        what_if: list[float] = []
        for round_ in range(ROUNDS):
            thread = f"bench-{round_}"
            first.append(_timed(flow, thread, FIRST_MESSAGES[round_ % len(FIRST_MESSAGES)]))
            what_if += [_timed(flow, thread, text) for text in WHAT_IFS]
    for name, values in (("first message", first), ("what-if", what_if), ("all", first + what_if)):
        print(
            f"{name:>14}: n={len(values):3d}  p50={statistics.median(values):7.1f} ms  "
            f"p95={_percentile(values, 0.95):7.1f} ms  max={max(values):7.1f} ms"
        )
    print("target: p95 ≤ 300 ms per turn (embedded stack, warm)")


if __name__ == "__main__":
    main()
