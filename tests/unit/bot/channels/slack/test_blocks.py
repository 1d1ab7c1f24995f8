"""Block Kit drawing: any reply, however large, stays within limits and keeps its buttons."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.slack import blocks as slack_blocks
from bot.conversation.replies import Choice, ChoiceStyle, Field, Reply, ReplyKind, Table
from tests.scenario.slack_standin import block_kit_violations

_text = st.text(min_size=1, max_size=4000)
_replies = st.builds(
    Reply,
    kind=st.sampled_from(ReplyKind),
    text=_text,
    fields=st.lists(
        st.builds(Field, label=st.text(max_size=300), value=st.text(max_size=3000)), max_size=40
    ).map(tuple),
    tables=st.lists(
        st.builds(
            Table,
            title=st.text(max_size=200),
            columns=st.just(("a", "b")),
            rows=st.lists(st.tuples(st.text(max_size=400), st.text(max_size=400)), max_size=30).map(
                tuple
            ),
        ),
        max_size=60,
    ).map(tuple),
    choices=st.lists(
        st.builds(Choice, label=st.text(min_size=1, max_size=75), value=st.text(max_size=2000)),
        max_size=60,
    ).map(tuple),
)


@settings(max_examples=60, deadline=None)
@given(reply=_replies)
def test_any_reply_is_drawn_within_block_kit_limits(reply: Reply) -> None:
    assert block_kit_violations(slack_blocks.blocks_for(reply)) == []
    assert len(slack_blocks.fallback_text(reply)) <= slack_blocks.MAX_FALLBACK_TEXT


def test_every_choice_becomes_a_button_with_its_value_even_when_blocks_are_cut() -> None:
    choices = tuple(Choice(label=f"Option {n}", value=f"deploy option {n}") for n in range(30))
    reply = Reply(
        text="x", fields=tuple(Field(label="f", value="v") for n in range(600)), choices=choices
    )
    blocks = slack_blocks.blocks_for(reply)
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons] == [c.value for c in choices]
    assert len(blocks) == slack_blocks.MAX_BLOCKS
    assert blocks[-3]["type"] == "context"


def test_user_text_cannot_form_a_mention_or_link() -> None:
    blocks = slack_blocks.blocks_for(Reply(text="<!channel> <https://evil|click> & co"))
    text = blocks[0]["text"]["text"]
    assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt;" in text


def test_styles_and_action_ids() -> None:
    reply = Reply(
        text="Deploy?",
        choices=(
            Choice(label="Confirm", value="confirm", style=ChoiceStyle.PRIMARY),
            Choice(label="Cancel", value="cancel"),
        ),
    )
    (actions,) = [b for b in slack_blocks.blocks_for(reply) if b["type"] == "actions"]
    first, second = actions["elements"]
    assert (first["style"], first["action_id"]) == ("primary", "preflight_choice:0")
    assert "style" not in second and second["action_id"] == "preflight_choice:1"
