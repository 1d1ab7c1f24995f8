"""Block Kit drawing: any reply, however large, stays within limits and keeps its buttons."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.slack import blocks as slack_blocks
from bot.conversation.replies import (
    Choice,
    ChoiceRole,
    ChoiceStyle,
    Confirm,
    Field,
    Reply,
    ReplyKind,
    Table,
)
from tests.scenario.slack_standin import block_kit_violations, summary_problems

_text = st.text(min_size=1, max_size=4000).filter(lambda text: text.strip() != "")
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
    assert summary_problems(slack_blocks.fallback_text(reply)) == []


def test_every_choice_becomes_a_button_with_its_value_even_when_blocks_are_cut() -> None:
    choices = tuple(Choice(label=f"Option {n}", value=f"deploy option {n}") for n in range(30))
    reply = Reply(
        text="x", fields=tuple(Field(label="f", value="v") for n in range(600)), choices=choices
    )
    blocks = slack_blocks.blocks_for(reply)
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons] == [c.value for c in choices]
    assert len(blocks) == slack_blocks.MAX_BLOCKS


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


def test_a_used_message_loses_its_buttons_and_says_who_chose_what() -> None:
    reply = Reply(
        text="Approve <req-1>?",
        choices=(
            Choice(label="Approve", value="approve req-1 abc", style=ChoiceStyle.PRIMARY),
            Choice(label="How was this computed?", value="details", role=ChoiceRole.DETAILS),
        ),
    )
    drawn = slack_blocks.blocks_for(reply)
    (actions,) = [b for b in drawn if b["type"] == "actions"]
    approve, details = actions["elements"]
    assert not slack_blocks.keeps_card(approve["action_id"])
    assert slack_blocks.keeps_card(details["action_id"])  # the details decide nothing
    used = slack_blocks.used(drawn, label="Approve", user="UBOB")
    assert block_kit_violations(used) == []
    assert [b["type"] for b in used] == [b["type"] for b in drawn if b["type"] != "actions"] + [
        "context"
    ]
    assert used[-1]["elements"][0]["text"].endswith("*Approve* — <@UBOB>")
    odd = slack_blocks.used(drawn, label="<x>", user="<!channel>")  # never a mention or link
    assert "<" not in odd[-1]["elements"][0]["text"].replace("<@", "")


def test_acting_buttons_carry_a_confirm_dialog_and_danger_stays_red() -> None:
    dialog = Confirm(title="Roll back?", text="Undo the deployment of x.", confirm="Roll back")
    reply = Reply(
        text="Deployed",
        choices=(
            Choice(label="Status", value="status"),
            Choice(label="Roll back", value="rollback", style=ChoiceStyle.DANGER, confirm=dialog),
        ),
    )
    blocks = slack_blocks.blocks_for(reply)
    assert block_kit_violations(blocks) == []
    button = blocks[-1]["elements"][1]
    assert button["confirm"]["style"] == "danger"
    assert button["confirm"]["confirm"]["text"] == "Roll back"


@pytest.mark.parametrize(
    ("button", "problem"),
    [
        pytest.param(
            {"value": "approve req-1 abc", "style": "primary"},
            "acts without a confirm",
            id="approve",
        ),
        pytest.param({"value": "status", "style": "danger"}, "acts without a confirm", id="danger"),
        pytest.param({"value": "confirm"}, "acts without a confirm", id="confirm"),
    ],
)
def test_the_checker_refuses_acting_buttons_without_a_dialog(
    button: dict[str, str], problem: str
) -> None:
    element = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Go"},
        "action_id": "a",
        **button,
    }
    (found,) = block_kit_violations([{"type": "actions", "elements": [element]}])
    assert problem in found


def test_the_checker_refuses_two_primary_buttons_in_one_set() -> None:
    buttons = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": f"Deploy {n}"},
            "action_id": f"a{n}",
            "value": f"deploy option {n}",
            "style": "primary",
        }
        for n in (1, 2)
    ]
    assert block_kit_violations([{"type": "actions", "elements": buttons}]) == [
        "block 0 (actions): 2 primary buttons in one set (one allowed)"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("a < b", "unescaped", id="raw-angle"),
        pytest.param("R&D", "unescaped", id="raw-ampersand"),
        pytest.param("x" * 201, "characters", id="too-long"),
        pytest.param("one\ntwo\nthree", "lines", id="three-lines"),
        pytest.param("", "without a summary", id="empty"),
    ],
)
def test_the_checker_wants_a_short_escaped_summary(text: str, problem: str) -> None:
    (found,) = summary_problems(text)
    assert problem in found


def test_the_summary_is_the_headline_escaped_and_short() -> None:
    reply = Reply(text="Run <b> & co on 2×L4\n" + "details " * 200)
    assert slack_blocks.fallback_text(reply) == "Run &lt;b&gt; &amp; co on 2×L4"
