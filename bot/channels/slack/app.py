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
  "Approve" click is an approval by the clicker of the request and hash the button names.

Ack at once, work afterwards: the app runs with ``process_before_response`` and every listener is
an ack function that only acknowledges (and, for a mention, opens the thread so follow-ups that
arrive before the first answer are answered) plus a lazy listener that runs the flow in Bolt's
listener pool. A busy pool therefore never delays an acknowledgement. When the state store
cannot say whether Preflight talks in a thread, the ack function fails and Slack retries the
event later; a message Preflight does process while the store is down is answered with "try
again". The conversation id is ``slack:<channel>:<thread_ts>``; a message is processed once,
whichever of its deliveries comes first (``slack:<channel>:<ts>`` is the flow's event id).

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
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from multidict import CIMultiDict
from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.channels.slack import blocks
from bot.conversation.flow import ConversationFlow, Incoming
from bot.conversation.replies import Reply
from bot.settings import SlackSettings
from domain.errors import BackendUnavailableError, ConfigurationError

_log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_ACTION = re.compile(rf"^{blocks.ACTION_PREFIX}:\d+$")
MAX_AGE_S = 5 * 60  # Slack's replay window for a signed request
NEW_THREAD_S = 60.0  # a thread this young may still be opening: wait for its mention
_RECHECKS_S = (0.1, 0.25, 0.5, 1.0, 2.0)
Event = dict[str, Any]


class ThreadUnknownError(Exception):
    """The store could not say whether Preflight talks in a thread: Slack should retry."""


def build_slack_app(
    settings: SlackSettings,
    flow: ConversationFlow,
    *,
    executor: ThreadPoolExecutor | None = None,
) -> App:
    """The Bolt app with Preflight's listeners, its Web API calls going to ``settings.api_url``.

    Args:
        settings: Slack credentials (bot token and signing secret are required).
        flow: The conversation flow.
        executor: The pool lazy listeners run in (Bolt's default of 10 threads when None).

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
            listener_executor=executor,
        )
    except (BoltError, SlackApiError, SlackClientError, OSError) as exc:
        raise ConfigurationError(f"Slack did not accept the bot token: {exc}") from exc
    register(app, flow)
    return app


def register(app: App, flow: ConversationFlow) -> None:
    """Register every surface's listeners on ``app``, and the error handler.

    Args:
        app: A Bolt app.
        flow: The conversation flow.
    """
    register_mentions(app, flow)
    register_messages(app, flow)
    register_buttons(app, flow)

    @app.error
    def on_error(error: Exception) -> BoltResponse:
        if isinstance(error, ThreadUnknownError):
            _log.warning("state store unavailable; Slack will retry the event")
            return BoltResponse(status=503, body="")
        _log.error("Slack listener failed: %s", type(error).__name__)
        return BoltResponse(status=500, body="")


def register_mentions(app: App, flow: ConversationFlow) -> None:
    """``@Preflight …`` in a channel: the thread's conversation starts or continues.

    Args:
        app: A Bolt app.
        flow: The conversation flow.
    """

    def open_thread(ack: Ack, event: Event) -> None:
        # When the store is down the mention is still processed, and answered with "try again".
        with contextlib.suppress(BackendUnavailableError):
            flow.open(thread=thread_id(event["channel"], event.get("thread_ts") or event["ts"]))
        ack()

    def work(event: Event, client: WebClient) -> None:
        _converse(flow, client, event, thread_ts=event.get("thread_ts") or event["ts"])

    app.event("app_mention")(ack=open_thread, lazy=[work])


def register_messages(app: App, flow: ConversationFlow) -> None:
    """Thread replies where Preflight already talks, and direct messages.

    Args:
        app: A Bolt app.
        flow: The conversation flow.
    """

    def check(ack: Ack, event: Event) -> None:
        thread_ts = event.get("thread_ts")
        if _ours(event) and thread_ts and event.get("channel_type") != "im":
            try:
                flow.knows(thread=thread_id(event["channel"], thread_ts))
            except BackendUnavailableError as exc:
                raise ThreadUnknownError() from exc
        ack()

    def work(event: Event, client: WebClient) -> None:
        if not _ours(event):
            return
        channel, thread_ts = event["channel"], event.get("thread_ts")
        if event.get("channel_type") == "im":
            _converse(flow, client, event, thread_ts=thread_ts or event["ts"])
        elif thread_ts and _talking_in(flow, thread_id(channel, thread_ts), thread_ts):
            _converse(flow, client, event, thread_ts=thread_ts)

    app.event("message")(ack=check, lazy=[work])


def register_buttons(app: App, flow: ConversationFlow) -> None:
    """A click on a Preflight button sends its value as the clicker's message.

    Args:
        app: A Bolt app.
        flow: The conversation flow.
    """

    def acknowledge(ack: Ack) -> None:
        ack()

    def work(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        channel = body["channel"]["id"]
        message = body.get("message") or {}
        container = body.get("container") or {}
        thread_ts = (
            message.get("thread_ts") or container.get("thread_ts") or container["message_ts"]
        )
        incoming = Incoming(
            thread=thread_id(channel, thread_ts),
            text=action["value"],
            user=body["user"]["id"],
            event_id=f"slack-click:{channel}:{action['action_ts']}",
        )
        post_replies(client, flow.handle(incoming), channel=channel, thread_ts=thread_ts)

    app.action(_ACTION)(ack=acknowledge, lazy=[work])


def _ours(event: Event) -> bool:
    """A message from a person (not an edit, a bot, or a system message)."""
    return not (event.get("subtype") or event.get("bot_id") or "user" not in event)


def thread_id(channel: str, thread_ts: str) -> str:
    """The conversation id of a Slack thread.

    Args:
        channel: The channel id.
        thread_ts: The ``ts`` of the thread's first message.

    Returns:
        ``slack:<channel>:<thread_ts>``.
    """
    return f"slack:{channel}:{thread_ts}"


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


def _talking_in(flow: ConversationFlow, thread: str, thread_ts: str) -> bool:
    """Whether Preflight talks in a thread; a young thread is re-checked for a while, since its
    opening mention may still be on its way (Slack does not order events)."""
    delays = _RECHECKS_S if _age_s(thread_ts) < NEW_THREAD_S else ()
    for delay in (0.0, *delays):
        time.sleep(delay)
        try:
            if flow.knows(thread=thread):
                return True
        except BackendUnavailableError as exc:
            _log.warning("cannot tell whether Preflight talks in a thread: %s", exc.service)
            return False
    return False


def _age_s(ts: str) -> float:
    try:
        return time.time() - float(ts)
    except ValueError:
        return float("inf")


def _converse(flow: ConversationFlow, client: WebClient, event: Event, *, thread_ts: str) -> None:
    channel = event["channel"]
    text = _MENTION.sub("", event.get("text", "")).strip()
    if not text:
        text = "help"
    incoming = Incoming(
        thread=thread_id(channel, thread_ts),
        text=text,
        user=event["user"],
        event_id=f"slack:{channel}:{event['ts']}",
    )
    post_replies(client, flow.handle(incoming), channel=channel, thread_ts=thread_ts)


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
