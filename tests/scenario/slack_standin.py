"""A local stand-in for Slack's Web API: records what the app posts and checks Block Kit limits.

It answers the methods Preflight calls (``auth.test``, ``chat.postMessage``, ``chat.update`` of a
message it posted, and the three steps of
``files_upload_v2``: ``files.getUploadURLExternal``, the upload itself,
``files.completeUploadExternal``), checks the bearer token, and checks every message's blocks
against Block Kit's published limits the way Slack does: a message that breaks one is refused
(``invalid_blocks``) and the violation is kept, so the test fails. It runs an ``http.server`` in
a thread, so the app's synchronous Web API client can call it from any thread.
"""

from __future__ import annotations

import itertools
import json
import re
import textwrap
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.scenario.loopback import serving

BOT_USER = "UBOT"


@dataclass
class Recorded:
    """What the stand-in received, in order."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    blobs: list[bytes] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


class SlackStandIn:
    """The Web API stand-in.

    Args:
        token: The bot token every call must carry.
    """

    def __init__(self, *, token: str) -> None:
        self.token = token
        self.recorded = Recorded()
        self._changed = threading.Condition()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))

    @property
    def api_url(self) -> str:
        """The Web API base URL (ends with ``/``)."""
        return f"http://127.0.0.1:{self._server.server_port}/api/"

    def wait_for_posts(self, count: int, *, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` messages were posted.

        Args:
            count: How many messages to wait for.
            timeout_s: How long to wait at most.

        Returns:
            Every message posted so far.
        """
        with self._changed:
            done = self._changed.wait_for(lambda: len(self.recorded.posts) >= count, timeout_s)
        assert done, f"{len(self.recorded.posts)} of {count} messages arrived"
        return list(self.recorded.posts)

    def wait_for_updates(self, count: int, *, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` messages were updated; every update so far."""
        with self._changed:
            done = self._changed.wait_for(lambda: len(self.recorded.updates) >= count, timeout_s)
        assert done, f"{len(self.recorded.updates)} of {count} updates arrived"
        return list(self.recorded.updates)

    def wait_for_uploads(self, count: int, *, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Wait until at least ``count`` files were shared in a channel."""
        with self._changed:
            done = self._changed.wait_for(lambda: len(self.recorded.uploads) >= count, timeout_s)
        assert done, f"{len(self.recorded.uploads)} of {count} uploads arrived"
        return list(self.recorded.uploads)

    def answer(self, method: str, args: dict[str, Any], raw: bytes) -> dict[str, Any]:
        """Answer one Web API call (called by the HTTP handler)."""
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": "T1"}
        if method == "chat.postMessage":
            problems = block_kit_violations(args.get("blocks") or [])
            problems += summary_problems(args.get("text"))
            if problems:
                self._record(lambda: self.recorded.violations.extend(problems))
                return {"ok": False, "error": "invalid_blocks", "errors": problems}
            ts = f"1800000000.{next(self._ts):06d}"
            self._record(lambda: self.recorded.posts.append({**args, "ts": ts}))
            return {"ok": True, "channel": args.get("channel"), "ts": ts}
        if method == "chat.update":
            return self._update(args)
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts)}"
            upload_url = self.api_url.replace("/api/", f"/upload/{file_id}")
            return {"ok": True, "upload_url": upload_url, "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = json.loads(args["files"]) if isinstance(args["files"], str) else args["files"]
            self._record(lambda: self.recorded.uploads.append({**args, "files": files}))
            return {"ok": True, "files": files}
        if method.startswith("upload/"):
            self._record(lambda: self.recorded.blobs.append(raw))
            return {"ok": True, "bytes": len(raw), "png": raw.startswith(b"\x89PNG")}
        return {"ok": False, "error": "unknown_method"}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        """``chat.update``: only a message the bot posted, with valid blocks and summary."""
        posted = {(post["channel"], post["ts"]) for post in self.recorded.posts}
        if (args.get("channel"), args.get("ts")) not in posted:
            return {"ok": False, "error": "message_not_found"}
        problems = block_kit_violations(args.get("blocks") or [])
        problems += summary_problems(args.get("text"))
        if problems:
            self._record(lambda: self.recorded.violations.extend(problems))
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        self._record(lambda: self.recorded.updates.append(args))
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    @contextmanager
    def running(self) -> Iterator[SlackStandIn]:
        """Serve in a background thread for the duration of the block."""
        with serving(self._server):
            yield self

    def _record(self, change: Callable[[], None]) -> None:
        with self._changed:
            change()
            self._changed.notify_all()


ACTING_VALUE = re.compile(r"^\s*(confirm|approve|roll ?back)\b", re.IGNORECASE)
"""Values of buttons that request, approve or roll back a deployment: each needs a dialog."""
SUMMARY_LIMIT = 200
_RAW_MRKDWN = re.compile(r"[<>]|&(?!amp;|lt;|gt;)")


def summary_problems(text: object) -> list[str]:
    """What is wrong with a message's ``text`` (the notification and screen-reader summary).

    It must be there, one or two lines of at most :data:`SUMMARY_LIMIT` characters, with
    ``&``, ``<`` and ``>`` escaped as Slack's formatting reference asks.

    Args:
        text: The message's ``text`` argument.

    Returns:
        One line per problem (empty when none).
    """
    if not isinstance(text, str) or not text.strip():
        return ["message without a summary text"]
    problems = []
    if len(text) > SUMMARY_LIMIT or text.count("\n") > 1:
        problems.append(f"summary text of {len(text)} characters, {text.count(chr(10)) + 1} lines")
    if _RAW_MRKDWN.search(text):
        problems.append("summary text with unescaped &, < or >")
    return problems


def text_lines(blocks: list[dict[str, Any]], *, width: int = 60) -> int:
    """How many lines of text a message's blocks take when wrapped at ``width`` characters.

    Section texts and fields, context elements and code-block lines wrap word by word; each
    actions block takes as many lines as its buttons' labels need (four characters of padding
    each). The ``````` fences take none.

    Args:
        blocks: The message's ``blocks``.
        width: Characters a line holds (about a thread pane's width at 60).

    Returns:
        The line count.
    """
    texts: list[str] = []
    lines = 0
    for block in blocks:
        if block.get("type") == "section":
            texts.append((block.get("text") or {}).get("text", ""))
            texts += [field["text"] for field in block.get("fields") or []]
        elif block.get("type") == "context":
            texts += [element.get("text", "") for element in block["elements"]]
        elif block.get("type") == "actions":
            labels = [len(e["text"]["text"]) + 4 for e in block["elements"]]
            lines += max(1, -(-sum(labels) // width))
    for text in texts:
        for line in text.replace("```", "").strip("\n").split("\n"):
            lines += len(textwrap.wrap(line, width)) or 1
    return lines


def block_kit_violations(blocks: list[dict[str, Any]]) -> list[str]:
    """Every Block Kit limit a message's blocks break, and every house rule (empty when none).

    House rules on top of Slack's limits: one primary button per actions block, and a
    ``confirm`` dialog on every button that requests, approves or rolls back a deployment
    (:data:`ACTING_VALUE`) and on every danger button.

    Args:
        blocks: The message's ``blocks``.

    Returns:
        One line per violation.
    """
    problems = [] if len(blocks) <= 50 else [f"{len(blocks)} blocks > 50"]
    action_ids: list[str] = []
    for number, block in enumerate(blocks):
        where = f"block {number} ({block.get('type')})"
        problems += [f"{where}: {problem}" for problem in _block_problems(block)]
        action_ids += [e["action_id"] for e in block.get("elements", []) if "action_id" in e]
    if len(action_ids) != len(set(action_ids)):
        problems.append("repeated action_id")
    return problems


def _block_problems(block: dict[str, Any]) -> Iterator[str]:
    kind = block.get("type")
    if kind == "section":
        text = (block.get("text") or {}).get("text", "")
        fields = block.get("fields") or []
        if not text and not fields:
            yield "section without text or fields"
        if len(text) > 3000:
            yield f"section text {len(text)} > 3000"
        if len(fields) > 10:
            yield f"{len(fields)} fields > 10"
        yield from (f"field {len(f['text'])} > 2000" for f in fields if len(f["text"]) > 2000)
    elif kind == "header":
        if len(block["text"]["text"]) > 150:
            yield "header text > 150"
    elif kind == "actions":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= 25:
            yield f"{len(elements)} elements (1 to 25 allowed)"
        primaries = [e for e in elements if e.get("style") == "primary"]
        if len(primaries) > 1:
            yield f"{len(primaries)} primary buttons in one set (one allowed)"
        for element in elements:
            yield from _button_problems(element)
    elif kind == "context":
        if not 1 <= len(block.get("elements") or []) <= 10:
            yield "context needs 1 to 10 elements"
    elif kind not in ("divider", "image"):
        yield f"unexpected block type {kind!r}"


def _button_problems(button: dict[str, Any]) -> Iterator[str]:
    if button.get("type") != "button":
        yield f"unexpected element {button.get('type')!r}"
        return
    if button["text"].get("type") != "plain_text" or len(button["text"]["text"]) > 75:
        yield "button text must be plain_text of at most 75 characters"
    if len(button.get("action_id", "")) > 255:
        yield "action_id > 255"
    if len(button.get("value", "")) > 2000:
        yield "button value > 2000"
    if button.get("style") not in (None, "primary", "danger"):
        yield f"button style {button.get('style')!r}"
    acting = ACTING_VALUE.match(button.get("value", "")) or button.get("style") == "danger"
    if acting and "confirm" not in button:
        yield f"button {button['text']['text']!r} acts without a confirm dialog"
    if "confirm" in button:
        yield from _confirm_problems(button["confirm"])


def _confirm_problems(confirm: dict[str, Any]) -> Iterator[str]:
    limits = {"title": 100, "text": 300, "confirm": 30, "deny": 30}
    for key, limit in limits.items():
        element = confirm.get(key) or {}
        if element.get("type") != "plain_text" or not 1 <= len(element.get("text", "")) <= limit:
            yield f"confirm {key} must be plain_text of 1 to {limit} characters"
    if confirm.get("style") not in (None, "primary", "danger"):
        yield f"confirm style {confirm.get('style')!r}"


def _handler_for(standin: SlackStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/upload/"):
                answer = standin.answer(self.path.lstrip("/"), {}, raw)
            elif self.headers.get("Authorization") != f"Bearer {standin.token}":
                answer = {"ok": False, "error": "invalid_auth"}
            else:
                method = self.path.partition("?")[0].removeprefix("/api/")
                answer = standin.answer(method, _args(self, raw), raw)
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler


def _args(handler: BaseHTTPRequestHandler, raw: bytes) -> dict[str, Any]:
    query = handler.path.partition("?")[2]
    args: dict[str, Any] = dict(parse_qsl(query))
    if "json" in (handler.headers.get("Content-Type") or ""):
        args.update(json.loads(raw or b"{}"))
    else:
        args.update(parse_qsl(raw.decode()))
    if isinstance(args.get("blocks"), str):
        args["blocks"] = json.loads(args["blocks"])
    return args
