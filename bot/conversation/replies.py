"""Replies as a platform-neutral model: what the flow says, before any channel draws it.

A :class:`Reply` is text plus optional fields (label/value pairs), tables, choices (buttons) and
images (PNG bytes). The Slack, Teams and terminal channels each render it their own way; a
choice's ``value`` is sent back as the user's next message, so buttons need no special routing.
This module must not import a channel, a chat SDK or a plotting library.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field as PydanticField

from domain.base import Frozen


class ReplyKind(StrEnum):
    """What a reply is, so channels can choose a layout (a colour, an icon)."""

    QUESTION = "question"
    RECOMMENDATION = "recommendation"
    COMPARISON = "comparison"
    CONFIRMATION = "confirmation"
    STATUS = "status"
    NOTICE = "notice"
    ERROR = "error"


class Field(Frozen):
    """One labelled value shown as a short line (e.g. "Assumed · 500 prompt tokens")."""

    label: str
    value: str


class Table(Frozen):
    """A small table; every row has one cell per column."""

    title: str = ""
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()


class ChoiceStyle(StrEnum):
    """How a button looks."""

    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


class Choice(Frozen):
    """A button. Picking it sends ``value`` as the user's next message."""

    label: str = PydanticField(max_length=75)
    value: str = PydanticField(max_length=2000)
    style: ChoiceStyle = ChoiceStyle.DEFAULT


class Image(Frozen):
    """A picture, as PNG bytes."""

    title: str
    alt_text: str
    png: bytes = PydanticField(repr=False)
    filename: str = "chart.png"


class Reply(Frozen):
    """One message from Preflight to a thread."""

    kind: ReplyKind = ReplyKind.NOTICE
    text: str
    fields: tuple[Field, ...] = ()
    tables: tuple[Table, ...] = ()
    choices: tuple[Choice, ...] = ()
    images: tuple[Image, ...] = ()

    def plain_text(self) -> str:
        """Everything in the reply as plain text (for logs, fallbacks and tests).

        Returns:
            Text, fields, tables and choices, one per line; images by their title.
        """
        lines = [self.text]
        lines += [f"{field.label}: {field.value}" for field in self.fields]
        for table in self.tables:
            if table.title:
                lines.append(table.title)
            lines.append(" | ".join(table.columns))
            lines += [" | ".join(row) for row in table.rows]
        lines += [f"[{number}] {choice.label}" for number, choice in enumerate(self.choices, 1)]
        lines += [f"(image: {image.title})" for image in self.images]
        return "\n".join(lines)
