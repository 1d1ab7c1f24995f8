"""The Slack channel: a Bolt app whose listeners hand thread messages and button clicks to the flow.

Bolt verifies every request's signature (``X-Slack-Signature``, HMAC-SHA256 of the body with the
signing secret, and a timestamp within five minutes); an unsigned or wrongly signed request gets
401 and reaches no listener. Verification is never turned off here.

Surfaces (each registered by its own function, as Bolt's examples do):

* ``app_mention`` — "@Preflight …" starts or continues the conversation of the thread it is in;
* ``message`` — replies in a thread Preflight already talks in, and direct messages (each
  top-level direct message starts a conversation; Preflight answers in its thread);
* ``block_actions`` — a Preflight button sends its value as the clicker's next message, so an
  "Approve" click is an approval by the clicker (the deployer checks who that is).

The conversation id is ``slack:<channel>:<thread_ts>``. A message is processed once, whichever
of its deliveries comes first (Slack's retries, or ``app_mention`` and ``message`` for the same
message): its id ``slack:<channel>:<ts>`` goes through the flow's processed-once mechanism.

The app is the synchronous Bolt ``App``: the flow is synchronous, so listeners call it directly.
The HTTP endpoint converts an aiohttp request to a ``BoltRequest``, runs ``App.dispatch`` in a
worker thread (so the event loop is never blocked) and converts the ``BoltResponse`` back; Bolt
acknowledges first and runs listeners in its own thread pool, so Slack's three-second deadline
holds however long a recommendation takes. Socket Mode (``settings.slack.app_token``) uses the
same app. This is the only module that imports ``slack_bolt`` or ``slack_sdk``; drawing Block Kit
is ``bot.channels.slack.blocks``. It must hold no conversation logic.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from typing import Any

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
Event = dict[str, Any]


def build_slack_app(settings: SlackSettings, flow: ConversationFlow) -> App:
    """The Bolt app with Preflight's listeners, its Web API calls going to ``settings.api_url``.

    Args:
        settings: Slack credentials (bot token and signing secret are required).
        flow: The conversation flow.

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
        )
    except (BoltError, SlackApiError, SlackClientError, OSError) as exc:
        raise ConfigurationError(f"Slack did not accept the bot token: {exc}") from exc
    register(app, flow)
    return app


def register(app: App, flow: ConversationFlow) -> None:
    """Register every surface's listeners on ``app``.

    Args:
        app: A Bolt app.
        flow: The conversation flow.
    """
    register_mentions(app, flow)
    register_messages(app, flow)
    register_buttons(app, flow)


def register_mentions(app: App, flow: ConversationFlow) -> None:
    """``@Preflight …`` in a channel: the thread's conversation starts or continues.

    Args:
        app: A Bolt app.
        flow: The conversation flow.
    """

    @app.event("app_mention")
    def on_mention(event: Event, client: WebClient) -> None:
        thread_ts = event.get("thread_ts") or event["ts"]
        _converse(flow, client, event, thread_ts=thread_ts)


def register_messages(app: App, flow: ConversationFlow) -> None:
    """Thread replies where Preflight already talks, and direct messages.

    Args:
        app: A Bolt app.
        flow: The conversation flow.
    """

    @app.event("message")
    def on_message(event: Event, client: WebClient) -> None:
        if event.get("subtype") or event.get("bot_id") or "user" not in event:
            return
        channel, thread_ts = event["channel"], event.get("thread_ts")
        if event.get("channel_type") == "im":
            _converse(flow, client, event, thread_ts=thread_ts or event["ts"])
        elif thread_ts and _talking_in(flow, thread_id(channel, thread_ts)):
            _converse(flow, client, event, thread_ts=thread_ts)


def register_buttons(app: App, flow: ConversationFlow) -> None:
    """A click on a Preflight button sends its value as the clicker's message.

    Args:
        app: A Bolt app.
        flow: The conversation flow.
    """

    @app.action(_ACTION)
    def on_click(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
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


def _talking_in(flow: ConversationFlow, thread: str) -> bool:
    try:
        return flow.state(thread=thread).turns > 0
    except BackendUnavailableError as exc:
        # Unknown whether Preflight talks here: staying quiet beats answering every thread.
        _log.warning("Cannot tell whether to answer in %s: %s", thread, exc)
        return False


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
    """

    def __init__(self, app: App) -> None:
        self._app = app

    async def __call__(self, request: web.Request) -> web.Response:
        """Dispatch one request through Bolt in a worker thread.

        Args:
            request: The HTTP request from Slack.

        Returns:
            Bolt's answer (200 ack, 401 for a bad signature, …).
        """
        bolt_request = to_bolt_request(
            body=await request.text(), query=request.query_string, headers=request.headers
        )
        response = await asyncio.to_thread(self._app.dispatch, bolt_request)
        return to_aiohttp_response(response)


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
