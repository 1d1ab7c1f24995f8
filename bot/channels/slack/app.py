"""The Slack channel: a Bolt app whose listeners hand thread messages and button clicks to the flow.

Unauthenticated input never reaches Bolt or a log: :class:`SlackEndpoint` checks the signature
(``X-Slack-Signature``, HMAC-SHA256 of the raw body with the signing secret, and a numeric
timestamp within five minutes) before anything else and answers 401 when it fails, 400 when a
signed body is not UTF-8 or not the JSON / form payload Slack sends, and logs the size only,
never a body. Bolt verifies the signature again (it is never turned off).

Surfaces (each registered by its own function, as Bolt's examples do):

* ``app_mention`` — "@Preflight …" starts or continues the conversation of the thread it is in;
* ``message`` — replies in a thread Preflight already talks in, and direct messages (each
  top-level direct message starts a conversation; Preflight answers in its thread);
* ``block_actions`` — a Preflight button sends its value as the clicker's next message, so an
  "Approve" click is an approval by the clicker of the request and hash the button names; once
  the click is acted on, its message is redrawn without buttons (``chat.update``), naming who
  chose what, so an old card cannot approve or roll back twice.

Ack at once, work afterwards, and never lose an acknowledged message: every listener is an ack
function that puts the delivery into the durable inbox (``bot.conversation.inbox``; a Redis
stream shared by every replica in production) and only then acknowledges; a mention also opens
its thread, so follow-ups that arrive before the first answer are answered. When the inbox or
the store cannot take the delivery the answer is 503 and Slack retries it later. Workers
(:func:`build_slack_workers`) take the jobs under a lease and process them
(``bot.channels.slack.jobs``): the replies are saved with the state and the event id in one
write, posted, and then marked delivered, so a worker killed at any point leaves its job to
another worker, which processes it or posts the kept replies. The conversation id is
``slack:<team>/slack:<channel>:<thread_ts>`` (the workspace first,
:mod:`bot.conversation.thread_keys`: the same channel and ``ts`` seen from two workspaces are two
threads, each in its own tenant); a message is processed once, whichever of its deliveries comes
first (``slack:<team>/slack:<channel>:<ts>`` is the flow's event id).

Socket Mode (``settings.slack.app_token``) uses the same app. This is the only module that
imports ``slack_bolt`` or ``slack_sdk``; drawing Block Kit is ``bot.channels.slack.blocks``. It
must hold no conversation logic.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from multidict import CIMultiDict
from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.channels.inbox_workers import InboxWorkers
from bot.channels.slack import blocks
from bot.channels.slack.jobs import SlackJobs, slack_job, soon_after_opening
from bot.conversation.flow import ConversationFlow, Incoming
from bot.conversation.inbox import Inbox, Job
from bot.conversation.replies import Reply
from bot.conversation.thread_keys import scoped
from bot.settings import SlackSettings
from domain.errors import BackendUnavailableError, ConfigurationError

_log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_ACTION = re.compile(rf"^{blocks.ACTION_PREFIX}:\d+(?:{blocks.KEEP_SUFFIX})?$")
MAX_AGE_S = 5 * 60  # Slack's replay window for a signed request
Event = dict[str, Any]


class NotQueuedError(Exception):
    """The inbox or the store could not take a delivery: Slack should retry it."""


def build_slack_app(settings: SlackSettings, flow: ConversationFlow, inbox: Inbox) -> App:
    """The Bolt app with Preflight's listeners, its Web API calls going to ``settings.api_url``.

    Args:
        settings: Slack credentials (bot token and signing secret are required).
        flow: The conversation flow.
        inbox: Where acknowledged deliveries wait for a worker.

    Returns:
        The app. Building it calls ``auth.test`` once, so a wrong token fails here.

    Raises:
        ConfigurationError: When the token or signing secret is missing or the token is refused.
    """
    if settings.bot_token is None or settings.signing_secret is None:
        raise ConfigurationError("Slack needs PREFLIGHT_SLACK__BOT_TOKEN and __SIGNING_SECRET")
    token = settings.bot_token.get_secret_value()
    client = WebClient(token=token, base_url=settings.api_url or WebClient.BASE_URL)
    try:
        app = App(
            signing_secret=settings.signing_secret.get_secret_value(),
            client=client,
            request_verification_enabled=True,
            process_before_response=True,
        )
    except (BoltError, SlackApiError, SlackClientError, OSError) as exc:
        raise ConfigurationError(f"Slack did not accept the bot token: {exc}") from exc
    register(app, flow, inbox)
    return app


def build_slack_workers(
    app: App, flow: ConversationFlow, inbox: Inbox, *, workers: int, name: str, lease_s: float
) -> InboxWorkers:
    """The workers that answer what the app acknowledged (not started).

    Args:
        app: The Bolt app (its client posts the replies).
        flow: The conversation flow.
        inbox: The inbox the app puts deliveries into.
        workers: How many worker threads.
        name: This process's name (unique per replica), for the inbox's leases.
        lease_s: The inbox's lease; jobs in hand are renewed every third of it.

    Returns:
        The worker pool; call ``start()`` and, at shutdown, ``stop()``.
    """
    client = app.client

    def post(replies: list[Reply], channel: str, thread_ts: str) -> None:
        post_replies(client, replies, channel=channel, thread_ts=thread_ts)

    def update(channel: str, used: Job) -> None:
        try:
            client.chat_update(channel=channel, **used)
        except (SlackApiError, SlackClientError) as exc:
            _log.error("Slack did not take a used card in %s: %s", channel, type(exc).__name__)

    handler = SlackJobs(flow, inbox, post, update)
    return InboxWorkers(inbox, handler, workers=workers, name=name, renew_s=lease_s / 3)


def register(app: App, flow: ConversationFlow, inbox: Inbox) -> None:
    """Register every surface's listeners on ``app``, and the error handler.

    Args:
        app: A Bolt app.
        flow: The conversation flow.
        inbox: Where acknowledged deliveries wait for a worker.
    """
    register_mentions(app, flow, inbox)
    register_messages(app, flow, inbox)
    register_buttons(app, inbox)

    @app.error
    def on_error(error: Exception) -> BoltResponse:
        if isinstance(error, NotQueuedError):
            _log.warning("inbox or state store unavailable; Slack will retry the event")
            return BoltResponse(status=503, body="")
        _log.error("Slack listener failed: %s", type(error).__name__)
        return BoltResponse(status=500, body="")


def register_mentions(app: App, flow: ConversationFlow, inbox: Inbox) -> None:
    """``@Preflight …`` in a channel: the thread's conversation starts or continues.

    Args:
        app: A Bolt app.
        flow: The conversation flow.
        inbox: Where the mention waits for a worker.
    """

    def enqueue(ack: Ack, event: Event, body: Event) -> None:
        thread_ts = event.get("thread_ts") or event["ts"]
        workspace = workspace_of(body)
        with contextlib.suppress(BackendUnavailableError):  # then the inbox refuses it too
            flow.open(thread=thread_id(event["channel"], thread_ts, workspace=workspace))
        _put(inbox, _message_job(event, workspace, thread_ts=thread_ts))
        ack()

    app.event("app_mention")(enqueue)


def register_messages(app: App, flow: ConversationFlow, inbox: Inbox) -> None:
    """Thread replies where Preflight talks (or written just after the first message of a thread
    it may be opening), and direct messages; other messages are acknowledged and left alone.

    Args:
        app: A Bolt app.
        flow: The conversation flow.
        inbox: Where the messages wait for a worker.
    """

    def enqueue(ack: Ack, event: Event, body: Event) -> None:
        job = _job_for_message(flow, event, workspace_of(body)) if _ours(event) else None
        if job is not None:
            _put(inbox, job)
        ack()

    app.event("message")(enqueue)


def register_buttons(app: App, inbox: Inbox) -> None:
    """A click on a Preflight button sends its value as the clicker's message.

    Args:
        app: A Bolt app.
        inbox: Where the click waits for a worker.
    """

    def enqueue(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        channel = body["channel"]["id"]
        message = body.get("message") or {}
        container = body.get("container") or {}
        thread_ts = (
            message.get("thread_ts") or container.get("thread_ts") or container["message_ts"]
        )
        workspace = workspace_of(body)
        incoming = Incoming(
            thread=thread_id(channel, thread_ts, workspace=workspace),
            text=action["value"],
            user=body["user"]["id"],
            event_id=scoped(workspace, f"slack-click:{channel}:{action['action_ts']}"),
        )
        job = slack_job(incoming, channel=channel, thread_ts=thread_ts)
        _put(inbox, job | _used_card(body, action))
        ack()

    app.action(_ACTION)(enqueue)


def _used_card(body: dict[str, Any], action: dict[str, Any]) -> Job:
    """What the clicked message becomes once the click is acted on (nothing for a button that
    only shows more, or when Slack sent no message with the click)."""
    message = body.get("message") or {}
    if blocks.keeps_card(action["action_id"]) or not message.get("blocks"):
        return {}
    label = action["text"]["text"]
    used = blocks.used(message["blocks"], label=label, user=body["user"]["id"])
    return {"used": {"ts": message["ts"], "text": message.get("text") or label, "blocks": used}}


def _job_for_message(flow: ConversationFlow, event: Event, workspace: str) -> Job | None:
    """The job for a person's message, or None for a thread Preflight is not in."""
    thread_ts = event.get("thread_ts")
    if event.get("channel_type") == "im":
        return _message_job(event, workspace, thread_ts=thread_ts or event["ts"])
    if not thread_ts:
        return None
    known = _knows(flow, thread_id(event["channel"], thread_ts, workspace=workspace))
    if known or soon_after_opening(event["ts"], thread_ts):
        return _message_job(event, workspace, thread_ts=thread_ts, check=not known)
    return None


def _message_job(event: Event, workspace: str, *, thread_ts: str, check: bool = False) -> Job:
    channel = event["channel"]
    text = _MENTION.sub("", event.get("text", "")).strip() or "help"
    incoming = Incoming(
        thread=thread_id(channel, thread_ts, workspace=workspace),
        text=text,
        user=event["user"],
        event_id=scoped(workspace, f"slack:{channel}:{event['ts']}"),
    )
    return slack_job(incoming, channel=channel, thread_ts=thread_ts, check=check)


def _put(inbox: Inbox, job: Job) -> None:
    try:
        inbox.put(job=job)
    except BackendUnavailableError as exc:
        raise NotQueuedError() from exc


def _knows(flow: ConversationFlow, thread: str) -> bool:
    try:
        return flow.knows(thread=thread)
    except BackendUnavailableError as exc:
        raise NotQueuedError() from exc


def _ours(event: Event) -> bool:
    """A message from a person (not an edit, a bot, or a system message)."""
    return not (event.get("subtype") or event.get("bot_id") or "user" not in event)


def thread_id(channel: str, thread_ts: str, *, workspace: str) -> str:
    """The conversation id of a Slack thread, inside its workspace.

    Args:
        channel: The channel id.
        thread_ts: The ``ts`` of the thread's first message.
        workspace: ``slack:<team id>`` (:func:`workspace_of`).

    Returns:
        ``slack:<team>/slack:<channel>:<thread_ts>``.
    """
    return scoped(workspace, f"slack:{channel}:{thread_ts}")


def workspace_of(body: Event) -> str:
    """The workspace a Slack request comes from, as a tenant id.

    Events carry the team in their envelope (``team_id``), interactions in ``team.id`` (or, for
    an org-wide app, the clicker's ``user.team_id``).

    Args:
        body: The request body Bolt parsed.

    Returns:
        ``slack:<team id>`` (``slack:unknown`` when the body names none, a workspace that no
        tenant configuration lists).
    """
    team = body.get("team")
    user = body.get("user")
    found = (
        body.get("team_id")
        or (team.get("id") if isinstance(team, dict) else None)
        or (user.get("team_id") if isinstance(user, dict) else None)
        or (body.get("event") or {}).get("team")
    )
    return f"slack:{found}" if isinstance(found, str) and found.isalnum() else "slack:unknown"


def post_replies(client: WebClient, replies: list[Reply], *, channel: str, thread_ts: str) -> None:
    """Post replies in a thread: Block Kit messages, and images as file uploads.

    Args:
        client: The Web API client.
        replies: What the flow said.
        channel: The channel id.
        thread_ts: The thread to reply in.
    """
    for reply in replies:
        try:
            client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=blocks.fallback_text(reply),
                blocks=blocks.blocks_for(reply),
            )
            for image in reply.images:
                client.files_upload_v2(
                    channel=channel,
                    thread_ts=thread_ts,
                    content=image.png,
                    filename=image.filename,
                    title=image.title,
                    alt_txt=blocks.clip(image.alt_text, 1000),
                    request_file_info=False,
                )
        except (SlackApiError, SlackClientError) as exc:
            _log.error("Slack did not take a reply in %s: %s", channel, type(exc).__name__)


def to_bolt_request(*, body: str, query: str, headers: Mapping[str, str]) -> BoltRequest:
    """Convert an HTTP request to Bolt's request.

    Args:
        body: The raw body, exactly as received (the signature covers it).
        query: The raw query string.
        headers: The request headers (repeated names allowed).

    Returns:
        The Bolt request.
    """
    grouped: dict[str, list[str]] = {}
    for name, value in headers.items():
        grouped.setdefault(name.lower(), []).append(value)
    return BoltRequest(body=body, query=query, headers=dict(grouped))


def to_aiohttp_response(response: BoltResponse) -> web.Response:
    """Convert Bolt's response to an aiohttp response.

    Args:
        response: Bolt's response.

    Returns:
        The aiohttp response.
    """
    headers: CIMultiDict[str] = CIMultiDict()
    for name, values in response.headers.items():
        for value in values:
            headers.add(name, value)
    return web.Response(status=response.status, body=response.body.encode(), headers=headers)


class SlackEndpoint:
    """The aiohttp handler of ``POST /slack/events`` (events and interactivity).

    Args:
        app: The Bolt app.
        signing_secret: The signing secret, checked here before Bolt sees the request.
    """

    def __init__(self, app: App, *, signing_secret: str) -> None:
        self._app = app
        self._secret = signing_secret.encode()

    async def __call__(self, request: web.Request) -> web.Response:
        """Check the signature, then dispatch through Bolt in a worker thread.

        Args:
            request: The HTTP request from Slack.

        Returns:
            Bolt's answer (200 ack), 401 for a bad signature, 400 for a malformed signed body.
        """
        raw = await request.read()
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        if not self._signed(raw, timestamp, signature):
            _log.warning("refused a Slack request without a valid signature (%d bytes)", len(raw))
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            body = raw.decode("utf-8")
            _parse(body, request.content_type)
        except ValueError:
            _log.warning(
                "refused a signed Slack request with a malformed body (%d bytes)", len(raw)
            )
            return web.json_response({"error": "malformed body"}, status=400)
        bolt_request = to_bolt_request(
            body=body, query=request.query_string, headers=request.headers
        )
        response = await asyncio.to_thread(self._app.dispatch, bolt_request)
        return to_aiohttp_response(response)

    def _signed(self, raw: bytes, timestamp: str | None, signature: str | None) -> bool:
        """Slack's v0 signature over the raw bytes, with a numeric timestamp at most 5 min old."""
        if timestamp is None or signature is None or not timestamp.isascii():
            return False
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_AGE_S:
            return False
        digest = hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
        return hmac.compare_digest(f"v0={digest.hexdigest()}".encode(), signature.encode())


def _parse(body: str, content_type: str) -> None:
    """Raise ValueError unless ``body`` is what Slack posts: JSON, or a form with a JSON payload."""
    if content_type == "application/json":
        if not isinstance(json.loads(body), dict):
            raise ValueError("not a JSON object")
        return
    form = parse_qs(body, strict_parsing=bool(body))
    if "payload" in form and not isinstance(json.loads(form["payload"][0]), dict):
        raise ValueError("payload is not a JSON object")


def connect_socket_mode(app: App, settings: SlackSettings) -> None:
    """Connect the app to Slack over Socket Mode (no public endpoint needed).

    Args:
        app: The Bolt app.
        settings: Slack settings with ``app_token`` (``xapp-…``).

    Raises:
        ConfigurationError: When no app token is set.
    """
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    if settings.app_token is None:
        raise ConfigurationError("Socket Mode needs PREFLIGHT_SLACK__APP_TOKEN")
    handler = SocketModeHandler(app, settings.app_token.get_secret_value())
    handler.connect()  # type: ignore[no-untyped-call]
