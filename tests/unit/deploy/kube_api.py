"""A small local Kubernetes API emulation for tests of the real kubernetes client.

It speaks just enough of the API over HTTP on 127.0.0.1 (a random port, in a thread):
SubjectAccessReview (answered from a grant table), server-side apply (PATCH with
``application/apply-patch+yaml``; checks ``fieldManager`` and ``dryRun`` and persists only without
a dry run), GET/DELETE of objects, pods and events lists, Jobs with a status the test sets
and their pods' logs (text/plain). Every request is recorded so tests can assert on dry-run
parameters, field managers, impersonation headers and review bodies. It also writes a
kubeconfig pointing at itself.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

TOKEN = "emulator-token"


@dataclass
class Recorded:
    """One request the emulation received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, list[str]]
    body: Any


@dataclass
class KubeState:
    """What the emulation knows and how it answers."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    # user or "group:<g>" -> set of "verb resource namespace"; None allows every review.
    grants: dict[str, set[str]] | None = None
    review_status: int = 201  # answer code for access reviews (e.g. 503 = could not check)
    apply_status: int | None = None  # force an answer code for applies
    ready_after_gets: int = 1  # GETs of an InferenceService before it reports Ready
    pods: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    gets: dict[str, int] = field(default_factory=dict)
    job_status: dict[str, dict[str, Any]] = field(default_factory=dict)  # Job name -> .status
    logs: dict[str, str] = field(default_factory=dict)  # pod name -> log (a Job's pods)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, method: str, contains: str = "") -> list[Recorded]:
        """Return the recorded requests with this method whose path contains ``contains``."""
        return [r for r in self.requests if r.method == method and contains in r.path]


class _Handler(BaseHTTPRequestHandler):
    state: KubeState

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _text(self, pod: str) -> None:
        log = self.state.logs.get(pod)
        data = (log or "pods not found").encode()
        self.send_response(200 if log is not None else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> Recorded:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers: dict[str, list[str]] = {}
        for key in self.headers:
            headers[key.lower()] = self.headers.get_all(key) or []
        body = json.loads(raw) if raw else None
        record = Recorded(self.command, parts.path, parse_qs(parts.query), headers, body)
        with self.state.lock:
            self.state.requests.append(record)
        return record

    def _authorised(self, record: Recorded) -> bool:
        if record.headers.get("authorization") != [f"Bearer {TOKEN}"]:
            self._reply(401, {"kind": "Status", "message": "Unauthorized"})
            return False
        return True

    def do_POST(self) -> None:
        record = self._record()
        if not self._authorised(record):
            return
        if record.path != "/apis/authorization.k8s.io/v1/subjectaccessreviews":
            self._reply(404, {"kind": "Status", "message": "not found"})
            return
        if self.state.review_status >= 300:
            self._reply(self.state.review_status, {"kind": "Status", "message": "unavailable"})
            return
        spec = record.body["spec"]
        attrs = spec["resourceAttributes"]
        want = f"{attrs['verb']} {attrs['resource']} {attrs['namespace']}"
        grants = self.state.grants
        principals = [spec["user"]] + [f"group:{g}" for g in spec.get("groups", [])]
        allowed = grants is None or any(want in grants.get(p, set()) for p in principals)
        self._reply(201, {**record.body, "status": {"allowed": allowed}})

    def do_PATCH(self) -> None:
        record = self._record()
        if not self._authorised(record):
            return
        if self.state.apply_status is not None:
            self._reply(self.state.apply_status, {"kind": "Status", "message": "forced"})
            return
        if record.headers.get("content-type") != ["application/apply-patch+yaml"]:
            self._reply(415, {"kind": "Status", "message": "unsupported media type"})
            return
        if not record.query.get("fieldManager"):
            self._reply(422, {"kind": "Status", "message": "fieldManager is required for apply"})
            return
        if record.query.get("dryRun", ["All"]) != ["All"]:
            self._reply(400, {"kind": "Status", "message": "invalid dryRun"})
            return
        if "dryRun" not in record.query:
            with self.state.lock:
                self.state.objects[record.path] = record.body
        self._reply(200, record.body)

    def do_GET(self) -> None:
        record = self._record()
        if not self._authorised(record):
            return
        if record.path.endswith("/log"):
            self._text(record.path.split("/")[-2])
            return
        if record.path.endswith("/pods"):
            selector = record.query.get("labelSelector", [""])[0]
            items = self.state.pods
            if selector.startswith("job-name="):  # a Job's pods: those it has logs for
                job = selector.removeprefix("job-name=")
                items = [{"metadata": {"name": p}} for p in self.state.logs if p.startswith(job)]
            self._reply(200, {"kind": "PodList", "items": items})
            return
        if record.path.endswith("/events"):
            self._reply(200, {"kind": "EventList", "items": self.state.events})
            return
        obj = self.state.objects.get(record.path)
        if obj is None:
            self._reply(404, {"kind": "Status", "message": "not found"})
            return
        with self.state.lock:
            count = self.state.gets[record.path] = self.state.gets.get(record.path, 0) + 1
        if obj.get("kind") == "Job":
            status = self.state.job_status.get(obj["metadata"]["name"], {"active": 1})
            obj = {**obj, "status": status}
        if obj.get("kind") in ("InferenceService", "LLMInferenceService"):
            ready = count >= self.state.ready_after_gets
            name, ns = obj["metadata"]["name"], obj["metadata"]["namespace"]
            obj = {
                **obj,
                "status": {
                    "url": f"http://{name}.{ns}.example.test" if ready else None,
                    "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                },
            }
        self._reply(200, obj)

    def do_DELETE(self) -> None:
        record = self._record()
        if not self._authorised(record):
            return
        with self.state.lock:
            found = self.state.objects.pop(record.path, None)
        self._reply(200 if found else 404, {"kind": "Status", "status": "Success"})


class KubeApiEmulator:
    """Run the emulation on a random local port; use as a context manager."""

    def __init__(self) -> None:
        self.state = KubeState()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The API server URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> KubeApiEmulator:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def write_kubeconfig(self, path: Path, *, server: str | None = None) -> Path:
        """Write a kubeconfig for this server (or ``server``) with a bearer token."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "emu", "cluster": {"server": server or self.url}}],
            "users": [{"name": "preflight", "user": {"token": TOKEN}}],
            "contexts": [{"name": "emu", "context": {"cluster": "emu", "user": "preflight"}}],
            "current-context": "emu",
        }
        path.write_text(yaml.safe_dump(config))
        return path
