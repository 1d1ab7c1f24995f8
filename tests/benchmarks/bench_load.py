"""Benchmark: open-loop load against two ``preflight serve`` replicas sharing Redis.

Run with ``.venv/bin/python -m tests.benchmarks load`` (part of ``make bench``; about 3 minutes).
Two real ``preflight serve`` processes (4 inbox workers each) share a Redis of the benchmark's
own (``redis-server`` on a free port); 10 signed Slack events a second for 120 s go to them
round-robin, whatever happened to the earlier ones: threads of three messages (a first request
naming its own head count, then "double the traffic" and "what about L40S" 3 s apart). Slack's
Web API is the recording stand-in of the scenario tests. The knowledge base is not built (no
retrieval), as on a fresh embedded install.

Figures: ack latency (signed POST → HTTP 200; Slack's deadline is 3 s), reply latency (the
message sent → its reply posted to the Web API), replies unanswered when the wait (up to 240 s
after the last message) ended, and duplicated (more replies than acknowledged messages in a
thread). Targets (issue 13): ack p99 ≤ 1 s, reply p95 ≤ 2 s, 0 lost, 0 duplicated. It prints
figures only; it never asserts.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from tests.benchmarks import slack_fleet

RATE = float(os.environ.get("LOAD_BENCH_RATE", "10"))
DURATION_S = float(os.environ.get("LOAD_BENCH_SECONDS", "120"))
WORKERS = int(os.environ.get("LOAD_BENCH_WORKERS", "4"))


def main() -> None:
    """Print the load figures."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        standin = slack_fleet.TimedStandIn()
        with standin.running(), slack_fleet.own_redis(folder) as redis_server:
            env = slack_fleet.replica_env(
                redis_url=redis_server.url,
                api_url=standin.api_url,
                data_dir=folder / "data",
                lease_s=30,
                workers=WORKERS,
            )
            with slack_fleet.replicas(2, folder=folder, env=env) as fleet:
                sender = slack_fleet.Sender(fleet)
                messages = slack_fleet.plan(rate=RATE, duration_s=DURATION_S)
                asyncio.run(sender.run(messages))
                slack_fleet.settle(standin, sender.outcomes, timeout_s=240)
        print(f"{RATE:g} messages/s for {DURATION_S:g} s, 2 replicas x {WORKERS} workers")
        slack_fleet.print_report(slack_fleet.report(standin, sender.outcomes))


if __name__ == "__main__":
    main()
