"""The terminal channel: the whole conversation in a terminal, replies drawn with rich.

Buttons are shown as numbered choices; typing a number sends that choice's value. Input is typed
(a prompt on a TTY) or piped (lines read until end of input). Images are written as PNG files
under a folder and their path is printed. This module renders and reads only; the conversation
logic lives in ``bot.conversation.flow``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from bot.conversation.flow import ConversationFlow, Incoming
from bot.conversation.replies import Align, Choice, Reply, Table, Tone

_STYLE = {Tone.NEUTRAL: "cyan", Tone.GOOD: "green", Tone.WARNING: "yellow", Tone.ATTENTION: "red"}
_TITLE = {Tone.WARNING: "needs a change", Tone.ATTENTION: "problem"}
_QUIT = {"quit", "exit", "bye", ":q"}


class TerminalChannel:
    """Runs a conversation between a terminal and the flow.

    Args:
        flow: The conversation flow.
        console: Where replies are drawn.
        thread: The thread id of this conversation.
        user: Who is typing.
        image_dir: Where images are written.
    """

    def __init__(
        self,
        *,
        flow: ConversationFlow,
        console: Console,
        thread: str,
        user: str,
        image_dir: Path,
    ) -> None:
        self._flow = flow
        self._console = console
        self._thread = thread
        self._user = user
        self._image_dir = image_dir
        self._choices: tuple[Choice, ...] = ()

    def run(self, lines: Iterable[str], *, echo: bool) -> int:
        """Send each line to the flow and draw the replies, until the lines end or "quit".

        Args:
            lines: The user's lines (typed or piped).
            echo: Print each line back (for piped input, so the transcript reads well).

        Returns:
            How many messages were sent.
        """
        sent = 0
        for line in lines:
            text = line.strip()
            if not text:
                continue
            if text.lower() in _QUIT:
                break
            if echo:
                self._console.print(Text(f"> {text}", style="bold"))
            self.send(self.resolve(text))
            sent += 1
        return sent

    def resolve(self, text: str) -> str:
        """A number picks the matching choice of the last reply; anything else is sent as is.

        Args:
            text: What the user typed.

        Returns:
            The message to send.
        """
        if text.isdigit() and 1 <= int(text) <= len(self._choices):
            return self._choices[int(text) - 1].value
        return text

    def send(self, text: str) -> None:
        """Send one message and draw the replies.

        Args:
            text: The message.
        """
        replies = self._flow.handle(Incoming(thread=self._thread, text=text, user=self._user))
        for reply in replies:
            self._console.print(self.render(reply))
            enabled = tuple(choice for choice in reply.choices if choice.enabled)
            if enabled:
                self._choices = enabled

    def render(self, reply: Reply) -> RenderableType:
        """Draw one reply as a rich panel that reads in 80 columns.

        The headline comes first, then reasons, short fields and compact tables (numbers
        right-aligned); folded details stay folded behind the "How was this computed?" choice.

        Args:
            reply: The reply.

        Returns:
            Something rich can print.
        """
        parts: list[RenderableType] = [Text(reply.text, style="bold")]
        parts += [Text(f"• {reason}") for reason in reply.reasons]
        if reply.fields:
            grid = RichTable.grid(padding=(0, 1))
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column()
            for field in reply.fields:
                grid.add_row(f"{field.label}:", field.value)
            parts.append(grid)
        parts += [_table(table) for table in reply.tables]
        parts += [
            Text(f"Chart saved to {self._save(image.filename, image.png)}")
            for image in reply.images
        ]
        choices = tuple(choice for choice in reply.choices if choice.enabled)
        if choices:
            labels = "   ".join(f"[{n}] {choice.label}" for n, choice in enumerate(choices, 1))
            parts.append(Text(labels, style="bold"))
        title = _TITLE.get(reply.tone, reply.kind.value)
        return Panel(
            Group(*parts),
            title=title or reply.kind.value,
            title_align="left",
            border_style=_STYLE[reply.tone],
        )

    def _save(self, filename: str, png: bytes) -> Path:
        self._image_dir.mkdir(parents=True, exist_ok=True)
        path = self._image_dir / filename
        path.write_bytes(png)
        return path


def _table(table: Table) -> RichTable:
    """A compact table: numbers right-aligned and never wrapped, a rule under the header only."""
    drawn = RichTable(
        title=table.title or None,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
    )
    for index, column in enumerate(table.columns):
        right = table.alignment(index) is Align.RIGHT
        drawn.add_column(column, justify="right" if right else "left", no_wrap=right)
    for row in table.rows:
        drawn.add_row(*row)
    return drawn


def typed_lines(console: Console) -> Iterator[str]:
    """Prompt for lines on a terminal until end of input (Ctrl-D) or Ctrl-C.

    Args:
        console: The console to prompt on.

    Yields:
        Each typed line.
    """
    while True:
        try:
            yield console.input("[bold]you> [/bold]")
        except (EOFError, KeyboardInterrupt):
            return
