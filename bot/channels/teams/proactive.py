"""Posting into a Teams conversation unprompted (the Day-2 watch, a finished measurement).

Teams only lets a bot write into a conversation it holds a reference for: every message the
Teams channel hands the flow carries its conversation reference (``Incoming.reply_to``), which
the flow keeps in the thread's state — shared by every replica through the state store. A
poster reads it back and continues the conversation through botbuilder's adapter
(``CloudAdapter.continue_conversation``, Bot Framework SDK, "Send proactive messages").
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference

from bot.channels.proactive import Post
from bot.channels.teams.app import to_activity
from bot.conversation.replies import Reply

_log = logging.getLogger("preflight.teams")


def teams_poster(
    adapter: CloudAdapter, *, app_id: str, reference_of: Callable[[str], str | None]
) -> Post:
    """A poster for ``teams:<conversation>`` threads.

    Args:
        adapter: The Teams endpoint's adapter (its credentials).
        app_id: The bot's app id.
        reference_of: The thread's stored conversation reference (JSON), if any.

    Returns:
        ``post(thread, reply)``; called from a thread without an event loop (the watch's).
    """

    def post(thread: str, reply: Reply) -> None:
        raw = reference_of(thread)
        if raw is None:
            _log.warning("no conversation reference for %s: not posted", thread)
            return
        reference = ConversationReference().deserialize(json.loads(raw))

        async def send(turn_context: TurnContext) -> None:
            await turn_context.send_activity(to_activity(reply))

        asyncio.run(adapter.continue_conversation(reference, send, app_id))

    return post
