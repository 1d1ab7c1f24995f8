"""A local OpenAI-compatible streaming server with controlled latency (a stand-in for vLLM).

``/v1/completions`` and ``/v1/chat/completions`` stream ``max_tokens`` tokens as server-sent
events: the first after ``ttft_s``, each next one ``itl_s`` later, then a usage chunk and
``[DONE]``. ``/v1/models`` and ``/health`` answer as vLLM does. Each request is served in its
own thread, so concurrent requests overlap as on a real server with free capacity.
"""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "hi "


def make_server(model: str, *, ttft_s: float, itl_s: float) -> ThreadingHTTPServer:
    """A server bound to a free loopback port (serve it with ``loopback.serving``).

    Args:
        model: The model name it claims to serve.
        ttft_s: Seconds before the first token.
        itl_s: Seconds between tokens.

    Returns:
        The bound server.
    """

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def _json(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.startswith("/v1/models"):
                self._json({"object": "list", "data": [{"id": model, "object": "model"}]})
            else:
                self._json({"status": "ok"})

        def _chunk(self, payload: dict[str, Any] | str) -> None:
            text = payload if isinstance(payload, str) else json.dumps(payload)
            data = f"data: {text}\n\n".encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            chat = self.path.endswith("/chat/completions")
            tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 16)
            prompt = body.get("prompt") or json.dumps(body.get("messages", ""))
            usage = {
                "prompt_tokens": max(1, len(str(prompt).split())),
                "completion_tokens": tokens,
                "total_tokens": max(1, len(str(prompt).split())) + tokens,
            }
            if not body.get("stream"):
                time.sleep(ttft_s + itl_s * (tokens - 1))
                choice = {"message": {"role": "assistant", "content": TOKEN * tokens}}
                self._json({"id": "x", "model": model, "choices": [choice], "usage": usage})
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            time.sleep(ttft_s)
            for index in range(tokens):
                if index:
                    time.sleep(itl_s)
                delta: dict[str, Any] = {"delta": {"content": TOKEN}} if chat else {"text": TOKEN}
                self._chunk({"id": "x", "model": model, "choices": [{"index": 0, **delta}]})
            self._chunk({"id": "x", "model": model, "choices": [], "usage": usage})
            self._chunk("[DONE]")
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)
