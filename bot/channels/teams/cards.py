"""Replies drawn as Adaptive Cards (schema 1.5, which Teams renders for bot messages).

A :class:`~bot.conversation.replies.Reply` becomes one card, top to bottom: the headline in a
container whose style shows the reply's tone (text stays in the default colour, which keeps its
contrast), reasons as bullet lines, short fields, one ``Table`` per table (numbers aligned
right), folded details in a hidden container that "Details" toggles, and at most three visible
actions. Answers to a question are an ``Input.ChoiceSet`` with one Send button; what-ifs and
any further choices sit behind a "More…" ``Action.ShowCard``; a choice that needs confirming
opens a ShowCard that says what will happen and holds the real button. Every submit's ``data``
is ``{"preflight_choice": <value>}`` (a ChoiceSet posts the same key), which Teams posts back as
the ``value`` of a message activity and the channel turns into the clicker's next message; the
data also carries the labels, the card's summary and its reply's key
(:func:`~bot.conversation.replies.reply_key`), so a card whose button was acted on can be
replaced by :func:`used_card`: the same card (the thread keeps the replies it posted with
buttons) without its buttons and with one line saying who did what when, or, for a card the
thread no longer keeps, its summary and that line.
Images travel as inline PNG attachments beside the card (up to the 1 MB Teams shows); the card
carries their alt text, which an attachment cannot.

This module builds data only: it must not import botbuilder or call the network.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from bot.conversation.replies import (
    Align,
    Choice,
    ChoiceRole,
    ChoiceStyle,
    Image,
    Reply,
    ReplyKind,
    Table,
    Tone,
    reply_key,
    settled,
    settled_line,
)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"
SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
CHOICE_KEY = "preflight_choice"
"""Key of an ``Action.Submit``'s data (and the id of a ChoiceSet) that carries the choice."""
LABELS_KEY = "preflight_labels"
"""Data key: the labels of the values a submit can send (to say what was chosen)."""
HEADLINE_KEY = "preflight_card"
"""Data key: the card's one-line summary, which its used version keeps."""
CARD_KEY = "preflight_card_key"
"""Data key: the key of the reply the card was drawn from (to find it once the card is used)."""
KEEP_KEY = "preflight_keeps_card"
"""Data key: the values a submit can send that only show more (their card keeps its buttons)."""
MAX_VISIBLE_ACTIONS = 3
DETAILS_ID = "details"
MAX_INLINE_IMAGE_BYTES = 1_000_000
"""Teams shows pictures up to 1 MB (base64 images do not count towards its 100 KB message limit);
larger images are described in the card instead."""

Card = dict[str, Any]

_CONTAINER = {
    Tone.NEUTRAL: "emphasis",
    Tone.GOOD: "good",
    Tone.WARNING: "warning",
    Tone.ATTENTION: "attention",
}
_STYLE = {ChoiceStyle.PRIMARY: "positive", ChoiceStyle.DANGER: "destructive"}


def card_for(reply: Reply) -> Card:
    """Draw a reply as an Adaptive Card.

    Args:
        reply: The reply.

    Returns:
        The card's JSON content.
    """
    body: list[Card] = [_headline(reply)]
    body += [
        {"type": "TextBlock", "text": f"• {reason}", "wrap": True, "spacing": "small"}
        for reason in reply.reasons
    ]
    body += [
        {
            "type": "TextBlock",
            "text": f"**{field.label}:** {field.value}",
            "wrap": True,
            "spacing": "small",
        }
        for field in reply.fields
    ]
    body += [block for table in reply.tables for block in _table(table)]
    body += [_image_note(image) for image in reply.images]
    if _has_details(reply):
        body.append(_details(reply))
    actions = _actions(reply, body)
    _stamp(actions, {HEADLINE_KEY: reply.summary_text(), CARD_KEY: reply_key(reply)})
    card: Card = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def used_card(value: object, *, who: str, at: str, original: Reply | None = None) -> Card | None:
    """The card that replaces one whose button was acted on: the same card without its buttons
    (its details still fold) and a line saying who did what when.

    Args:
        value: The activity's ``value`` (the submit's data, with the inputs merged in).
        who: The clicker's name.
        at: When they clicked (e.g. ``2026-12-06 00:12 UTC``).
        original: The reply the card was drawn from (:func:`card_key_of` finds it); None draws
            the card's summary instead.

    Returns:
        The card, or None when the data is not Preflight's or its choice only shows more (the
        card then keeps its buttons).
    """
    choice = choice_of(value)
    if choice is None or not isinstance(value, dict) or choice in (value.get(KEEP_KEY) or ()):
        return None
    labels = value.get(LABELS_KEY)
    label = labels.get(choice, choice) if isinstance(labels, dict) else choice
    line = settled_line(value=choice, label=str(label), who=who, at=at)
    if original is None:
        headline = value.get(HEADLINE_KEY)
        text = headline if isinstance(headline, str) and headline else "Used"
        original = Reply(kind=ReplyKind.STATUS, text=text)
    return card_for(settled(original, state=line))


def card_key_of(value: object) -> str | None:
    """The key of the reply a submitted card was drawn from.

    Args:
        value: The activity's ``value``.

    Returns:
        The key, or None when the data carries none.
    """
    key = value.get(CARD_KEY) if isinstance(value, dict) else None
    return key if isinstance(key, str) and key else None


def _stamp(actions: list[Card], stamp: dict[str, str]) -> None:
    """Put the card's summary and key into every submit's data, ShowCards' included."""
    for action in actions:
        if action["type"] == "Action.Submit":
            action["data"] = {**action.get("data", {}), **stamp}
        elif action["type"] == "Action.ShowCard":
            _stamp(action["card"].get("actions", []), stamp)


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
        The choice's value, or None for anything else (including an empty ChoiceSet).
    """
    if isinstance(value, dict) and isinstance(value.get(CHOICE_KEY), str) and value[CHOICE_KEY]:
        return str(value[CHOICE_KEY])
    return None


def _headline(reply: Reply) -> Card:
    text = {"type": "TextBlock", "text": reply.text, "wrap": True, "weight": "bolder"}
    return {"type": "Container", "style": _CONTAINER[reply.tone], "bleed": True, "items": [text]}


def _details(reply: Reply) -> Card:
    items: list[Card] = [
        {"type": "TextBlock", "text": reply.details_title, "weight": "bolder", "wrap": True}
    ]
    items += [
        {
            "type": "TextBlock",
            "text": f"**{field.label}:** {field.value}",
            "wrap": True,
            "size": "small",
            "spacing": "small",
        }
        for field in reply.details
    ]
    return {"type": "Container", "id": DETAILS_ID, "isVisible": False, "items": items}


def _actions(reply: Reply, body: list[Card]) -> list[Card]:
    """At most three visible actions; answers become a ChoiceSet, the rest goes behind More…."""
    enabled = [choice for choice in reply.choices if choice.enabled]
    answers = [choice for choice in enabled if choice.role is ChoiceRole.ANSWER]
    what_ifs = [choice for choice in enabled if choice.role is ChoiceRole.WHAT_IF]
    acts = [choice for choice in enabled if choice.role is ChoiceRole.ACTION]
    acts.sort(key=lambda choice: choice.style is ChoiceStyle.DEFAULT)
    visible: list[Card] = []
    if answers or (what_ifs and not acts):
        body.append(_choice_set(answers or what_ifs, label="" if answers else "Would fit if you"))
        visible.append(_submit("Send" if answers else "Try it", offered=answers or what_ifs))
        what_ifs = what_ifs if answers else []
    visible += [_action(choice) for choice in acts[:1]]
    if _has_details(reply):
        toggle = {"type": "Action.ToggleVisibility", "title": "Details"}
        visible.append({**toggle, "targetElements": [DETAILS_ID]})
    rest = acts[1:]
    room = MAX_VISIBLE_ACTIONS - len(visible)
    if len(rest) + (1 if what_ifs else 0) <= room:
        visible += [_action(choice) for choice in rest]
        more = what_ifs
    else:
        visible += [_action(choice) for choice in rest if choice.confirm is not None]
        more = [choice for choice in rest if choice.confirm is None] + what_ifs
    if more:
        title = "What if…" if all(choice.role is ChoiceRole.WHAT_IF for choice in more) else "More…"
        visible.append(
            _show_card(title, [_choice_set(more, label="")], [_submit("Go", offered=more)])
        )
    disabled = [choice for choice in reply.choices if not choice.enabled]
    return visible + [{**_action(choice), "isEnabled": False} for choice in disabled]


def _has_details(reply: Reply) -> bool:
    """Details are folded into the card when the reply offers them."""
    return bool(reply.details) and any(c.role is ChoiceRole.DETAILS for c in reply.choices)


def _action(choice: Choice) -> Card:
    """A button; one that needs confirming opens a ShowCard holding the real button."""
    if choice.confirm is None:
        return _submit(choice.label, choice)
    confirm = choice.confirm
    inner = _submit(confirm.confirm, choice)
    text = {"type": "TextBlock", "text": f"**{confirm.title}** {confirm.text}", "wrap": True}
    shown = _show_card(choice.label, [text], [inner])
    if choice.style in _STYLE:
        shown["style"] = _STYLE[choice.style]
    return shown


def _submit(title: str, choice: Choice | None = None, *, offered: Sequence[Choice] = ()) -> Card:
    """A submit of one choice, or of whatever a ChoiceSet among ``offered`` holds."""
    action: Card = {"type": "Action.Submit", "title": title}
    sent = offered if choice is None else (choice,)
    data: Card = {LABELS_KEY: {c.value: c.label for c in sent}}
    keeps = [c.value for c in sent if c.keeps_card]
    if keeps:
        data[KEEP_KEY] = keeps
    action["data"] = data if choice is None else {CHOICE_KEY: choice.value, **data}
    if choice is None:
        return action
    if choice.style in _STYLE:
        action["style"] = _STYLE[choice.style]
    return action


def _show_card(title: str, body: list[Card], actions: list[Card]) -> Card:
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {"type": "AdaptiveCard", "version": CARD_VERSION, "body": body, "actions": actions},
    }


def _choice_set(choices: Sequence[Choice], *, label: str) -> Card:
    element: Card = {
        "type": "Input.ChoiceSet",
        "id": CHOICE_KEY,
        "style": "expanded",
        "isRequired": True,
        "errorMessage": "Pick one first.",
        "choices": [{"title": choice.label, "value": choice.value} for choice in choices],
    }
    if label:
        element["label"] = label
    return element


def _table(table: Table) -> list[Card]:
    """A 1.5 Table, full width; a wide one stacks its text columns so it fits a phone."""
    blocks: list[Card] = []
    if table.title:
        blocks.append({"type": "TextBlock", "text": table.title, "weight": "bolder", "wrap": True})
    header, rows, align = _stacked(table) if len(table.columns) > STACK_ABOVE else _plain(table)
    widths = [len(cell.split("\n", 1)[0]) for cell in header]
    for row in rows:
        widths = [
            max(w, *(len(line) for line in c.split("\n")))
            for w, c in zip(widths, row, strict=False)
        ]
    columns = [
        {"width": max(width, 4), "horizontalCellContentAlignment": alignment.value}
        for width, alignment in zip(widths, align, strict=True)
    ]
    table_rows = [
        {
            "type": "TableRow",
            "cells": [
                _cell(cell, header=number == 0, right=a is Align.RIGHT)
                for cell, a in zip(row, align, strict=True)
            ],
        }
        for number, row in enumerate((header, *rows))
    ]
    blocks.append(
        {
            "type": "Table",
            "columns": columns,
            "rows": table_rows,
            "firstRowAsHeader": True,
            "showGridLines": False,
            "spacing": "small",
        }
    )
    return blocks


STACK_ABOVE = 4
"""A table with more columns stacks its text columns into one (375 px holds about five)."""


def _plain(table: Table) -> tuple[tuple[str, ...], list[tuple[str, ...]], list[Align]]:
    align = [table.alignment(index) for index in range(len(table.columns))]
    return table.columns, list(table.rows), align


def _stacked(table: Table) -> tuple[tuple[str, ...], list[tuple[str, ...]], list[Align]]:
    """The left-aligned columns after the first become one cell: first on top, rest below."""
    count = len(table.columns)
    numbers = next((i for i in range(1, count) if table.alignment(i) is Align.RIGHT), count)
    text = [i for i in range(1, numbers) if table.alignment(i) is Align.LEFT]
    if len(text) < 2:
        return _plain(table)
    first, rest = text[0], text[1:]

    def merge(row: tuple[str, ...]) -> tuple[str, ...]:
        below = " · ".join(row[i] for i in rest)
        cells = [cell for i, cell in enumerate(row) if i not in rest]
        cells[first] = f"{row[first]}\n{below}"
        return tuple(cells)

    align = [table.alignment(i) for i in range(len(table.columns)) if i not in rest]
    return merge(table.columns), [merge(row) for row in table.rows], align


def _cell(text: str, *, header: bool, right: bool) -> Card:
    """A table cell: the first line of ``text`` in the body style, further lines subtle."""
    top, _, below = text.partition("\n")
    items: list[Card] = [
        {
            "type": "TextBlock",
            "text": top,
            "wrap": True,
            "size": "small",
            **({"weight": "bolder"} if header else {}),
            **({"horizontalAlignment": "right"} if right else {}),
        }
    ]
    if below:
        items.append(
            {
                "type": "TextBlock",
                "text": below,
                "wrap": True,
                "size": "small",
                "spacing": "none",
                "isSubtle": not header,
                **({"weight": "bolder"} if header else {}),
            }
        )
    return {"type": "TableCell", "items": items}


def _image_note(image: Image) -> Card:
    if len(image.png) <= MAX_INLINE_IMAGE_BYTES:
        text = f"{image.title} (attached). {image.alt_text}"
    else:
        text = f"{image.title}: {image.alt_text}"
    return {"type": "TextBlock", "text": text, "wrap": True, "isSubtle": True, "size": "small"}
