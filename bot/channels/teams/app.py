"""The Microsoft Teams channel: a Bot Framework activity handler in front of the flow.

``POST /api/messages`` goes through botbuilder's aiohttp ``CloudAdapter``, which checks the
Bot Framework JWT of every request against the app id (``settings.teams.app_id``) and sends
replies to the activity's ``serviceUrl`` with the app's credentials. With an empty app id the
adapter runs unauthenticated, as the Bot Framework Emulator does: tests use that, and
``preflight serve`` mounts this endpoint only when an app id is configured.

A message activity becomes the flow's :class:`~bot.conversation.flow.Incoming`: the conversation id
is ``teams:<tenant id>/teams:<conversation.id>`` (the Entra tenant first, as Preflight's tenant,
:mod:`bot.conversation.thread_keys`; a Teams channel conversation id already names its reply
chain, ``…;messageid=…``), the user is ``from.aadObjectId`` (else ``from.id``), the text is the
message without the bot's @mention, or the value of a pressed card button (``Action.Submit``
data), and ``teams:<tenant id>/teams:<conversation id>:<activity id>`` goes through the flow's
processed-once mechanism (an activity id is unique only within its conversation). Replies are
Adaptive Cards drawn by ``bot.channels.teams.cards``. Once a card's button is acted on, the card's
message is updated (``updateActivity`` of the click's ``replyToId``) to one without buttons that
names who chose what, so an old card cannot approve or roll back twice.

Unauthenticated input is answered before botbuilder sees it: a body that is not a JSON activity
gets 400, a missing or malformed ``Authorization`` header 401. botbuilder fetches Microsoft's
OpenID keys with a blocking call without a timeout, so each activity is authenticated and
processed in a small thread pool with its own event loop, never on the server's loop, and the
server stops waiting after ``auth_timeout_s`` (503: the token could not be checked). A token
botbuilder refuses gets 401; keys that cannot be fetched give 503, never "allowed".

This is the only module that imports botbuilder, so moving to the Microsoft 365 Agents SDK is
this file. It must hold no conversation logic.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import jwt
import requests
from aiohttp import web
from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, Attachment, CallerIdConstants
from botframework.connector.auth import AuthenticationConstants

from bot.channels.teams import cards
from bot.conversation.flow import ConversationFlow, Incoming
from bot.conversation.replies import Reply, settles_card
from bot.conversation.thread_keys import scoped
from bot.settings import TeamsSettings
from domain.errors import BackendUnavailableError, ConfigurationError


@dataclass(frozen=True)
class _BotConfiguration:
    """The attribute names botbuilder's configuration-based authentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str | None
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    OAUTH_URL: str | None = None
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str | None = None
    CALLER_ID: str | None = None


_log = logging.getLogger(__name__)
_TENANT = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_BEARER_JWT = re.compile(r"^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


class PreflightTeamsBot(ActivityHandler):  # type: ignore[misc]
    """Hands Teams messages to the flow and answers with Adaptive Cards.

    Args:
        flow: The conversation flow.
    """

    def __init__(self, flow: ConversationFlow) -> None:
        super().__init__()
        self._flow = flow

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """Convert the activity, run the flow in a worker thread, send the cards.

        Args:
            turn_context: The turn.
        """
        incoming = to_incoming(turn_context.activity)
        if incoming is None:
            return
        replies = await asyncio.to_thread(self._flow.handle, incoming)
        for reply in replies:
            await turn_context.send_activity(to_activity(reply))
        activity = turn_context.activity
        key = cards.card_key_of(activity.value)
        if not activity.reply_to_id or key is None or not settles_card(replies):
            return
        original = await asyncio.to_thread(self._posted, incoming.thread, key)
        used = used_activity(activity, replies, original)
        if used is not None:
            await turn_context.update_activity(used)

    def _posted(self, thread: str, key: str) -> Reply | None:
        """The reply a clicked card was drawn from; None when it cannot be found (the card is
        then replaced by its summary)."""
        try:
            return self._flow.posted(thread=thread, key=key)
        except BackendUnavailableError:
            return None


def used_activity(
    activity: Activity, replies: list[Reply], original: Reply | None = None
) -> Activity | None:
    """The update that replaces a card whose button was acted on: the same card without its
    buttons, saying who did what when.

    Args:
        activity: The click's activity (``replyToId`` names the card's message).
        replies: What the flow answered.
        original: The reply the card was drawn from, when the thread still keeps it.

    Returns:
        The activity to update the card's message with, or None when the click was refused,
        only showed more, or names no message.
    """
    if not activity.reply_to_id or not settles_card(replies):
        return None
    sender = activity.from_property
    who = (sender.name if sender else None) or "someone"
    card = cards.used_card(activity.value, who=who, at=_when(activity), original=original)
    if card is None:
        return None
    update: Activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    update.id = activity.reply_to_id
    return update


def _when(activity: Activity) -> str:
    """When the click happened (Teams stamps the activity), in UTC to the minute."""
    stamp = activity.timestamp if isinstance(activity.timestamp, datetime) else None
    moment = (stamp or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def to_incoming(activity: Activity) -> Incoming | None:
    """Convert a Teams message activity to the flow's message.

    Args:
        activity: A message activity.

    Returns:
        The message, or None when it carries neither text nor a Preflight button value.
    """
    text = cards.choice_of(activity.value)
    if text is None:
        text = (TurnContext.remove_recipient_mention(activity) or "").strip()
    if not text:
        return None
    sender = activity.from_property
    user = (sender.aad_object_id or sender.id) if sender else "someone"
    reference = TurnContext.get_conversation_reference(activity)
    workspace = workspace_of(activity)
    thread = f"teams:{activity.conversation.id}"
    return Incoming(
        thread=scoped(workspace, thread),
        text=text,
        user=user,
        event_id=scoped(workspace, f"{thread}:{activity.id}") if activity.id else None,
        reply_to=json.dumps(reference.serialize()),
    )


def workspace_of(activity: Activity) -> str:
    """The Entra tenant an activity comes from, as Preflight's tenant id.

    Teams names it on the conversation (``conversation.tenantId``) and in ``channelData.tenant``.

    Args:
        activity: An activity.

    Returns:
        ``teams:<tenant id>`` (``teams:unknown`` when the activity names none, a workspace no
        tenant configuration lists).
    """
    tenant = getattr(activity.conversation, "tenant_id", None)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    if not tenant and isinstance(data.get("tenant"), dict):
        tenant = data["tenant"].get("id")
    ok = isinstance(tenant, str) and _TENANT.match(tenant)
    return f"teams:{tenant}" if ok else "teams:unknown"


def to_activity(reply: Reply) -> Activity:
    """Convert a reply to a message activity with an Adaptive Card (and inline images).

    Args:
        reply: The reply.

    Returns:
        The activity to send.
    """
    attachments = [CardFactory.adaptive_card(cards.card_for(reply))]
    attachments += [
        Attachment(
            content_type=item["contentType"], content_url=item["contentUrl"], name=item["name"]
        )
        for item in cards.image_attachments(reply)
    ]
    activity: Activity = MessageFactory.list(attachments)
    activity.summary = reply.text[:200]
    return activity


def build_teams_adapter(settings: TeamsSettings) -> CloudAdapter:
    """botbuilder's aiohttp adapter authenticated as the configured app.

    Args:
        settings: The app id, password and (single-tenant apps) tenant id; an empty app id runs
            without authentication (the Emulator's mode; never in production).

    Returns:
        The adapter.

    Raises:
        ConfigurationError: When an app id is set without its password.
    """
    if settings.app_id and settings.app_password is None:
        raise ConfigurationError("Teams needs PREFLIGHT_TEAMS__APP_PASSWORD with __APP_ID")
    configuration = _BotConfiguration(
        APP_ID=settings.app_id or "",
        APP_PASSWORD=settings.app_password.get_secret_value() if settings.app_password else "",
        APP_TYPE="SingleTenant" if settings.tenant_id else "MultiTenant",
        APP_TENANTID=settings.tenant_id,
    )
    if settings.openid_metadata_url:
        # Any one endpoint set switches botbuilder to its parameterised mode: give it the rest of
        # the public cloud's values, as its public-cloud authentication uses them.
        public = AuthenticationConstants
        configuration = replace(
            configuration,
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=settings.openid_metadata_url,
            TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=public.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
            TO_CHANNEL_FROM_BOT_LOGIN_URL=public.TO_CHANNEL_FROM_BOT_LOGIN_URL,
            TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=public.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
            OAUTH_URL=public.OAUTH_URL,
            TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=public.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
            CALLER_ID=CallerIdConstants.public_azure_channel,
        )
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))


class TeamsEndpoint:
    """The aiohttp handler of ``POST /api/messages``.

    Args:
        settings: Teams credentials.
        flow: The conversation flow.
        workers: Threads that authenticate and process activities off the event loop.
        auth_timeout_s: How long a request waits for authentication and processing.
    """

    def __init__(
        self,
        settings: TeamsSettings,
        flow: ConversationFlow,
        *,
        workers: int = 8,
        auth_timeout_s: float = 10.0,
    ) -> None:
        self._adapter = build_teams_adapter(settings)
        self._bot = PreflightTeamsBot(flow)
        self._authenticated = bool(settings.app_id)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="teams")
        self._timeout_s = auth_timeout_s

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        """Check the request's shape, then authenticate and process it off the event loop.

        Args:
            request: The HTTP request from the Bot Framework.

        Returns:
            201 when processed (or an invoke response), 400 for a body that is not an activity,
            401 when authentication fails, 415 for a body that is not JSON, 503 when the token
            could not be checked.
        """
        if request.content_type != "application/json":
            return web.Response(status=415)
        auth = request.headers.get("Authorization", "")
        if self._authenticated and not _BEARER_JWT.match(auth):
            return _refused(401, "missing or malformed bearer token")
        try:
            body = await request.json()
            activity = Activity().deserialize(body) if isinstance(body, dict) else None
        except ValueError:  # bad JSON, bad UTF-8, and msrest's DeserializationError
            activity = None
        if activity is None or not activity.type:
            return _refused(400, "the body is not a Bot Framework activity")
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self._pool, self._process, auth, activity)
        try:
            invoke = await asyncio.wait_for(work, timeout=self._timeout_s)
        except (PermissionError, jwt.PyJWTError):
            return _refused(401, "the token was refused")
        except (requests.RequestException, TimeoutError, KeyError) as exc:
            _log.warning("Teams token could not be checked: %s", type(exc).__name__)
            return web.json_response({"error": "could not check the token"}, status=503)
        if invoke is None:
            return web.Response(status=201)
        return web.json_response(invoke.body, status=invoke.status)

    def _process(self, auth: str, activity: Activity) -> Any:
        """Run botbuilder's authentication and the turn on this worker thread's own loop."""
        return asyncio.run(self._adapter.process_activity(auth, activity, self._bot.on_turn))

    @property
    def adapter(self) -> CloudAdapter:
        """botbuilder's adapter (for posting into a conversation unprompted)."""
        return self._adapter

    def close(self) -> None:
        """Stop the worker threads (pending activities are finished first)."""
        self._pool.shutdown(wait=False)


def _refused(status: int, why: str) -> web.Response:
    _log.warning("refused a Teams request: %s", why)
    return web.json_response({"error": why}, status=status)
