"""Replies drawn as Slack Block Kit: plain dictionaries, within Block Kit's published limits.

A :class:`~bot.conversation.replies.Reply` becomes section blocks (text, then fields two columns
wide), one section per table (a monospace block), and actions blocks of buttons whose ``value`` is
the choice's value; pressing one sends that value back as the user's next message. Images are not
blocks here: the channel uploads them as files. Limits honoured (Slack's Block Kit reference):
50 blocks a message, section text 3,000 characters, 10 fields of 2,000, header text 150,
button text 75, ``action_id`` 255, button ``value`` 2,000, 25 elements an actions block, 10
elements a context block. Longer content is cut with an ellipsis rather than rejected by Slack.

This module builds data only: it must not import a Slack SDK or call the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.conversation.replies import Choice, ChoiceStyle, Field, Reply, ReplyKind, Table

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000
MAX_ACTIONS = 25
MAX_FALLBACK_TEXT = 3000
ACTION_PREFIX = "preflight_choice"
"""``action_id`` of every Preflight button is ``preflight_choice:<index>``."""

Block = dict[str, Any]

_ICON = {
    ReplyKind.QUESTION: ":question:",
    ReplyKind.RECOMMENDATION: ":white_check_mark:",
    ReplyKind.COMPARISON: ":left_right_arrow:",
    ReplyKind.CONFIRMATION: ":warning:",
    ReplyKind.STATUS: ":information_source:",
    ReplyKind.NOTICE: ":speech_balloon:",
    ReplyKind.ERROR: ":x:",
}


def blocks_for(reply: Reply) -> list[Block]:
    """Draw a reply as Block Kit blocks (at most :data:`MAX_BLOCKS`).

    Args:
        reply: The reply.

    Returns:
        The blocks, text first, then fields, tables and buttons.
    """
    blocks = [_section(f"{_ICON[reply.kind]} {escape(reply.text)}")]
    blocks += _field_sections(reply.fields)
    blocks += [_table_section(table) for table in reply.tables]
    actions = _actions(reply.choices)
    room = MAX_BLOCKS - len(actions)
    if len(blocks) > room:
        note = _context("Some details were left out; say “status” or ask again to see them.")
        blocks = [*blocks[: room - 1], note]
    return blocks + actions


def fallback_text(reply: Reply) -> str:
    """The notification and screen-reader text of a reply's message.

    Args:
        reply: The reply.

    Returns:
        The reply as plain text, cut to :data:`MAX_FALLBACK_TEXT` characters.
    """
    return clip(reply.plain_text(), MAX_FALLBACK_TEXT)


def action_id(index: int) -> str:
    """The ``action_id`` of the button for the ``index``-th choice.

    Args:
        index: The choice's position in its reply.

    Returns:
        E.g. ``preflight_choice:0``.
    """
    return f"{ACTION_PREFIX}:{index}"[:MAX_ACTION_ID]


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters.

    Args:
        text: Any text.

    Returns:
        The text with ``&``, ``<`` and ``>`` escaped, so user text cannot form mentions or links.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut text to ``limit`` characters, ending in an ellipsis when cut.

    Args:
        text: Any text.
        limit: The most characters allowed.

    Returns:
        The text, at most ``limit`` characters long.
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(mrkdwn, MAX_SECTION_TEXT)}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 2000)}]}


def _field_sections(fields: Sequence[Field]) -> list[Block]:
    sections = []
    for start in range(0, len(fields), MAX_FIELDS):
        chunk = fields[start : start + MAX_FIELDS]
        sections.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": clip(f"*{escape(f.label)}*\n{escape(f.value)}", MAX_FIELD_TEXT),
                    }
                    for f in chunk
                ],
            }
        )
    return sections


def _table_section(table: Table) -> Block:
    widths = [len(column) for column in table.columns]
    for row in table.rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=False)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
        for row in (table.columns, *table.rows)
    ]
    title = f"*{escape(table.title)}*\n" if table.title else ""
    fence = "```"
    budget = MAX_SECTION_TEXT - len(title) - 2 * len(fence) - 2
    body = escape("\n".join(lines))
    return _section(f"{title}{fence}\n{clip(body, budget)}\n{fence}")


def _actions(choices: Sequence[Choice]) -> list[Block]:
    buttons = [_button(index, choice) for index, choice in enumerate(choices)]
    return [
        {"type": "actions", "elements": buttons[start : start + MAX_ACTIONS]}
        for start in range(0, len(buttons), MAX_ACTIONS)
    ]


def _button(index: int, choice: Choice) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(choice.label, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id(index),
        "value": clip(choice.value, MAX_BUTTON_VALUE),
    }
    if choice.style is not ChoiceStyle.DEFAULT:
        button["style"] = choice.style.value
    return button
