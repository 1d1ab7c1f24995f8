"""Adaptive Card drawing: text, facts, tables, buttons whose data comes back as the choice."""

from __future__ import annotations

import pytest

from bot.channels.teams import cards
from bot.conversation.replies import Choice, ChoiceStyle, Field, Image, Reply, ReplyKind, Table


def test_a_reply_becomes_one_card_with_facts_table_and_submit_buttons() -> None:
    reply = Reply(
        kind=ReplyKind.RECOMMENDATION,
        text="Option 1: Llama 3.1 8B on 2× L4",
        fields=(Field(label="Assumed", value="500 prompt tokens"),),
        tables=(Table(title="Options", columns=("#", "GPU"), rows=(("1", "L4"), ("2", "A100"))),),
        choices=(Choice(label="Deploy 1", value="deploy option 1", style=ChoiceStyle.PRIMARY),),
    )
    card = cards.card_for(reply)
    kinds = [item["type"] for item in card["body"]]
    assert kinds == ["TextBlock", "FactSet", "TextBlock", "ColumnSet", "ColumnSet", "ColumnSet"]
    assert card["body"][0]["color"] == "good"
    (action,) = card["actions"]
    assert (action["type"], action["style"]) == ("Action.Submit", "positive")
    assert cards.choice_of(action["data"]) == "deploy option 1"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="none"),
        pytest.param({"other": "x"}, id="other-key"),
        pytest.param({"preflight_choice": 3}, id="not-text"),
        pytest.param("approve", id="plain-string"),
    ],
)
def test_data_that_is_not_a_preflight_choice_is_ignored(value: object) -> None:
    assert cards.choice_of(value) is None


def test_small_images_are_inlined_and_large_ones_described() -> None:
    small = Image(title="Chart", alt_text="cost vs latency", png=b"\x89PNG" + b"0" * 100)
    large = Image(title="Big", alt_text="too big to inline", png=b"\x89PNG" + b"0" * 1_000_000)
    reply = Reply(text="charts", images=(small, large))
    (attachment,) = cards.image_attachments(reply)
    assert attachment["contentUrl"].startswith("data:image/png;base64,")
    notes = [item["text"] for item in cards.card_for(reply)["body"][1:]]
    assert notes == ["Chart (attached).", "Big: too big to inline"]
