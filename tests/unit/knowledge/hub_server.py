"""A Hub-compatible HTTP server on 127.0.0.1 for the real ``huggingface_hub`` client.

It answers the paths the client calls for model metadata and file downloads, as the Hub does:

- ``GET /api/models/{org}/{name}[/revision/{rev}]`` → model info JSON (``sha``, ``gated``,
  ``private``, ``cardData``, ``tags``, ``siblings``);
- ``HEAD|GET /{org}/{name}/resolve/{rev}/{file}`` → the file, with ``X-Repo-Commit`` and
  ``ETag`` headers;
- errors with the Hub's ``X-Error-Code`` header: ``RepoNotFound`` (404 with a token, 401
  without — the Hub does not tell a missing repository from a private one), ``GatedRepo``
  (401 without a token, 403 with one that has no access), ``RevisionNotFound``,
  ``EntryNotFound``.

Files served are the real ``config.json`` copies under ``tests/data/hub_configs`` (sources in
its ``SOURCES.md``). Every request is recorded, so tests can tell a cache hit from a fetch.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from huggingface_hub import constants as hf_constants

from tests.scenario.loopback import serving

CONFIGS = Path(__file__).resolve().parents[2] / "data" / "hub_configs"
_INFO = re.compile(r"^/api/models/([^/]+/[^/]+?)(?:/revision/(.+))?$")
_RESOLVE = re.compile(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")


@dataclass
class HubRepo:
    """One repository the stand-in serves."""

    files: dict[str, bytes]
    license: str | None = "apache-2.0"
    license_name: str | None = None
    gated: str | bool = False
    private: bool = False
    revisions: tuple[str, ...] = ("main",)

    @property
    def sha(self) -> str:
        """A stable commit id derived from the files."""
        digest = hashlib.sha1()
        for name in sorted(self.files):
            digest.update(name.encode() + self.files[name])
        return digest.hexdigest()


def repo_from_configs(repo_id: str, **kwargs: object) -> HubRepo:
    """A repository holding the copied ``config.json`` of ``repo_id``.

    Args:
        repo_id: ``org/name`` of a folder under ``tests/data/hub_configs``.
        **kwargs: HubRepo fields (licence, gated, private).

    Returns:
        The repository.
    """
    config = (CONFIGS / repo_id / "config.json").read_bytes()
    return HubRepo(files={"config.json": config}, **kwargs)  # type: ignore[arg-type]


@dataclass
class HubStandIn:
    """The repositories served, the token that opens private and gated ones, and the log."""

    repos: dict[str, HubRepo]
    token: str = "hf_test_token"
    requests: list[str] = field(default_factory=list)
    url: str = ""


class _Handler(BaseHTTPRequestHandler):
    hub: HubStandIn

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        return

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        self.hub.requests.append(f"{self.command} {path}")
        authorised = self.headers.get("Authorization") == f"Bearer {self.hub.token}"
        signed_in = self.headers.get("Authorization") is not None
        info, resolve = _INFO.match(path), _RESOLVE.match(path)
        match = info or resolve
        repo = self.hub.repos.get(match.group(1)) if match else None
        if match is None or repo is None or (repo.private and not authorised):
            self._error(404 if signed_in else 401, "RepoNotFound", body=body)
            return
        revision = match.group(2)
        if revision not in (None, repo.sha, *repo.revisions):
            self._error(404, "RevisionNotFound", body=body)
            return
        if info:
            self._send(200, json.dumps(self._info(match.group(1), repo)).encode(), {}, body=body)
            return
        if repo.gated and not authorised:
            self._error(403 if signed_in else 401, "GatedRepo", body=body)
            return
        content = repo.files.get(match.group(3))
        if content is None:
            self._error(404, "EntryNotFound", body=body)
            return
        etag = hashlib.sha1(content).hexdigest()
        self._send(200, content, {"X-Repo-Commit": repo.sha, "ETag": f'"{etag}"'}, body=body)

    @staticmethod
    def _info(repo_id: str, repo: HubRepo) -> dict[str, object]:
        card = {"license": repo.license} if repo.license else {}
        if repo.license_name:
            card["license_name"] = repo.license_name
        return {
            "_id": repo.sha[:24],
            "id": repo_id,
            "modelId": repo_id,
            "sha": repo.sha,
            "private": repo.private,
            "gated": repo.gated,
            "disabled": False,
            "tags": [f"license:{repo.license}"] if repo.license else [],
            "cardData": card,
            "siblings": [{"rfilename": name} for name in sorted(repo.files)],
        }

    def _error(self, status: int, code: str, *, body: bool) -> None:
        headers = {"X-Error-Code": code, "X-Error-Message": code}
        self._send(status, json.dumps({"error": code}).encode(), headers, body=body)

    def _send(self, status: int, content: bytes, headers: dict[str, str], *, body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(content)


@contextmanager
def hub_stand_in(hub: HubStandIn) -> Iterator[HubStandIn]:
    """Serve ``hub`` on a free loopback port for the block; ``hub.url`` is its endpoint.

    Args:
        hub: What to serve.

    Yields:
        The same stand-in, with ``url`` set.
    """
    handler = type("HubHandler", (_Handler,), {"hub": hub})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    with serving(server):
        yield hub


@pytest.fixture
def hub_online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the Hub client make requests (to the loopback stand-in only).

    ``tests/conftest.py`` sets ``HF_HUB_OFFLINE=1`` so the embedder never reaches for the network;
    ``huggingface_hub`` reads that switch once, at import, into ``constants.HF_HUB_OFFLINE``, which
    is what this turns off for one test (the same as starting the process without the variable).
    """
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
