"""``preflight serve``: the HTTP server for Slack and Teams, with liveness and readiness probes.

Builds the settings once (secret files from ``PREFLIGHT_SECRETS_DIR`` when set, as the Helm
chart mounts them), wires the flow with ``bot.wiring``, mounts Slack when its bot token and
signing secret are set (and connects Socket Mode when an app token is set too), mounts Teams
when its app id is set, and serves ``bot.channels.http_server``. With
``PREFLIGHT_CLUSTER__WATCH_INTERVAL_S`` above 0 the Day-2 watch (``bot.adapters.day2``) polls
the deployments made from chat in a daemon thread and posts in their threads. Readiness checks
go through the same ports the flow uses: the state store answers a read; the knowledge base is
reachable (server mode) or built (local mode). Heavy modules are imported inside the command.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.log_context import FIELDS, ContextFilter
from domain.errors import ConfigurationError

if TYPE_CHECKING:
    from aiohttp import web

    from bot.adapters.day2 import Day2Watch
    from bot.adapters.metrics import PrometheusMetrics
    from bot.channels.http_server import Endpoint, ReadinessCheck
    from bot.channels.inbox_workers import InboxWorkers
    from bot.channels.teams.app import TeamsEndpoint
    from bot.conversation.flow import ConversationFlow
    from bot.conversation.replies import Reply
    from bot.conversation.state_store import StateStore
    from bot.settings import Settings

SECRETS_DIR_ENV = "PREFLIGHT_SECRETS_DIR"
LOG_FORMAT_ENV = "PREFLIGHT_LOG_FORMAT"  # "json": one JSON object per line (the Helm chart sets it)
_log = logging.getLogger("preflight.serve")
WATCH_THREAD = "preflight-day2-watch"


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``.

    Args:
        app: The root Typer app.
    """
    app.command("serve")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(3000, "--port", min=1, max=65535, help="Port to listen on."),
) -> None:
    """Serve Slack (/slack/events), Teams (/api/messages), /healthz and /readyz."""
    from aiohttp import web

    from bot.settings import load_settings

    configure_logging(json_lines=os.environ.get(LOG_FORMAT_ENV) == "json")
    secrets = os.environ.get(SECRETS_DIR_ENV)
    try:
        settings = load_settings(Path(secrets) if secrets else None)
        app = build_server(settings)
    except ConfigurationError as exc:
        typer.echo(f"Configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc
    _log.info("Preflight serving on http://%s:%d", host, port)
    web.run_app(app, host=host, port=port, print=None)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (never a request body; the
    channels log sizes and kinds only), the thread and request ids while a message is handled
    (``bot.log_context``), and the exception type when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """Format one record.

        Args:
            record: The log record.

        Returns:
            A JSON line.
        """
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(*, json_lines: bool) -> None:
    """Log at INFO to stderr, as JSON lines or as plain text.

    Args:
        json_lines: One JSON object per line (for log collectors).
    """
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if json_lines:
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def build_server(settings: Settings) -> web.Application:
    """The aiohttp app with every channel the settings configure.

    Args:
        settings: Preflight's settings.

    Returns:
        The application.

    Raises:
        ConfigurationError: When a configured channel cannot start.
    """
    from bot.adapters.metrics import PrometheusMetrics
    from bot.channels.http_server import build_http_app
    from bot.wiring import build_day2, build_flow, build_store

    store = build_store(settings)
    metrics = PrometheusMetrics()
    day2 = build_day2(settings) if settings.cluster.watch_interval_s > 0 else None
    flow = build_flow(settings, store=store, metrics=metrics, follower=day2)
    slack, workers = _slack_endpoint(settings, flow, metrics)
    teams = None
    if settings.teams.app_id:
        from bot.channels.teams.app import TeamsEndpoint

        teams = TeamsEndpoint(settings.teams, flow)
    else:
        _log.info("Teams is off: PREFLIGHT_TEAMS__APP_ID is not set")
    app = build_http_app(
        slack=slack,
        teams=teams,
        checks=readiness_checks(settings, store),
        metrics=lambda: (metrics.exposition(), metrics.content_type),
    )
    if workers is not None:
        run_in_background(app, workers, warm_up=lambda: warm_up(flow))
    if day2 is not None:
        day2.post = _thread_poster(settings, flow, teams)
        app.cleanup_ctx.append(_watching(day2, settings.cluster.watch_interval_s))
    return app


def _thread_poster(
    settings: Settings, flow: ConversationFlow, teams: TeamsEndpoint | None
) -> Callable[[str, Reply], None]:
    """Posts into the threads of the channels that are on: Slack with its own Web API client,
    Teams through its adapter and the conversation reference kept in the thread's state."""
    from bot.channels.proactive import Post, ThreadPoster

    posters: dict[str, Post] = {}
    slack = settings.slack
    if slack.bot_token is not None:
        from bot.channels.slack.proactive import slack_poster

        posters["slack"] = slack_poster(slack.bot_token.get_secret_value(), api_url=slack.api_url)
    if teams is not None:
        from bot.channels.teams.proactive import teams_poster

        posters["teams"] = teams_poster(
            teams.adapter,
            app_id=settings.teams.app_id or "",
            reference_of=lambda thread: flow.state(thread=thread).reply_to,
        )
    return ThreadPoster(posters)


def _watching(
    day2: Day2Watch, interval_s: float
) -> Callable[[web.Application], AsyncIterator[None]]:
    """Run the Day-2 watch in a daemon thread while the server runs."""

    async def context(_: web.Application) -> AsyncIterator[None]:
        stop = threading.Event()
        worker = threading.Thread(
            target=day2.run,
            args=(stop,),
            kwargs={"interval_s": interval_s},
            name=WATCH_THREAD,
            daemon=True,
        )
        worker.start()
        _log.info("Day-2 watch polling every %g s", interval_s)
        yield
        stop.set()
        await asyncio.to_thread(worker.join, interval_s + 10)

    return context


def _slack_endpoint(
    settings: Settings, flow: ConversationFlow, metrics: PrometheusMetrics
) -> tuple[Endpoint | None, InboxWorkers | None]:
    slack = settings.slack
    if slack.bot_token is None or slack.signing_secret is None:
        _log.info("Slack is off: PREFLIGHT_SLACK__BOT_TOKEN or __SIGNING_SECRET is not set")
        return None, None
    from bot.channels.slack.app import (
        SlackEndpoint,
        build_slack_app,
        build_slack_workers,
        connect_socket_mode,
    )
    from bot.wiring import build_inbox

    inbox = build_inbox(settings)
    metrics.watch_inbox(inbox)
    bolt = build_slack_app(slack, flow, inbox)
    state = settings.state
    workers = build_slack_workers(
        bolt, flow, inbox, workers=state.workers, name=replica_name(), lease_s=state.lease_s
    )
    if slack.app_token is not None:
        connect_socket_mode(bolt, slack)
        _log.info("Slack Socket Mode connected")
    endpoint = SlackEndpoint(bolt, signing_secret=slack.signing_secret.get_secret_value())
    return endpoint, workers


def replica_name() -> str:
    """This process's name among the replicas sharing an inbox: host and process id.

    Returns:
        ``<hostname>-<pid>``.
    """
    return f"{socket.gethostname()}-{os.getpid()}"


WARM_UP_TEXTS = (
    "Support chatbot for about 500 employees, first token within a second",
    "double the traffic",
    "what about L40S",
    "chart",
)


def warm_up(flow: ConversationFlow) -> None:
    """Rehearse a short conversation on a scratch store, so the first real replies are fast (the
    recommender's context, the embedding model when the knowledge base is built, the chart).

    Args:
        flow: The conversation flow.
    """
    from bot.adapters.memory_store import InMemoryStateStore

    started = time.perf_counter()
    flow.rehearse(WARM_UP_TEXTS, store=InMemoryStateStore())
    _log.info("warmed up in %.1f s", time.perf_counter() - started)


def run_in_background(
    app: web.Application, workers: InboxWorkers, *, warm_up: Callable[[], None] | None = None
) -> None:
    """Warm up and start the inbox workers before the server listens; stop them when it stops.

    Args:
        app: The aiohttp application.
        workers: The worker pool.
        warm_up: Runs once before the workers start (in a thread).
    """

    async def start(_: web.Application) -> None:
        if warm_up is not None:
            await asyncio.to_thread(warm_up)
        workers.start()

    async def stop(_: web.Application) -> None:
        await asyncio.to_thread(workers.stop)

    app.on_startup.append(start)
    app.on_cleanup.append(stop)


def readiness_checks(settings: Settings, store: StateStore) -> dict[str, ReadinessCheck]:
    """What ``/readyz`` checks: the state store, and the knowledge base.

    Args:
        settings: Preflight's settings.
        store: The flow's state store.

    Returns:
        Checks by backend name; each raises ``BackendUnavailableError`` when down.
    """

    def state_store() -> None:
        store.load(thread="preflight:readyz")

    return {"state store": state_store, "knowledge base": _knowledge_check(settings)}


def _knowledge_check(settings: Settings) -> ReadinessCheck:
    knowledge = settings.knowledge

    def embedded() -> None:
        """The embedded store is optional: unbuilt, recommendations go without retrieval."""

    def reachable() -> None:
        from knowledge.kb_build import open_knowledge_base

        key = knowledge.qdrant_api_key.get_secret_value() if knowledge.qdrant_api_key else None
        with open_knowledge_base(
            data_dir=settings.data_dir,
            url=knowledge.qdrant_url,
            api_key=key,
            collection=knowledge.collection,
        ) as kb:
            kb.stats()

    return embedded if knowledge.qdrant_url is None else reachable
