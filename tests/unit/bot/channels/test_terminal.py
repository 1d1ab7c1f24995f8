"""The terminal channel: replies drawn with rich, numbered buttons, piped lines, saved charts."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from bot.channels.terminal import TerminalChannel
from bot.conversation.flow import ConversationFlow
from bot.conversation.replies import Choice, Field, Image, Reply, ReplyKind, Table
from tests.unit.bot.conversation.test_flow import LoadPricedRecommender, flow, recommender  # noqa: F401

__all__ = ["flow", "recommender"]


def _channel(flow: ConversationFlow, tmp_path: Path) -> tuple[TerminalChannel, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=140, color_system=None)
    channel = TerminalChannel(
        flow=flow, console=console, thread="term", user="ann", image_dir=tmp_path / "charts"
    )
    return channel, out


def test_render_draws_text_fields_tables_buttons_and_saves_images(
    flow: ConversationFlow, tmp_path: Path
) -> None:
    channel, out = _channel(flow, tmp_path)
    reply = Reply(
        kind=ReplyKind.RECOMMENDATION,
        text="Here is what I would run.",
        fields=(Field(label="Assumed", value="500 prompt tokens"),),
        tables=(Table(title="Options", columns=("#", "Model"), rows=(("1", "llama"),)),),
        choices=(Choice(label="Deploy option 1", value="deploy option 1"),),
        images=(Image(title="chart", alt_text="chart", png=b"\x89PNG", filename="c.png"),),
    )
    channel._console.print(channel.render(reply))
    text = out.getvalue()
    for expected in (
        "Here is what I would run.",
        "Assumed:",
        "Options",
        "llama",
        "[1] Deploy option 1",
    ):
        assert expected in text
    assert (tmp_path / "charts" / "c.png").read_bytes() == b"\x89PNG"


def test_piped_lines_run_the_conversation_and_numbers_pick_buttons(
    flow: ConversationFlow, tmp_path: Path
) -> None:
    channel, out = _channel(flow, tmp_path)
    sent = channel.run(["hello", "", "1", "300", "quit", "never sent"], echo=True)
    text = out.getvalue()
    assert sent == 3
    assert "> 1" in text
    assert flow.state(thread="term").requirements.concurrent_users == 300
    assert "Here is what I would run" in text


def test_a_number_without_matching_button_is_sent_as_text(
    flow: ConversationFlow, tmp_path: Path
) -> None:
    channel, _ = _channel(flow, tmp_path)
    assert channel.resolve("7") == "7"
