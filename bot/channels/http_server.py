"""Preflight's HTTP server (aiohttp): the Slack and Teams endpoints, liveness and readiness.

Routes:

* ``POST /slack/events`` — Slack's Events API and interactivity (``bot.channels.slack.app``);
* ``POST /api/messages`` — Bot Framework activities from Teams (``bot.channels.teams.app``);
* ``GET /healthz`` — the process answers (liveness; touches no backend);
* ``GET /metrics`` — Preflight's own metrics (Prometheus text format), when handed in;
* ``GET /readyz`` — every readiness check passes (the state store, the knowledge base), else
  503 with one line per backend saying what is down.

A chat endpoint is mounted only when it is handed in, so an unconfigured channel is a 404, not
an open door. The handlers are plain aiohttp callables, so this module imports no chat SDK and
no backend library; readiness checks are callables that raise
:class:`~domain.errors.BackendUnavailableError`, run in a worker thread. It must hold no
conversation logic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from domain.errors import BackendUnavailableError

Endpoint = Callable[[web.Request], Awaitable[web.StreamResponse]]
ReadinessCheck = Callable[[], None]
"""Returns when its backend answers; raises ``BackendUnavailableError`` when it does not."""

SLACK_PATH = "/slack/events"
TEAMS_PATH = "/api/messages"


def build_http_app(
    *,
    slack: Endpoint | None = None,
    teams: Endpoint | None = None,
    checks: Mapping[str, ReadinessCheck] | None = None,
    metrics: Callable[[], tuple[bytes, str]] | None = None,
) -> web.Application:
    """The aiohttp application.

    Args:
        slack: The Slack endpoint; None leaves ``/slack/events`` unmounted.
        teams: The Teams endpoint; None leaves ``/api/messages`` unmounted.
        checks: Readiness checks by backend name (e.g. ``{"state store": …}``).
        metrics: Returns the metrics body and its content type; None leaves ``/metrics`` off.

    Returns:
        The application, ready for ``web.run_app`` or a test client.
    """
    app = web.Application(client_max_size=1024**2)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _Readiness(dict(checks or {})))
    if metrics is not None:
        app.router.add_get("/metrics", _Metrics(metrics))
    if slack is not None:
        app.router.add_post(SLACK_PATH, slack)
    if teams is not None:
        app.router.add_post(TEAMS_PATH, teams)
    return app


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


class _Metrics:
    def __init__(self, render: Callable[[], tuple[bytes, str]]) -> None:
        self._render = render

    async def __call__(self, request: web.Request) -> web.Response:
        body, content_type = self._render()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response


class _Readiness:
    def __init__(self, checks: dict[str, ReadinessCheck]) -> None:
        self._checks = checks

    async def __call__(self, request: web.Request) -> web.Response:
        results = await asyncio.gather(
            *(asyncio.to_thread(_run_check, check) for check in self._checks.values())
        )
        report = dict(zip(self._checks, results, strict=True))
        ready = all(result == "ok" for result in report.values())
        return web.json_response(
            {"status": "ready" if ready else "unavailable", "checks": report},
            status=200 if ready else 503,
        )


def _run_check(check: ReadinessCheck) -> str:
    try:
        check()
    except BackendUnavailableError as exc:
        return f"{exc.service} unavailable: {exc.detail} (retry in {exc.retry_after_s:.0f} s)"
    return "ok"
