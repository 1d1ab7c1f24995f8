"""A local ``/metrics`` endpoint exporting vLLM's metric names, with latencies the test sets.

Each scrape adds the requests that arrived since the last one (``rps`` × elapsed seconds), each
observed at the current TTFT, inter-token latency, queue time and prompt size, to cumulative
histograms in Prometheus' text format (version 0.0.4), as vLLM's ``/metrics`` does.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECONDS_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TOKEN_BUCKETS = (128, 256, 512, 1024, 2048, 4096, 8192, 16384)


@dataclass
class Load:
    """What the stand-in deployment is doing now (the test changes it)."""

    rps: float = 5.0
    ttft_s: float = 0.2
    itl_s: float = 0.02
    queue_s: float = 0.01
    prompt_tokens: int = 500
    kv_usage: float = 0.4


@dataclass
class _Histogram:
    buckets: tuple[float, ...]
    counts: list[float] = field(default_factory=list)
    total: float = 0.0
    n: float = 0.0

    def observe(self, value: float, times: float) -> None:
        if not self.counts:
            self.counts = [0.0] * len(self.buckets)
        for i, bound in enumerate(self.buckets):
            if value <= bound:
                self.counts[i] += times
        self.total += value * times
        self.n += times

    def lines(self, name: str) -> list[str]:
        counts = self.counts or [0.0] * len(self.buckets)
        out = [f"# TYPE {name} histogram"]
        out += [
            f'{name}_bucket{{le="{bound:g}",model_name="m"}} {count:g}'
            for bound, count in zip(self.buckets, counts, strict=True)
        ]
        out.append(f'{name}_bucket{{le="+Inf",model_name="m"}} {self.n:g}')
        out.append(f'{name}_sum{{model_name="m"}} {self.total:g}')
        out.append(f'{name}_count{{model_name="m"}} {self.n:g}')
        return out


class Exporter:
    """The metrics state and its HTTP server (serve it with ``loopback.serving``)."""

    def __init__(self) -> None:
        self.load = Load()
        self._lock = threading.Lock()
        self._last = time.monotonic()
        self._success = 0.0
        self._hist = {
            "vllm:time_to_first_token_seconds": _Histogram(SECONDS_BUCKETS),
            "vllm:time_per_output_token_seconds": _Histogram(SECONDS_BUCKETS),
            "vllm:request_queue_time_seconds": _Histogram(SECONDS_BUCKETS),
            "vllm:request_prompt_tokens": _Histogram(tuple(float(b) for b in TOKEN_BUCKETS)),
        }
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

            def do_GET(self) -> None:
                body = exporter.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def address(self) -> str:
        """host:port of ``/metrics``."""
        return f"127.0.0.1:{self.server.server_address[1]}"

    def render(self) -> str:
        """Advance the counters to now and write the exposition text."""
        with self._lock:
            now = time.monotonic()
            arrived, self._last = self.load.rps * (now - self._last), now
            load = self.load
            self._success += arrived
            values = (load.ttft_s, load.itl_s, load.queue_s, float(load.prompt_tokens))
            for histogram, value in zip(self._hist.values(), values, strict=True):
                histogram.observe(value, arrived)
            lines = [
                "# TYPE vllm:request_success_total counter",
                f'vllm:request_success_total{{model_name="m"}} {self._success:g}',
                "# TYPE vllm:kv_cache_usage_perc gauge",
                f'vllm:kv_cache_usage_perc{{model_name="m"}} {load.kv_usage:g}',
            ]
            for name, histogram in self._hist.items():
                lines += histogram.lines(name)
            return "\n".join(lines) + "\n"
