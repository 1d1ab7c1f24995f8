"""Adaptive Card drawing: headline, table, folded details, three actions, schema-valid cards."""

from __future__ import annotations

import pytest

from bot.channels.teams import cards
from bot.conversation.replies import (
    Align,
    Choice,
    ChoiceRole,
    ChoiceStyle,
    Confirm,
    Field,
    Image,
    Reply,
    ReplyKind,
    Table,
    Tone,
    reply_key,
)
from tests.scenario.teams_standin import card_violations


def test_a_reply_becomes_one_card_with_headline_table_and_at_most_three_actions() -> None:
    reply = Reply(
        kind=ReplyKind.RECOMMENDATION,
        tone=Tone.GOOD,
        text="Run Llama-3.1-8B on 2×L4",
        reasons=("cheapest", "fast"),
        fields=(Field(label="Assumed", value="500 prompt tokens"),),
        tables=(
            Table(
                title="Options",
                columns=("#", "GPU", "$/month"),
                rows=(("1", "L4", "$1,168"), ("2", "A100", "$2,400")),
                align=(Align.RIGHT, Align.LEFT, Align.RIGHT),
            ),
        ),
        details=(Field(label="Assumed", value="a long source paragraph"),),
        choices=(
            Choice(label="Deploy option 1", value="deploy option 1", style=ChoiceStyle.PRIMARY),
            Choice(label="Deploy option 2", value="deploy option 2"),
            Choice(label="Show chart", value="chart"),
            Choice(label="How was this computed?", value="details", role=ChoiceRole.DETAILS),
            Choice(label="Traffic × 2?", value="double the traffic", role=ChoiceRole.WHAT_IF),
        ),
    )
    card = cards.card_for(reply)
    assert card_violations(card) == []
    kinds = [item["type"] for item in card["body"]]
    assert kinds == [
        "Container",
        "TextBlock",
        "TextBlock",
        "TextBlock",
        "TextBlock",
        "Table",
        "Container",
    ]
    headline = card["body"][0]
    assert headline["style"] == "good" and "color" not in headline["items"][0]
    assert card["body"][1]["text"] == "• cheapest"
    table = card["body"][5]
    assert [c["horizontalCellContentAlignment"] for c in table["columns"]] == [
        "right",
        "left",
        "right",
    ]
    assert card["body"][6]["isVisible"] is False
    deploy, details, more = card["actions"]
    assert (deploy["type"], deploy["style"]) == ("Action.Submit", "positive")
    assert cards.choice_of(deploy["data"]) == "deploy option 1"
    assert details == {
        "type": "Action.ToggleVisibility",
        "title": "Details",
        "targetElements": [cards.DETAILS_ID],
    }
    assert more["type"] == "Action.ShowCard"
    (choice_set,) = more["card"]["body"]
    assert [c["value"] for c in choice_set["choices"]] == [
        "deploy option 2",
        "chart",
        "double the traffic",
    ]


def test_answers_are_one_choice_set_with_one_send_button() -> None:
    reply = Reply(
        kind=ReplyKind.QUESTION,
        text="How much traffic?",
        choices=tuple(
            Choice(
                label=f"{n} concurrent users", value=f"{n} concurrent users", role=ChoiceRole.ANSWER
            )
            for n in (20, 200, 2000)
        ),
    )
    card = cards.card_for(reply)
    assert card_violations(card) == []
    (choice_set,) = [item for item in card["body"] if item["type"] == "Input.ChoiceSet"]
    assert choice_set["id"] == cards.CHOICE_KEY and len(choice_set["choices"]) == 3
    (send,) = card["actions"]
    assert send["title"] == "Send" and cards.CHOICE_KEY not in send["data"]  # the set's value
    assert send["data"][cards.LABELS_KEY]["200 concurrent users"] == "200 concurrent users"
    assert cards.choice_of({cards.CHOICE_KEY: "200 concurrent users"}) == "200 concurrent users"


def test_a_confirmed_choice_opens_a_show_card_and_a_used_one_is_disabled() -> None:
    dialog = Confirm(title="Roll back?", text="Undo it.", confirm="Roll back now")
    reply = Reply(
        kind=ReplyKind.STATUS,
        text="Deployed",
        choices=(
            Choice(label="Roll back", value="rollback", style=ChoiceStyle.DANGER, confirm=dialog),
            Choice(label="Approve", value="approve req-1 abc", enabled=False),
        ),
    )
    card = cards.card_for(reply)
    assert card_violations(card) == []
    rollback, approve = card["actions"]
    assert (rollback["type"], rollback["style"]) == ("Action.ShowCard", "destructive")
    (inner,) = rollback["card"]["actions"]
    assert inner["title"] == "Roll back now" and cards.choice_of(inner["data"]) == "rollback"
    assert approve["isEnabled"] is False


def test_the_schema_check_catches_a_broken_card() -> None:
    broken = cards.card_for(Reply(text="x"))
    broken["body"][0]["style"] = "purple"
    assert card_violations(broken)


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
    assert notes == ["Chart (attached). cost vs latency", "Big: too big to inline"]


def test_a_wide_table_stacks_its_text_columns_to_fit_a_phone() -> None:
    table = Table(
        columns=("#", "Model", "GPUs", "Prec", "TTFT", "$/mo", "SLO"),
        rows=(("1", "gpt-oss-120b", "1×A100-SXM-80G", "fp4", "91 ms", "$3,738", "✓"),),
        align=(
            Align.RIGHT,
            Align.LEFT,
            Align.LEFT,
            Align.LEFT,
            Align.RIGHT,
            Align.RIGHT,
            Align.LEFT,
        ),
    )
    (drawn,) = [
        b for b in cards.card_for(Reply(text="x", tables=(table,)))["body"] if b["type"] == "Table"
    ]
    _header, row = drawn["rows"]
    assert len(drawn["columns"]) == 5
    option = row["cells"][1]["items"]
    assert [item["text"] for item in option] == ["gpt-oss-120b", "1×A100-SXM-80G · fp4"]
    assert option[1]["isSubtle"] is True
    assert [c["horizontalCellContentAlignment"] for c in drawn["columns"]] == [
        "right",
        "left",
        "right",
        "right",
        "left",
    ]


def test_a_used_card_is_the_same_card_without_buttons_and_says_who_did_what_when() -> None:
    reply = Reply(
        kind=ReplyKind.STATUS,
        text="Approve req-1 for vllm/chat?",
        reasons=("Nothing is applied until an approver approves.",),
        fields=(Field(label="Model", value="Qwen2.5-14B"),),
        details=(Field(label="Assumed", value="500 prompt tokens"),),
        choices=(
            Choice(label="Approve", value="approve req-1 abc", style=ChoiceStyle.PRIMARY),
            Choice(label="Show chart", value="chart", shows_more=True),
            Choice(label="How was this computed?", value="details", role=ChoiceRole.DETAILS),
        ),
    )
    drawn = cards.card_for(reply)
    approve, chart = (a for a in drawn["actions"] if a["type"] == "Action.Submit")
    assert cards.card_key_of(approve["data"]) == reply_key(reply)
    used = cards.used_card(approve["data"], who="Bob", at="2026-12-06 00:12 UTC", original=reply)
    assert used is not None and card_violations(used) == []
    assert [a["type"] for a in used["actions"]] == ["Action.ToggleVisibility"]  # details fold
    assert used["body"][0] == drawn["body"][0]
    texts = [item["text"] for item in used["body"] if item["type"] == "TextBlock"]
    assert "**Status:** Approved by Bob at 2026-12-06 00:12 UTC" in texts
    assert "**Model:** Qwen2.5-14B" in texts and "• Nothing is applied" in texts[0] + texts[1]
    assert cards.used_card(chart["data"], who="Bob", at="now") is None  # shows more only
    assert cards.used_card({"something": "else"}, who="Bob", at="now") is None


def test_a_used_card_the_thread_no_longer_keeps_is_its_summary_and_the_line() -> None:
    reply = Reply(
        kind=ReplyKind.CONFIRMATION,
        text="Deploy option 1: Qwen2.5-14B on 1×L40S?",
        choices=(Choice(label="Cancel", value="cancel"),),
    )
    (cancel,) = cards.card_for(reply)["actions"]
    used = cards.used_card(cancel["data"], who="Ann", at="2026-12-06 00:12 UTC")
    assert used is not None and card_violations(used) == [] and "actions" not in used
    texts = [item["text"] for item in used["body"] if item["type"] == "TextBlock"]
    assert texts == ["**Status:** Cancelled by Ann at 2026-12-06 00:12 UTC"]
    assert "Deploy option 1: Qwen2.5-14B on 1×L40S?" in str(used["body"][0])
