"""Posting into a Slack thread unprompted (the Day-2 watch, a finished measurement)."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.channels.proactive import Post
from bot.channels.slack.app import post_replies
from bot.conversation.replies import Reply
from bot.conversation.thread_keys import legacy_key


def slack_poster(token: str, *, api_url: str | None = None) -> Post:
    """A poster for ``slack:<team>/slack:<channel>:<thread ts>`` threads (and pre-tenant
    ``slack:<channel>:<thread ts>`` ones), with its own Web API client.

    Args:
        token: The bot token.
        api_url: The Web API base URL (Slack's when None).

    Returns:
        ``post(thread, reply)``.
    """
    client = WebClient(token=token, base_url=api_url) if api_url else WebClient(token=token)

    def post(thread: str, reply: Reply) -> None:
        _, channel, thread_ts = (legacy_key(thread) or thread).split(":", 2)
        post_replies(client, [reply], channel=channel, thread_ts=thread_ts)

    return post
