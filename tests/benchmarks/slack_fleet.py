"""Harness of the load and fault benchmarks: real ``preflight serve`` replicas sharing a Redis of
their own, signed Slack events sent open-loop, and Slack's Web API as a recording stand-in.

* :func:`own_redis` starts ``redis-server`` on a free port (AOF with ``appendfsync always``, so a
  restart keeps what was acknowledged) in a scratch folder; the shared Redis is never touched.
* :class:`Replica` is one ``preflight serve`` process (its own port; the same Redis, data
  directory and stand-in); it is ready when it listens, which it does after its warm-up.
* :class:`Sender` sends each message of a :func:`plan` at its planned time, whatever happened to
  the earlier ones (open loop), round-robin over the live replicas as a load balancer would.
  A 503 or a broken connection is retried the way Slack retries (at once, then after 60 s) and
  a replica that refuses connections is taken out of the rotation.
* :class:`TimedStandIn` records when each reply arrives, per thread.

:func:`report` pairs each thread's acknowledged messages with its replies in order: a thread
with fewer replies than acknowledged messages when the wait ended has some unanswered (lost, or
still queued when the replicas fall behind), one with more answered something twice.
Benchmarks print; nothing here asserts on time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.scenario.slack_standin import BOT_USER, SlackStandIn

TOKEN = "xoxb-bench-token"
SECRET = "bench-signing-secret-0123456789"
CHANNEL = "CBENCH"
ROOT = Path(__file__).resolve().parents[2]
SLACK_RETRIES_S = (0.0, 60.0)  # Slack retries a failed delivery at once, then after a minute
FOLLOW_UPS = ("double the traffic", "what about L40S")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OwnRedis:
    """A ``redis-server`` of the benchmark's own, which it may stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
            "--appendonly", "yes", "--appendfsync", "always", "--save", "",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        _wait_for_port(self.port)

    def kill(self) -> None:
        """``kill -9``: what was acknowledged survives only through the append-only file."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@contextlib.contextmanager
def own_redis(folder: Path) -> Iterator[OwnRedis]:
    """A fresh Redis on a free port, killed at the end."""
    server = OwnRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()


_SERVE = "import sys; from bot.cli.app import main; sys.argv[0] = 'preflight'; main()"


class Replica:
    """One ``preflight serve`` process."""

    def __init__(self, *, name: str, folder: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log = (folder / f"{name}.log").open("wb")
        command = [sys.executable, "-c", _SERVE, "serve", "--port", str(self.port)]
        environment = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            command, cwd=folder, env=environment, stdout=log, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        """``kill -9``."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def replica_env(
    *, redis_url: str, api_url: str, data_dir: Path, lease_s: float, workers: int
) -> dict[str, str]:
    """The settings every replica shares (``preflight serve`` as ``bot.cli.app:main``)."""
    return {
        "PREFLIGHT_SLACK__BOT_TOKEN": TOKEN,
        "PREFLIGHT_SLACK__SIGNING_SECRET": SECRET,
        "PREFLIGHT_SLACK__API_URL": api_url,
        "PREFLIGHT_STATE__REDIS_URL": redis_url,
        "PREFLIGHT_STATE__LEASE_S": str(lease_s),
        "PREFLIGHT_STATE__WORKERS": str(workers),
        "PREFLIGHT_DATA_DIR": str(data_dir),
    }


@contextlib.contextmanager
def replicas(count: int, *, folder: Path, env: dict[str, str]) -> Iterator[list[Replica]]:
    """``count`` replicas, ready (warmed up and listening), stopped at the end."""
    started = [Replica(name=f"replica-{n}", folder=folder, env=env) for n in range(count)]
    try:
        for replica in started:
            _wait_for_port(replica.port, timeout_s=300, process=replica.process)
        yield started
    finally:
        for replica in started:
            replica.stop()


def _wait_for_port(
    port: int, *, timeout_s: float = 30.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process for port {port} exited ({process.returncode})")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout_s:.0f} s")


class TimedStandIn(SlackStandIn):
    """The Web API stand-in, noting when each reply arrives in which thread."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN)
        self.arrivals: dict[str, list[float]] = defaultdict(list)

    def answer(self, method: str, args: dict[str, Any], raw: bytes) -> dict[str, Any]:
        answered = super().answer(method, args, raw)
        if method == "chat.postMessage" and answered.get("ok"):
            self.arrivals[str(args.get("thread_ts"))].append(time.time())
        return answered


@dataclass(frozen=True)
class Message:
    """One planned message: when (seconds from the start), in which thread, what."""

    at_s: float
    thread: int
    text: str
    opens: bool


def plan(*, rate: float, duration_s: float, gap_s: float = 3.0) -> list[Message]:
    """Threads of three messages (a first request, then two what-ifs ``gap_s`` apart), started so
    that ``rate`` messages a second go out over ``duration_s``; each first request names its own
    head count, so no cache answers it."""
    per_thread = 1 + len(FOLLOW_UPS)
    every_s = per_thread / rate
    messages = []
    for thread in range(int((duration_s - gap_s * len(FOLLOW_UPS)) / every_s)):
        start = thread * every_s
        first = (
            f"Support chatbot for about {200 + 7 * thread} employees, first token within a second"
        )
        messages.append(Message(start, thread, first, opens=True))
        for number, text in enumerate(FOLLOW_UPS, 1):
            messages.append(Message(start + number * gap_s, thread, text, opens=False))
    return sorted(messages, key=lambda message: message.at_s)


@dataclass
class Outcome:
    """What happened to one message."""

    message: Message
    thread_ts: str
    sent_at: float = 0.0
    acked: bool = False
    ack_ms: list[float] = field(default_factory=list)
    refused: int = 0


class Sender:
    """Sends a plan open-loop to the replicas, as Slack would."""

    def __init__(self, replicas: list[Replica]) -> None:
        self.live = list(replicas)
        self._turn = 0
        self.outcomes: list[Outcome] = []
        self._thread_ts: dict[int, str] = {}
        self._retries: list[asyncio.Task[None]] = []

    async def run(self, messages: list[Message]) -> None:
        started = time.monotonic()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            tasks = []
            for message in messages:
                await asyncio.sleep(max(0.0, started + message.at_s - time.monotonic()))
                tasks.append(asyncio.create_task(self._deliver(session, message)))
            await asyncio.gather(*tasks)
            await asyncio.gather(*self._retries)

    async def _deliver(self, session: aiohttp.ClientSession, message: Message) -> None:
        ts = f"{time.time():.6f}"
        thread_ts = self._thread_ts.setdefault(message.thread, ts)
        outcome = Outcome(message, thread_ts, sent_at=time.time())
        self.outcomes.append(outcome)
        body = _envelope(message, ts=ts, thread_ts=thread_ts)
        for retry, delay_s in enumerate(SLACK_RETRIES_S):
            await asyncio.sleep(delay_s)
            if await self._post(session, body, outcome, retry):
                return

    async def _post(
        self, session: aiohttp.ClientSession, body: bytes, outcome: Outcome, retry: int
    ) -> bool:
        for _ in range(4):
            if not self.live:
                return False
            replica = self.live[self._turn % len(self.live)]
            self._turn += 1
            stamp = str(int(time.time()))
            digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
            headers = {
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": f"v0={digest.hexdigest()}",
            }
            if retry:
                headers["X-Slack-Retry-Num"] = str(retry)
            began = time.perf_counter()
            try:
                async with session.post(
                    f"{replica.url}/slack/events", data=body, headers=headers
                ) as response:
                    status = response.status
            except aiohttp.ClientConnectorError:
                if replica in self.live and replica.process.poll() is not None:
                    self.live.remove(replica)  # the load balancer notices a dead replica
                continue
            except (TimeoutError, aiohttp.ClientError):
                outcome.refused += 1
                return False
            if status == 200:
                outcome.ack_ms.append(1000 * (time.perf_counter() - began))
                outcome.acked = True
                return True
            outcome.refused += 1
            return False
        return False


def _envelope(message: Message, *, ts: str, thread_ts: str) -> bytes:
    event: dict[str, Any] = {"user": "UBENCH", "ts": ts, "channel": CHANNEL, "event_ts": ts}
    if message.opens:
        event |= {"type": "app_mention", "text": f"<@{BOT_USER}> {message.text}"}
    else:
        event |= {
            "type": "message",
            "channel_type": "channel",
            "text": message.text,
            "thread_ts": thread_ts,
        }
    envelope = {
        "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:12]}", "event_time": int(time.time()), "event": event,
    }  # fmt: skip
    return json.dumps(envelope).encode()


def settle(standin: TimedStandIn, outcomes: list[Outcome], *, timeout_s: float) -> None:
    """Wait until every thread has as many replies as acknowledged messages, or ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if sum(len(v) for v in standin.arrivals.values()) >= sum(o.acked for o in outcomes):
            time.sleep(2.0)  # and a little longer, so a duplicate has time to show
            return
        time.sleep(0.25)


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (nan for no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def report(standin: TimedStandIn, outcomes: list[Outcome]) -> dict[str, float]:
    """Ack and reply latency, lost and duplicated replies."""
    by_thread: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_thread[outcome.thread_ts].append(outcome)
    replies_s, lost, duplicated = [], 0, 0
    for thread_ts, sent in by_thread.items():
        acked = sorted(o.sent_at for o in sent if o.acked)
        arrived = sorted(standin.arrivals.get(thread_ts, []))
        lost += max(0, len(acked) - len(arrived))
        duplicated += max(0, len(arrived) - len(acked))
        replies_s += [reply - asked for asked, reply in zip(acked, arrived, strict=False)]
    acks_ms = [ms for outcome in outcomes for ms in outcome.ack_ms]
    return {
        "messages": len(outcomes),
        "acknowledged": sum(o.acked for o in outcomes),
        "refused deliveries (503 or reset)": sum(o.refused for o in outcomes),
        "never acknowledged": sum(not o.acked for o in outcomes),
        "ack p50 ms": percentile(acks_ms, 0.50),
        "ack p99 ms": percentile(acks_ms, 0.99),
        "reply p50 s": percentile(replies_s, 0.50),
        "reply p95 s": percentile(replies_s, 0.95),
        "reply max s": max(replies_s, default=float("nan")),
        "unanswered when the wait ended": lost,
        "duplicated": duplicated,
        "strays": len(set(standin.arrivals) - set(by_thread)),
    }


def print_report(figures: dict[str, float]) -> None:
    for name, value in figures.items():
        shown = (
            f"{value:.0f}" if name.endswith("ms") or float(value).is_integer() else f"{value:.2f}"
        )
        print(f"  {name:<34} {shown}")
