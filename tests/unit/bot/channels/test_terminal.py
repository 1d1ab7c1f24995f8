"""The terminal channel: replies drawn with rich, numbered buttons, piped lines, saved charts."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from bot.channels.terminal import TerminalChannel
from bot.conversation.cards import recommendation_card
from bot.conversation.flow import ConversationFlow
from bot.conversation.replies import Choice, Field, Image, Reply, ReplyKind, Table
from domain.requirements import Requirements, Task
from tests.unit.bot.conversation.test_flow import LoadPricedRecommender, flow, recommender  # noqa: F401
from tests.unit.bot.factories import make_option, make_recommendation

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
    assert "Run Llama-3.1-8B on" in text


def test_a_recommendation_reads_in_80_columns_without_cut_names(tmp_path: Path) -> None:
    models = ["openai/gpt-oss-20b", "nvidia/Llama-4-Scout-17B-16E-Instruct-FP8"]
    gpus = ["A100-PCIe-40GB", "A100-PCIe-80GB", "H100-SXM-80GB"]
    options = [
        make_option(model=model, gpu=gpu, total_gpus=8, monthly_cost_usd=123_456.0)
        for model in models
        for gpu in gpus
    ]
    assumptions = [f"Assumption {n}: something long, with its source. " * 3 for n in range(9)]
    recommendation = make_recommendation(*options, assumptions=assumptions)
    reply = recommendation_card(recommendation, Requirements(task=Task.CHATBOT))
    out = io.StringIO()
    console = Console(file=out, width=80, color_system=None)
    channel = TerminalChannel(
        flow=None,  # type: ignore[arg-type]
        console=console,
        thread="t",
        user="u",
        image_dir=tmp_path,
    )
    console.print(channel.render(reply))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    table = "\n".join(lines)
    for name in ("Llama-4-Scout-17B", "8×A100-PCIe-40G", "8×H100-SXM-80G", "$123,456"):
        assert name in table
    assert "…" not in "".join(line for line in lines if "│  " in line and "$" in line)
    assert len(lines) <= 30


def test_a_number_without_matching_button_is_sent_as_text(
    flow: ConversationFlow, tmp_path: Path
) -> None:
    channel, _ = _channel(flow, tmp_path)
    assert channel.resolve("7") == "7"
