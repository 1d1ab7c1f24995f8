"""Replies drawn as Slack Block Kit: plain dictionaries, within Block Kit's published limits.

A :class:`~bot.conversation.replies.Reply` becomes, top to bottom: a section with the headline
(an icon for its tone), a section of reasons as bullets, a context line per short field, one
narrow monospace table per table (numbers right-aligned, at most :data:`TABLE_WIDTH` characters
wide so a thread pane does not wrap it), and actions blocks of buttons whose ``value`` is the
choice's value; pressing one sends that value back as the user's next message, and a press that
was acted on redraws its message without buttons (:func:`used`). Slack cannot
fold, so folded details stay out of the message and the "How was this computed?" button asks
for them. A choice with a :class:`~bot.conversation.replies.Confirm` gets a Slack ``confirm``
dialog; a disabled choice is left out (Slack has no disabled buttons). Images are not blocks
here: the channel uploads them as files with their alt text.

Limits honoured (Slack's Block Kit reference, api.slack.com/reference/block-kit): 50 blocks a
message, section text 3,000 characters, 10 fields of 2,000, button text 75, ``action_id`` 255,
button ``value`` 2,000, 25 elements an actions block, 10 elements a context block, confirm
title 100, text 300, confirm/deny 30. Longer content is cut with an ellipsis rather than
rejected by Slack.

This module builds data only: it must not import a Slack SDK or call the network.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from bot.conversation.replies import Align, Choice, ChoiceStyle, Confirm, Field, Reply, Table, Tone

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000
MAX_ACTIONS = 25
MAX_CONTEXT_TEXT = 2000
TABLE_WIDTH = 60
"""Characters of a code-block line that a thread pane shows without wrapping."""
ACTION_PREFIX = "preflight_choice"
"""``action_id`` of every Preflight button is ``preflight_choice:<index>`` (``…:<index>:keep``
for a button that only shows more and so leaves its message's buttons live)."""
KEEP_SUFFIX = ":keep"
_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")

Block = dict[str, Any]

_ICON = {
    Tone.NEUTRAL: "",
    Tone.GOOD: ":white_check_mark: ",
    Tone.WARNING: ":warning: ",
    Tone.ATTENTION: ":x: ",
}


def blocks_for(reply: Reply) -> list[Block]:
    """Draw a reply as Block Kit blocks (at most :data:`MAX_BLOCKS`).

    Args:
        reply: The reply.

    Returns:
        The blocks: headline, reasons, fields, tables, then buttons.
    """
    blocks = [_section(f"{_ICON[reply.tone]}*{escape(reply.text)}*")]
    if reply.reasons:
        blocks.append(_section("\n".join(f"• {escape(reason)}" for reason in reply.reasons)))
    blocks += _field_blocks(reply.fields)
    blocks += [_table_section(table) for table in reply.tables]
    actions = _actions(reply.choices)
    room = MAX_BLOCKS - len(actions)
    if len(blocks) > room:
        note = _context("Some details were left out; say “status” or ask again to see them.")
        blocks = [*blocks[: room - 1], note]
    return blocks + actions


def fallback_text(reply: Reply) -> str:
    """The notification and screen-reader text of a reply's message: its summary, escaped.

    Args:
        reply: The reply.

    Returns:
        One or two lines, with ``&``, ``<`` and ``>`` escaped.
    """
    return escape(reply.summary_text())


def action_id(index: int, *, keeps_card: bool = False) -> str:
    """The ``action_id`` of the button for the ``index``-th choice.

    Args:
        index: The choice's position in its reply.
        keeps_card: The choice only shows more (its message keeps its buttons when clicked).

    Returns:
        E.g. ``preflight_choice:0`` or ``preflight_choice:1:keep``.
    """
    return (f"{ACTION_PREFIX}:{index}" + (KEEP_SUFFIX if keeps_card else ""))[:MAX_ACTION_ID]


def keeps_card(action_id_: str) -> bool:
    """Whether a clicked button only shows more, so its message keeps its buttons.

    Args:
        action_id_: The clicked button's ``action_id``.

    Returns:
        True for a ``…:keep`` button.
    """
    return action_id_.endswith(KEEP_SUFFIX)


def used(blocks: Sequence[Block], *, label: str, user: str) -> list[Block]:
    """A message's blocks once one of its buttons was acted on: no buttons, and who chose what.

    Args:
        blocks: The message's blocks, as Slack sent them with the click.
        label: The clicked button's text.
        user: The clicker's Slack user id (mentioned; anything else is written as text).

    Returns:
        The blocks without actions blocks, ending in a context line naming the choice.
    """
    who = f"<@{user}>" if _SLACK_USER_ID.match(user) else escape(user)
    kept = [block for block in blocks if block.get("type") != "actions"]
    return [*kept[: MAX_BLOCKS - 1], _context(f":ballot_box_with_check: *{escape(label)}* — {who}")]


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


def table_lines(table: Table) -> list[str]:
    """A table as monospace lines: columns two spaces apart (one before numbers), numbers right.

    Args:
        table: The table.

    Returns:
        The header line and one line per row (unescaped).
    """
    widths = [_width(column) for column in table.columns]
    for row in table.rows:
        widths = [max(width, _width(cell)) for width, cell in zip(widths, row, strict=False)]
    lines = []
    for row in (table.columns, *table.rows):
        line = ""
        for index, (cell, width) in enumerate(zip(row, widths, strict=False)):
            pad = " " * (width - _width(cell))
            right = table.alignment(index) is Align.RIGHT
            # a right-aligned column is padded on its left already: one space sets it apart
            gap = "" if index == 0 else (" " if right else "  ")
            line += gap + (pad + cell if right else cell + pad)
        lines.append(line.rstrip())
    return lines


def _width(text: str) -> int:
    """Columns a string takes in a monospace font (wide characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(mrkdwn, MAX_SECTION_TEXT)}}


def _context(text: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": clip(text, MAX_CONTEXT_TEXT)}],
    }


def _field_blocks(fields: Sequence[Field]) -> list[Block]:
    """Short fields as one context line each (two-column fields wrap badly in a thread pane)."""
    return [_context(f"*{escape(field.label)}:* {escape(field.value)}") for field in fields]


def _table_section(table: Table) -> Block:
    title = f"*{escape(table.title)}*\n" if table.title else ""
    fence = "```"
    budget = MAX_SECTION_TEXT - len(title) - 2 * len(fence) - 2
    body = escape("\n".join(table_lines(table)))
    return _section(f"{title}{fence}\n{clip(body, budget)}\n{fence}")


def _actions(choices: Sequence[Choice]) -> list[Block]:
    buttons = [_button(index, choice) for index, choice in enumerate(choices) if choice.enabled]
    return [
        {"type": "actions", "elements": buttons[start : start + MAX_ACTIONS]}
        for start in range(0, len(buttons), MAX_ACTIONS)
    ]


def _button(index: int, choice: Choice) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(choice.label, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id(index, keeps_card=choice.keeps_card),
        "value": clip(choice.value, MAX_BUTTON_VALUE),
    }
    if choice.style is not ChoiceStyle.DEFAULT:
        button["style"] = choice.style.value
    if choice.confirm is not None:
        button["confirm"] = confirm_object(
            choice.confirm, danger=choice.style is ChoiceStyle.DANGER
        )
    return button


def confirm_object(confirm: Confirm, *, danger: bool) -> Block:
    """A Slack confirmation dialog object.

    Args:
        confirm: The dialog's words.
        danger: Style the confirm button red (for destructive actions).

    Returns:
        The ``confirm`` object of a button.
    """
    return {
        "title": {"type": "plain_text", "text": clip(confirm.title, 100)},
        "text": {"type": "plain_text", "text": clip(confirm.text, 300)},
        "confirm": {"type": "plain_text", "text": clip(confirm.confirm, 30)},
        "deny": {"type": "plain_text", "text": clip(confirm.deny, 30)},
        "style": "danger" if danger else "primary",
    }
