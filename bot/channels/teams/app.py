"""The Microsoft Teams channel: a Bot Framework activity handler in front of the flow.

``POST /api/messages`` goes through botbuilder's aiohttp ``CloudAdapter``, which checks the
Bot Framework JWT of every request against the app id (``settings.teams.app_id``) and sends
replies to the activity's ``serviceUrl`` with the app's credentials. With an empty app id the
adapter runs unauthenticated, as the Bot Framework Emulator does: tests use that, and
``preflight serve`` mounts this endpoint only when an app id is configured.

A message activity becomes the flow's :class:`~bot.conversation.flow.Incoming`: the conversation id
is ``teams:<conversation.id>`` (a Teams channel conversation id already names its reply chain,
``…;messageid=…``), the user is ``from.aadObjectId`` (else ``from.id``), the text is the message
without the bot's @mention, or the value of a pressed card button (``Action.Submit`` data), and
the activity id goes through the flow's processed-once mechanism. Replies are Adaptive Cards
drawn by ``bot.channels.teams.cards``.

This is the only module that imports botbuilder, so moving to the Microsoft 365 Agents SDK is
this file. It must hold no conversation logic.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web
from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, Attachment

from bot.channels.teams import cards
from bot.conversation.flow import ConversationFlow, Incoming
from bot.conversation.replies import Reply
from bot.settings import TeamsSettings
from domain.errors import ConfigurationError


@dataclass(frozen=True)
class _BotConfiguration:
    """The attribute names botbuilder's configuration-based authentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str | None


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
    return Incoming(
        thread=f"teams:{activity.conversation.id}",
        text=text,
        user=user,
        event_id=f"teams:{activity.id}" if activity.id else None,
    )


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
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))


class TeamsEndpoint:
    """The aiohttp handler of ``POST /api/messages``.

    Args:
        settings: Teams credentials.
        flow: The conversation flow.
    """

    def __init__(self, settings: TeamsSettings, flow: ConversationFlow) -> None:
        self._adapter = build_teams_adapter(settings)
        self._bot = PreflightTeamsBot(flow)

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        """Authenticate and process one activity.

        Args:
            request: The HTTP request from the Bot Framework.

        Returns:
            201 when processed, 401 when authentication fails, an invoke response when asked.
        """
        response = await self._adapter.process(request, self._bot)
        return response if response is not None else web.Response(status=201)
