"""Replies drawn as Adaptive Cards (schema 1.4, which every Teams client renders).

A :class:`~bot.conversation.replies.Reply` becomes one card: a text block coloured by the reply's
kind, a fact set for its fields, a grid of column sets per table, and ``Action.Submit`` buttons
whose ``data`` is ``{"preflight_choice": <value>}``; Teams posts that data back as the ``value`` of
a message activity, which the channel turns into the clicker's next message. Images become inline
PNG attachments (data URIs) beside the card, up to the 1 MB Teams shows.

This module builds data only: it must not import botbuilder or call the network.
"""

from __future__ import annotations

import base64
from typing import Any

from bot.conversation.replies import Image, Reply, ReplyKind, Table

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CHOICE_KEY = "preflight_choice"
"""Key of an ``Action.Submit``'s data that carries the choice's value."""
MAX_INLINE_IMAGE_BYTES = 1_000_000
"""Teams shows pictures up to 1 MB (base64 images do not count towards its 100 KB message limit);
larger images are described in the card instead."""

Card = dict[str, Any]

_COLOUR = {
    ReplyKind.QUESTION: "accent",
    ReplyKind.RECOMMENDATION: "good",
    ReplyKind.COMPARISON: "accent",
    ReplyKind.CONFIRMATION: "warning",
    ReplyKind.STATUS: "default",
    ReplyKind.NOTICE: "default",
    ReplyKind.ERROR: "attention",
}
_STYLE = {"primary": "positive", "danger": "destructive"}


def card_for(reply: Reply) -> Card:
    """Draw a reply as an Adaptive Card.

    Args:
        reply: The reply.

    Returns:
        The card's JSON content.
    """
    body: list[Card] = [
        {"type": "TextBlock", "text": reply.text, "wrap": True, "color": _COLOUR[reply.kind]}
    ]
    if reply.fields:
        facts = [{"title": field.label, "value": field.value} for field in reply.fields]
        body.append({"type": "FactSet", "facts": facts})
    body += [block for table in reply.tables for block in _table(table)]
    body += [
        {"type": "TextBlock", "text": _image_note(image), "wrap": True, "isSubtle": True}
        for image in reply.images
    ]
    card: Card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
    }
    if reply.choices:
        card["actions"] = [
            {
                "type": "Action.Submit",
                "title": choice.label,
                "data": {CHOICE_KEY: choice.value},
                **({"style": _STYLE[choice.style.value]} if choice.style.value in _STYLE else {}),
            }
            for choice in reply.choices
        ]
    return card


def image_attachments(reply: Reply) -> list[dict[str, str]]:
    """Inline PNG attachments for the reply's images that fit in a Teams message.

    Args:
        reply: The reply.

    Returns:
        Attachments as Bot Framework JSON (``contentType``, ``contentUrl``, ``name``).
    """
    return [
        {
            "contentType": "image/png",
            "contentUrl": "data:image/png;base64," + base64.b64encode(image.png).decode(),
            "name": image.filename,
        }
        for image in reply.images
        if len(image.png) <= MAX_INLINE_IMAGE_BYTES
    ]


def choice_of(value: object) -> str | None:
    """The choice value an ``Action.Submit`` sent back, if the data is Preflight's.

    Args:
        value: The activity's ``value``.

    Returns:
        The choice's value, or None for anything else.
    """
    if isinstance(value, dict) and isinstance(value.get(CHOICE_KEY), str):
        return str(value[CHOICE_KEY])
    return None


def _table(table: Table) -> list[Card]:
    blocks: list[Card] = []
    if table.title:
        blocks.append({"type": "TextBlock", "text": table.title, "weight": "bolder", "wrap": True})
    for number, row in enumerate((table.columns, *table.rows)):
        columns = [
            {
                "type": "Column",
                "width": "stretch",
                "items": [
                    {
                        "type": "TextBlock",
                        "text": cell,
                        "wrap": True,
                        "size": "small",
                        **({"weight": "bolder"} if number == 0 else {}),
                    }
                ],
            }
            for cell in row
        ]
        blocks.append({"type": "ColumnSet", "columns": columns, "separator": number == 1})
    return blocks


def _image_note(image: Image) -> str:
    if len(image.png) <= MAX_INLINE_IMAGE_BYTES:
        return f"{image.title} (attached)."
    return f"{image.title}: {image.alt_text}"
