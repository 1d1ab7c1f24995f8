"""Turn latency of the conversation with the embedded stack, warm: message in → replies out.

The flow is wired by ``bot.wiring`` as ``preflight chat`` wires it (in-process state, the real
engine over the packaged knowledge, dry-run deployment). After one warm-up conversation, each
round is a fresh thread: a first message stating task and load (→ a recommendation), then three
what-ifs (→ before/after comparisons); loads differ per round so no answer is a cache hit.
Prints p50/p95/max per kind and overall, and how much of it the engine took; target p95 ≤ 300 ms.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bot.adapters.recommender import EngineRecommender
from bot.conversation.flow import ConversationFlow, Incoming
from bot.conversation.thread_state import Pin
from bot.settings import AuditSettings, ClusterSettings, Settings
from bot.wiring import build_flow
from domain.recommendation import Recommendation
from domain.requirements import Requirements

ROUNDS = 12
FIRST_MESSAGES = (  # {n} differs every round, so no answer comes from the recommender's memory
    "Support chatbot for {n} employees, first token within 1 s",
    "RAG assistant over our wiki, {n} requests per minute, Llama 3.1 8B",
    "Code completion for {n} developers, TTFT p95 under 300 ms, L4 or A10G",
    "Summarize {n}k documents a day",
)
WHAT_IFS = ("double the traffic", "what about L40S", "budget 5k")


class TimedRecommender:
    """The real recommender, timed: how much of a turn is the engine."""

    def __init__(self, inner: EngineRecommender) -> None:
        self.inner = inner
        self.spent_ms = 0.0

    def __call__(self, requirements: Requirements, *, pin: Pin, thread: str = "") -> Recommendation:
        start = time.perf_counter()
        try:
            return self.inner(requirements, pin=pin)
        finally:
            self.spent_ms += (time.perf_counter() - start) * 1000


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
        from recommend.context import default_context

        timed = TimedRecommender(EngineRecommender(default_context()))
        flow = build_flow(settings, context=timed.inner.context, recommender=timed)
        print(f"wiring (context load): {(time.perf_counter() - started) * 1000:,.0f} ms")
        for text in (FIRST_MESSAGES[0].format(n=1000), *WHAT_IFS):
            _timed(flow, "warm-up", text)
        timed.spent_ms = 0.0
        first: list[float] = []
        what_if: list[float] = []
        for round_ in range(ROUNDS):
            thread = f"bench-{round_}"
            template = FIRST_MESSAGES[round_ % len(FIRST_MESSAGES)]
            first.append(_timed(flow, thread, template.format(n=100 + 37 * round_)))
            what_if += [_timed(flow, thread, text) for text in WHAT_IFS]
    for name, values in (("first message", first), ("what-if", what_if), ("all", first + what_if)):
        print(
            f"{name:>14}: n={len(values):3d}  p50={statistics.median(values):7.1f} ms  "
            f"p95={_percentile(values, 0.95):7.1f} ms  max={max(values):7.1f} ms"
        )
    total = sum(first) + sum(what_if)
    overhead = (total - timed.spent_ms) / (len(first) + len(what_if))
    print(f"engine share of turn time: {timed.spent_ms / total:.0%}; the rest (understanding, ")
    print(f"what-if, cards, state) averages {overhead:.1f} ms per turn")
    print("target: p95 ≤ 300 ms per turn (embedded stack, warm)")


if __name__ == "__main__":
    main()
