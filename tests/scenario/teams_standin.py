"""A local stand-in for the Bot Framework connector: records the activities the bot sends.

Incoming activities name it as their ``serviceUrl``; the bot then sends its replies to
``POST /v3/conversations/{conversation}/activities[/{replyToId}]`` here, as it would to Teams'
connector. It runs an ``http.server`` in a thread and answers with a resource id.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from tests.scenario.loopback import serving


class ConnectorStandIn:
    """The connector stand-in; ``sent`` holds ``(conversation id, activity)`` in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))

    @property
    def service_url(self) -> str:
        """The ``serviceUrl`` activities should carry."""
        return f"http://127.0.0.1:{self._server.server_port}/"

    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Cards sent so far, in order."""
        return [
            attachment["content"]
            for _, activity in self.sent
            for attachment in activity.get("attachments", [])
            if attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        ]

    def record(self, path: str, activity: dict[str, Any]) -> str:
        """Keep one sent activity; returns its new id (called by the HTTP handler)."""
        parts = path.split("/")  # "", "v3", "conversations", id, "activities", [reply-to]
        with self._lock:
            self.sent.append((unquote(parts[3]), activity))
            return f"reply-{next(self._ids)}"

    @contextmanager
    def running(self) -> Iterator[ConnectorStandIn]:
        """Serve in a background thread for the duration of the block."""
        with serving(self._server):
            yield self


def _handler_for(standin: ConnectorStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.partition("?")[0]
            if not (path.startswith("/v3/conversations/") and "/activities" in path):
                self.send_error(404)
                return
            body = json.dumps({"id": standin.record(path, json.loads(raw))}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
