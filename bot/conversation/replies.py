"""Replies as a platform-neutral model: what the flow says, before any channel draws it.

A :class:`Reply` is read top to bottom the way a person scans a card: a one-line ``text`` (the
headline), up to three ``reasons``, a few short ``fields``, compact ``tables`` whose columns say
how they align, ``details`` folded behind "How was this computed?", pictures with alt text, and
``choices`` (buttons). A choice that acts (requests, approves or rolls back a deployment) carries
a :class:`Confirm` dialog; a used or stale choice is shown disabled. ``summary`` is the one- or
two-line text that notifications and screen readers get.

The Slack, Teams and terminal channels each render a reply their own way; a choice's ``value`` is
sent back as the user's next message, so buttons need no special routing. This module must not
import a channel, a chat SDK or a plotting library.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from enum import StrEnum

from pydantic import ConfigDict, TypeAdapter, model_validator
from pydantic import Field as PydanticField

from domain.base import Frozen

SUMMARY_LIMIT = 200
"""Characters of the notification summary (one or two lines on a phone)."""


class ReplyKind(StrEnum):
    """What a reply is, so channels can choose a layout (an icon, a container style)."""

    QUESTION = "question"
    RECOMMENDATION = "recommendation"
    COMPARISON = "comparison"
    CONFIRMATION = "confirmation"
    STATUS = "status"
    NOTICE = "notice"
    ERROR = "error"


class Tone(StrEnum):
    """The state a reply reports, shown by a container style or an icon, never by text colour."""

    NEUTRAL = "neutral"
    GOOD = "good"
    WARNING = "warning"
    ATTENTION = "attention"


class Field(Frozen):
    """One labelled value shown as a short line (e.g. "You said · chatbot · 2,000 people")."""

    label: str
    value: str


class Align(StrEnum):
    """How a table column's cells align: words left, numbers right."""

    LEFT = "left"
    RIGHT = "right"


class Table(Frozen):
    """A small table; every row has one cell per column, ``align`` one entry per column or none."""

    title: str = ""
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()
    align: tuple[Align, ...] = ()

    @model_validator(mode="after")
    def _one_alignment_per_column(self) -> Table:
        if self.align and len(self.align) != len(self.columns):
            raise ValueError(f"{len(self.align)} alignments for {len(self.columns)} columns")
        return self

    def alignment(self, column: int) -> Align:
        """How the ``column``-th column aligns (left when not stated).

        Args:
            column: The column's index.

        Returns:
            Its alignment.
        """
        return self.align[column] if self.align else Align.LEFT


class ChoiceStyle(StrEnum):
    """How a button looks; at most one primary button per reply."""

    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


class ChoiceRole(StrEnum):
    """What a button is for, so a channel can lay a card out (Teams shows three actions at most).

    ``ACTION`` moves the conversation on (deploy, approve, chart); ``ANSWER`` answers the
    question asked; ``WHAT_IF`` explores a change; ``DETAILS`` asks for the folded details.
    """

    ACTION = "action"
    ANSWER = "answer"
    WHAT_IF = "what_if"
    DETAILS = "details"


class Confirm(Frozen):
    """A confirmation dialog shown before a choice is sent (Slack ``confirm``, Teams ShowCard)."""

    title: str = PydanticField(max_length=100)
    text: str = PydanticField(max_length=300)
    confirm: str = PydanticField(max_length=30)
    deny: str = PydanticField(default="Cancel", max_length=30)


class Choice(Frozen):
    """A button. Picking it sends ``value`` as the user's next message.

    A card's buttons are one decision: once one of them is acted on (:func:`settles_card`),
    channels redraw the card without buttons, saying what was chosen and by whom, so an old card
    cannot request, approve or roll back again. A choice that only shows more (``shows_more``,
    or the details) decides nothing and leaves the card as it was.
    """

    label: str = PydanticField(max_length=75)
    value: str = PydanticField(max_length=2000)
    style: ChoiceStyle = ChoiceStyle.DEFAULT
    role: ChoiceRole = ChoiceRole.ACTION
    confirm: Confirm | None = None
    enabled: bool = True
    shows_more: bool = False

    @property
    def keeps_card(self) -> bool:
        """Whether picking it leaves the card's buttons live (it only shows more).

        Returns:
            True for the details and for choices that show more (e.g. the chart).
        """
        return self.shows_more or self.role is ChoiceRole.DETAILS


class Image(Frozen):
    """A picture, as PNG bytes, with the text a screen reader reads instead (base64 in JSON, so a
    reply kept in the store until it is posted survives a round trip)."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")
    title: str
    alt_text: str
    png: bytes = PydanticField(repr=False)
    filename: str = "chart.png"


class Reply(Frozen):
    """One message from Preflight to a thread."""

    kind: ReplyKind = ReplyKind.NOTICE
    text: str = PydanticField(description="The headline: what a person reads in two seconds.")
    tone: Tone = Tone.NEUTRAL
    summary: str = PydanticField(
        default="", description="Notification text; the headline's first line when empty."
    )
    reasons: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    tables: tuple[Table, ...] = ()
    details_title: str = "How was this computed?"
    details: tuple[Field, ...] = ()
    choices: tuple[Choice, ...] = ()
    images: tuple[Image, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _errors_call_for_attention(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("kind") == ReplyKind.ERROR and "tone" not in data:
            return {**data, "tone": Tone.ATTENTION}
        return data

    @model_validator(mode="after")
    def _one_primary_choice(self) -> Reply:
        primaries = [c.label for c in self.choices if c.style is ChoiceStyle.PRIMARY and c.enabled]
        if len(primaries) > 1:
            raise ValueError(f"one primary choice per reply, not {len(primaries)}: {primaries}")
        return self

    def summary_text(self) -> str:
        """The one- or two-line text for notifications and screen readers (unescaped).

        Returns:
            ``summary``, or the headline's first line, at most :data:`SUMMARY_LIMIT` characters.
        """
        text = self.summary or self.text.strip().split("\n", 1)[0]
        return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"

    def plain_text(self) -> str:
        """Everything in the reply as plain text (for logs and tests).

        Returns:
            Text, reasons, fields, tables, details and choices, one per line; images by title.
        """
        lines = [self.text]
        lines += [f"- {reason}" for reason in self.reasons]
        lines += [f"{field.label}: {field.value}" for field in self.fields]
        for table in self.tables:
            if table.title:
                lines.append(table.title)
            lines.append(" | ".join(table.columns))
            lines += [" | ".join(row) for row in table.rows]
        lines += [f"{field.label}: {field.value}" for field in self.details]
        lines += [f"[{number}] {choice.label}" for number, choice in enumerate(self.choices, 1)]
        lines += [f"(image: {image.title})" for image in self.images]
        return "\n".join(lines)


_REPLY_LIST = TypeAdapter(tuple[Reply, ...])


def replies_to_json(replies: Sequence[Reply]) -> str:
    """Replies as one JSON document (images base64), for keeping them until they are posted.

    Args:
        replies: The replies.

    Returns:
        A JSON array.
    """
    return _REPLY_LIST.dump_json(tuple(replies)).decode()


def replies_from_json(document: str | bytes) -> list[Reply]:
    """Replies read back from :func:`replies_to_json`.

    Args:
        document: The JSON array.

    Returns:
        The replies, in order.
    """
    return list(_REPLY_LIST.validate_json(document))


def settles_card(replies: Sequence[Reply]) -> bool:
    """Whether a button click was acted on, so the card it came from is used up.

    A refused click (an error reply: self-approval, a stale approval, a busy thread, a backend
    that did not answer) leaves the card live; so does a repeated delivery (no reply), whose
    first delivery decided. Anything else — the step done, or "nothing awaits approval" from a
    card already acted on — settles it.

    Args:
        replies: What the flow answered to the click.

    Returns:
        True when the card should be redrawn without its buttons.
    """
    return bool(replies) and replies[0].kind is not ReplyKind.ERROR


def reply_key(reply: Reply) -> str:
    """A short, stable key of a reply's content (its images left out), so a channel whose
    clicks do not bring the card back (Teams) can find the reply it drew.

    Args:
        reply: The reply.

    Returns:
        16 hex digits of the sha256 of its JSON without images.
    """
    content = reply.model_dump_json(exclude={"images"})
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def settling_choices(reply: Reply) -> bool:
    """Whether a reply has a button whose use settles its card (it is redrawn once used).

    Args:
        reply: The reply.

    Returns:
        True when one of its enabled choices decides something (not only shows more).
    """
    return any(choice.enabled and not choice.keeps_card for choice in reply.choices)


def settled(reply: Reply, *, state: str) -> Reply:
    """A card once one of its buttons was acted on: the same content, no buttons (the folded
    details stay), and one line saying what was done.

    Args:
        reply: The card as it was posted.
        state: The line, e.g. ``Approved by Bob at 2026-12-06 00:12 UTC``.

    Returns:
        The reply to draw instead.
    """
    kept = tuple(choice for choice in reply.choices if choice.role is ChoiceRole.DETAILS)
    line = Field(label="Status", value=state)
    return reply.model_copy(update={"choices": kept, "fields": (line, *reply.fields)})


_DONE = (
    (re.compile(r"^\s*approve\b", re.IGNORECASE), "Approved"),
    (re.compile(r"^\s*confirm\b", re.IGNORECASE), "Deployment requested"),
    (re.compile(r"^\s*cancel\b", re.IGNORECASE), "Cancelled"),
    (re.compile(r"^\s*roll ?back\b", re.IGNORECASE), "Rolled back"),
    (re.compile(r"^\s*measure\s*$", re.IGNORECASE), "Measuring started"),
)


def settled_line(*, value: str, label: str, who: str, at: str) -> str:
    """What was done with a card, by whom and when, in one line.

    Args:
        value: The value of the choice acted on.
        label: Its label.
        who: Who acted.
        at: When (e.g. ``2026-12-06 00:12 UTC``).

    Returns:
        E.g. ``Approved by Bob at 2026-12-06 00:12 UTC`` or ``“Deploy option 1” chosen by …``.
    """
    done = next((words for pattern, words in _DONE if pattern.match(value)), None)
    return f"{done or f'“{label}” chosen'} by {who} at {at}"
