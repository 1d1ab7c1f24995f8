"""A local OpenAI-compatible chat-completions server whose answer each test sets.

``POST /v1/chat/completions`` answers a non-streaming completion whose message content is the
text the test gave (a JSON object of requirements, or anything malformed); every request body
is kept in ``requests``. Stands in for any OpenAI-compatible endpoint (vLLM, OpenAI) behind
Preflight's optional LLM path.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LlmStandIn(ThreadingHTTPServer):
    """The server: set ``content`` (or ``status``) before a request; read ``requests`` after."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.content = "{}"
        self.status = 200
        self.requests: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        """The base URL clients are configured with (``…/v1``)."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/v1"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LlmStandIn

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        self.server.requests.append({"path": self.path, **body})
        answer = {
            "id": "chatcmpl-standin",
            "object": "chat.completion",
            "model": body.get("model", "standin"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": self.server.content},
                }
            ],
        }
        data = json.dumps(answer).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
