"""Every kind of card, from a real conversation, as Slack and Teams users would see it.

The replies come from the flow wired as in production (real engine, dry-run cluster). Teams
cards are drawn by Microsoft's renderer with the Teams light host config in headless Chromium at
375 px (a phone) and 450 px (a thread pane): no action title may be cut and nothing may stick
out sideways, and the recommendation must fit in 700 px of height. Slack's blocks of the
recommendation must hold 25 lines of text wrapped at 60 characters. Screenshots of every card
at both widths are written to ``build/cards/`` (a gitignored folder) for a person to look at.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.recommender import EngineRecommender
from bot.channels.slack import blocks as slack_blocks
from bot.channels.teams import cards as teams_cards
from bot.conversation.flow import Incoming
from bot.conversation.measure_cards import drift_card
from bot.conversation.replies import Reply
from deploy.measure_job import REPORT_MARKER
from tests.render import card_renderer
from tests.scenario import conversation_harness
from tests.scenario.slack_standin import block_kit_violations, summary_problems, text_lines
from tests.scenario.teams_standin import card_violations

recommender = conversation_harness.recommender

ASK = (
    "We need a support chatbot for about 2000 employees, first token under 1 second, "
    "we have L40S and A100 GPUs"
)
SCRIPT: tuple[tuple[str, str, str], ...] = (
    ("question-task", "We'd like to run an open model for our team", "alice"),
    ("question-load", "chatbot", "alice"),
    ("recommendation", "200 concurrent users", "alice"),
    ("details", "how was this computed", "alice"),
    ("comparison", "double the traffic", "alice"),
    ("chart", "chart", "alice"),
    ("review", "deploy option 1", "alice"),
    ("approval", "confirm", "alice"),
)
GUIDELLM_REPORT = (
    Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "guidellm_report.json"
)
MAX_RECOMMENDATION_PX = 700
MAX_SLACK_LINES = 25
USED = ("recommendation", "review", "approval", "deployed", "question-load")
"""Cards drawn again as Teams replaces them once a button was used (``used-<name>``)."""


def _one_guidellm_run() -> str:
    report = json.loads(GUIDELLM_REPORT.read_text())
    return json.dumps({**report, "benchmarks": report["benchmarks"][:1]})


def _say(flow: Any, thread: str, text: str, user: str) -> list[Reply]:
    return list(flow.handle(Incoming(thread=thread, text=text, user=user)))


@pytest.fixture(scope="module")
def replies(
    tmp_path_factory: pytest.TempPathFactory, recommender: EngineRecommender
) -> dict[str, Reply]:
    """One reply of every kind, named, from real conversations."""
    folder = tmp_path_factory.mktemp("render")
    flow = conversation_harness.make_flow(folder, recommender, InMemoryStateStore())
    found: dict[str, Reply] = {}
    for name, text, user in SCRIPT:
        found[name] = _say(flow, "slack:C1:render", text, user)[-1]
        if name == "comparison":  # the first card's Deploy button is out of date now
            old = found["recommendation"].choices
            stale = next(c.value for c in old if c.label == "Deploy option 1")
            found["out-of-date"] = _say(flow, "slack:C1:render", stale, "alice")[-1]
    approve = next(c.value for c in found["approval"].choices if c.label == "Approve")
    found["refused"] = _say(flow, "slack:C1:render", approve, "alice")[-1]
    found["deployed"] = _say(flow, "slack:C1:render", approve, "bob")[-1]
    found["measuring"] = _say(flow, "slack:C1:render", "measure", "bob")[-1]
    found["recheck"] = _say(flow, "slack:C1:render", "recheck", "bob")[-1]
    (job,) = folder.rglob("job-*-measure.yaml")
    job.with_suffix(".log").write_text(f"{REPORT_MARKER}\n{_one_guidellm_run()}\n")
    found["measured"] = _say(flow, "slack:C1:render", "measure status", "bob")[-1]
    found["drift"] = drift_card(
        "qwen2-5-14b-l40s-1a2b3c: TTFT p95 2,425 ms: over the SLO (1,000 ms), above the "
        "predicted band (≤ 139 ms) for 3 polls in a row. Likely cause: load above plan: 6.0 "
        "requests/s against 3.3 planned. Fix: what if 2 replicas (now 1)."
    )
    found["rolled-back"] = _say(flow, "slack:C1:render", "rollback", "bob")[-1]
    found["readme-recommendation"] = _say(flow, "slack:C1:readme", ASK, "alice")[-1]
    found["nothing-fits"] = _say(
        flow,
        "slack:C1:tight",
        "a chatbot for 500 users at once on one L4, budget $100 a month",
        "alice",
    )[-1]
    return found


def test_the_script_reached_every_card_kind(replies: dict[str, Reply]) -> None:
    kinds = {name: reply.kind.value for name, reply in replies.items()}
    assert kinds["recommendation"] == "recommendation"
    assert kinds["comparison"] == "comparison"
    assert kinds["review"] == "confirmation"
    assert kinds["refused"] == "error"
    assert replies["out-of-date"].text.startswith("This card is out of date: option 1 is now")
    assert "ready" in replies["deployed"].text and "dry run" in replies["deployed"].text
    assert replies["nothing-fits"].text.startswith("Nothing fits")
    assert replies["chart"].images
    assert kinds["measured"] == "comparison" and replies["measuring"].text.startswith("Measuring")
    assert replies["recheck"].text.startswith("Rechecked")


def test_every_card_passes_the_slack_and_teams_checkers(replies: dict[str, Reply]) -> None:
    for name, reply in replies.items():
        assert block_kit_violations(slack_blocks.blocks_for(reply)) == [], name
        assert summary_problems(slack_blocks.fallback_text(reply)) == [], name
        assert card_violations(teams_cards.card_for(reply)) == [], name


def _first_settling_submit(card: dict[str, Any]) -> dict[str, Any]:
    """The data of the first submit on a card that settles it (a ShowCard's inner one too)."""
    actions = list(card.get("actions", []))
    for action in actions:
        if action["type"] == "Action.ShowCard":
            actions += action["card"].get("actions", [])
            continue
        data = action.get("data") or {}
        value = data.get(teams_cards.CHOICE_KEY) or next(iter(data[teams_cards.LABELS_KEY]), "")
        if action["type"] == "Action.Submit" and value not in data.get(teams_cards.KEEP_KEY, []):
            return {**data, teams_cards.CHOICE_KEY: value}
    raise AssertionError("no submit settles the card")


def used_cards(replies: dict[str, Reply]) -> dict[str, dict[str, Any]]:
    """The Teams cards of :data:`USED` as they are once one of their buttons was used."""
    out = {}
    for name in USED:
        data = _first_settling_submit(teams_cards.card_for(replies[name]))
        card = teams_cards.used_card(
            data, who="Bob Example", at="2026-12-06 00:12 UTC", original=replies[name]
        )
        assert card is not None, name
        out[f"used-{name}"] = card
    return out


def test_a_used_teams_card_is_the_card_less_its_buttons_with_a_state_line(
    replies: dict[str, Reply],
) -> None:
    for name, card in used_cards(replies).items():
        assert card_violations(card) == [], name
        assert {a["type"] for a in card.get("actions", [])} <= {"Action.ToggleVisibility"}, name
        assert not [b for b in card["body"] if b["type"].startswith("Input.")], name
        original = teams_cards.card_for(replies[name.removeprefix("used-")])
        assert card["body"][0] == original["body"][0], name
        lines = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
        assert any(line.endswith("by Bob Example at 2026-12-06 00:12 UTC") for line in lines)


@pytest.mark.parametrize("name", ["recommendation", "readme-recommendation", "nothing-fits"])
def test_slack_recommendation_holds_25_lines_at_60_characters(
    replies: dict[str, Reply], name: str
) -> None:
    lines = text_lines(slack_blocks.blocks_for(replies[name]), width=60)
    assert lines <= MAX_SLACK_LINES, f"{name}: {lines} lines"


@pytest.fixture(scope="module")
def rendered(replies: dict[str, Reply]) -> dict[int, dict[str, card_renderer.Measured]]:
    """Every Teams card rendered at 375 and 450 px; screenshots under build/cards/."""
    why = card_renderer.missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    cards = {name: teams_cards.card_for(reply) for name, reply in replies.items()}
    cards |= used_cards(replies)
    out: dict[int, dict[str, card_renderer.Measured]] = {}
    for width in (375, 450):
        shot = card_renderer.ARTEFACTS / f"teams-cards-{width}.png"
        measured = card_renderer.render(cards, width=width, screenshot=shot)
        assert shot.read_bytes().startswith(b"\x89PNG")
        out[width] = {item.name: item for item in measured}
    return out


@pytest.mark.parametrize("width", [375, 450])
def test_no_action_title_is_cut_and_nothing_sticks_out(
    rendered: dict[int, dict[str, card_renderer.Measured]], width: int
) -> None:
    for name, card in rendered[width].items():
        quiet = ("details", "rolled-back", "refused", "chart", "used-")
        assert card.buttons or name.startswith(quiet), name
        assert [b.title for b in card.buttons if b.cut] == [], f"{name} @ {width}px"
        assert card.overflow == [], f"{name} @ {width}px"


@pytest.mark.parametrize("name", ["recommendation", "readme-recommendation", "nothing-fits"])
def test_the_recommendation_fits_700_px_in_a_thread_pane(
    rendered: dict[int, dict[str, card_renderer.Measured]], name: str
) -> None:
    height = rendered[450][name].height
    assert height <= MAX_RECOMMENDATION_PX, f"{name}: {height:.0f} px tall at 450 px"


def test_screenshots_are_kept_for_a_person(rendered: dict[int, Any]) -> None:
    shots = sorted(Path(card_renderer.ARTEFACTS).glob("teams-cards-*.png"))
    assert [shot.name for shot in shots] == ["teams-cards-375.png", "teams-cards-450.png"]
