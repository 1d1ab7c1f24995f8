"""Benchmark: Redis stopped for 15 s and a replica killed (``kill -9``) under open-loop load.

Run with ``.venv/bin/python -m tests.benchmarks faults`` (part of ``make bench``; about 4
minutes). The set-up of ``bench_load`` (two real ``preflight serve`` replicas, a Redis of the
benchmark's own with its append-only file fsynced on every write, signed Slack events, the Web
API stand-in) at 10 messages/s for 90 s, lease 30 s. At 20 s Redis is killed (``kill -9``) and
started again 15 s later from its append-only file; at 55 s replica 0 is killed with ``kill -9``
and stays dead (the sender, like a load balancer, stops sending to it). Deliveries refused
meanwhile (503, or a connection reset) are retried as Slack retries them: at once, then after a
minute.

The claim checked: every acknowledged message is eventually answered (``unanswered when the
wait ended`` 0) and nothing is answered twice (``duplicated`` 0). It prints figures only; it
never asserts.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from tests.benchmarks import slack_fleet

RATE = float(os.environ.get("FAULT_BENCH_RATE", "10"))
DURATION_S = 90.0
LEASE_S = 30.0
REDIS_DOWN_AT_S, REDIS_DOWN_FOR_S, REPLICA_KILLED_AT_S = 20.0, 15.0, 55.0


async def _faults(redis_server: slack_fleet.OwnRedis, fleet: list[slack_fleet.Replica]) -> None:
    started = time.monotonic()
    await asyncio.sleep(REDIS_DOWN_AT_S)
    await asyncio.to_thread(redis_server.kill)
    print(f"  {time.monotonic() - started:5.1f} s  Redis killed", flush=True)
    await asyncio.sleep(REDIS_DOWN_FOR_S)
    await asyncio.to_thread(redis_server.start)
    print(f"  {time.monotonic() - started:5.1f} s  Redis started again", flush=True)
    await asyncio.sleep(max(0.0, REPLICA_KILLED_AT_S - (time.monotonic() - started)))
    await asyncio.to_thread(fleet[0].kill)
    print(f"  {time.monotonic() - started:5.1f} s  {fleet[0].name} killed (-9)", flush=True)


async def _run(
    sender: slack_fleet.Sender,
    redis_server: slack_fleet.OwnRedis,
    fleet: list[slack_fleet.Replica],
) -> None:
    messages = slack_fleet.plan(rate=RATE, duration_s=DURATION_S)
    await asyncio.gather(sender.run(messages), _faults(redis_server, fleet))


def main() -> None:
    """Print the fault figures."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        standin = slack_fleet.TimedStandIn()
        with standin.running(), slack_fleet.own_redis(folder) as redis_server:
            env = slack_fleet.replica_env(
                redis_url=redis_server.url,
                api_url=standin.api_url,
                data_dir=folder / "data",
                lease_s=LEASE_S,
                workers=4,
            )
            with slack_fleet.replicas(2, folder=folder, env=env) as fleet:
                sender = slack_fleet.Sender(fleet)
                asyncio.run(_run(sender, redis_server, fleet))
                slack_fleet.settle(standin, sender.outcomes, timeout_s=150)
        print(f"{RATE:g} messages/s for {DURATION_S:g} s; Redis down 15 s; a replica killed")
        slack_fleet.print_report(slack_fleet.report(standin, sender.outcomes))


if __name__ == "__main__":
    main()
