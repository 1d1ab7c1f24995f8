"""Tenants: one install serving many Slack workspaces and Teams tenants, each kept apart.

Signed Slack requests from two workspaces through the real Bolt app (the same channel id and
thread ``ts`` in both: a Slack Connect channel), Teams activities from two tenants through the
real endpoint, and whole conversations through the real flow and deployment service over a
dry-run cluster folder shared by every tenant: threads, requests, approvals, namespaces, audit
trails and allowed GPUs never cross from one tenant to another.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.deployer import ServiceDeployer
from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.recommender import EngineRecommender
from bot.channels.slack.app import thread_id
from bot.channels.slack.proactive import slack_poster
from bot.conversation.flow import ConversationFlow
from bot.conversation.measure_cards import drift_card
from bot.conversation.replies import ReplyKind
from bot.conversation.state_store import StateStore
from bot.conversation.thread_keys import scoped
from bot.conversation.thread_state import Stage
from bot.deploy_wiring import deployment_service
from bot.settings import Settings, TenantSettings
from bot.wiring import build_day2, build_flow
from deploy.audit import JsonlAuditLog
from deploy.file_records import FileRecords
from deploy.tenancy import audit_path
from domain.errors import InvalidInputError
from tests.scenario import conversation_harness
from tests.scenario.conversation_harness import TestBot
from tests.scenario.slack_standin import SlackStandIn
from tests.scenario.test_slack import (
    CHANNEL,
    TOKEN,
    SlackSide,
    mention,
    reply_in_thread,
    running_slack,
)
from tests.scenario.test_teams import CONVERSATION, TeamsSide, _serve
from tests.scenario.test_teams import teams as teams

recommender = conversation_harness.recommender
ASK = "Chatbot for 300 users"
TEAM_A, TEAM_B = "slack:TALPHA", "slack:TBETA"


def _settings(tmp_path: Path, **tenants: TenantSettings) -> Settings:
    base = conversation_harness.settings_for(tmp_path)
    cluster = base.cluster.model_copy(update={"allowed_namespaces": ["shared"]})
    settings = base.model_copy(update={"tenants": dict(tenants), "cluster": cluster})
    assert isinstance(settings, Settings)
    return settings


def _two_tenants(tmp_path: Path) -> Settings:
    return _settings(
        tmp_path,
        **{
            TEAM_A: TenantSettings(namespaces=["team-a"], approvers=["user:bob"]),
            TEAM_B: TenantSettings(namespaces=["team-b"], approvers=["user:carol"]),
        },
    )


def _flow(
    settings: Settings, recommender: EngineRecommender, store: StateStore | None = None
) -> ConversationFlow:
    return build_flow(
        settings,
        context=recommender.context,
        store=store or InMemoryStateStore(),
        recommender=recommender,
    )


def _request(bot: TestBot) -> str:
    """Recommend, choose option 1, confirm; the Approve button's value."""
    bot.say(ASK)
    bot.say("deploy option 1")
    (card,) = bot.say("confirm")
    assert bot.stage() is Stage.AWAITING_APPROVAL, card.plain_text()
    return next(choice.value for choice in card.choices if choice.label == "Approve")


def _namespaces(tmp_path: Path) -> set[str]:
    found = (tmp_path / "manifests").rglob("inferenceservice-*.yaml")
    return {path.relative_to(tmp_path / "manifests").parts[0] for path in found}


def test_each_tenant_deploys_to_its_namespace_approved_by_its_approvers(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    flow = _flow(_two_tenants(tmp_path), recommender)
    thread = thread_id(CHANNEL, "1700000000.000100", workspace=TEAM_A)
    alpha = TestBot(flow, thread=thread, user="alice")
    beta = TestBot(flow, thread=thread.replace(TEAM_A, TEAM_B), user="dave")
    click_a, click_b = _request(alpha), _request(beta)
    refused = alpha.say(click_a, user="carol")  # beta's approver has no say in alpha
    assert refused[0].kind is ReplyKind.ERROR and "not an approver" in refused[0].text
    alpha.say(click_a, user="bob")
    assert alpha.stage() is Stage.DEPLOYED and _namespaces(tmp_path) == {"team-a"}
    assert "not an approver" in beta.say(click_b, user="bob")[0].text
    beta.say(click_b, user="carol")
    assert beta.stage() is Stage.DEPLOYED and _namespaces(tmp_path) == {"team-a", "team-b"}
    assert alpha.state.deployment != beta.state.deployment


def test_each_tenant_has_its_own_audit_trail(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    settings = _two_tenants(tmp_path)
    flow = _flow(settings, recommender)
    alpha = TestBot(flow, thread=scoped(TEAM_A, "slack:C1:1.0"), user="alice")
    alpha.say(_request(alpha), user="bob")
    trail_a = JsonlAuditLog(audit_path(settings.audit.path, TEAM_A)).recent()
    trail_b = JsonlAuditLog(audit_path(settings.audit.path, TEAM_B)).recent()
    assert {event.action.value for event in trail_a} >= {"request", "approve", "apply"}
    assert {event.target.split("/")[0] for event in trail_a} == {"team-a"}
    assert trail_b == [] and JsonlAuditLog(settings.audit.path).recent() == []


def test_a_request_id_of_one_tenant_is_unknown_to_another(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    settings = _two_tenants(tmp_path)
    flow = _flow(settings, recommender)
    alpha = TestBot(flow, thread=scoped(TEAM_A, "slack:C1:2.0"), user="alice")
    _request(alpha)
    pending = alpha.state.deployment
    assert pending is not None
    deployer = ServiceDeployer(
        deployment_service(settings, records=_shared_records(tmp_path)), settings=settings
    )
    intruder = scoped(TEAM_B, "slack:C1:2.0")
    with pytest.raises(InvalidInputError, match="no deployment request"):
        deployer.approve(
            request_id=pending.request_id,
            approver="carol",
            seen_hash=pending.manifest_hash,
            thread=intruder,
        )
    with pytest.raises(InvalidInputError, match="no deployment request"):
        deployer.status(request_id=pending.request_id, thread=intruder)
    mine = deployer.status(request_id=pending.request_id, thread=alpha.thread)
    assert mine.target.startswith("team-a/")
    assert _shared_records(tmp_path).get(f"request:{pending.request_id}") is None


def _shared_records(tmp_path: Path) -> FileRecords:
    return FileRecords(tmp_path / "deploy-records.json")


def test_a_workspace_no_tenant_lists_may_talk_but_not_deploy(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    flow = _flow(_two_tenants(tmp_path), recommender)
    stranger = TestBot(flow, thread=scoped("slack:TOTHER", "slack:C1:3.0"), user="eve")
    stranger.say(ASK)
    assert stranger.stage() is Stage.EXPLORING
    stranger.say("deploy option 1")
    (refused,) = stranger.say("confirm")
    assert refused.kind is ReplyKind.ERROR
    assert "not set up for this workspace" in refused.text
    assert _namespaces(tmp_path) == set()


def test_a_tenants_allowed_gpus_limit_what_is_recommended(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    settings = _settings(
        tmp_path, **{TEAM_A: TenantSettings(namespaces=["team-a"], allowed_gpus=["L40S"])}
    )
    flow = build_flow(settings, context=recommender.context, store=InMemoryStateStore())
    limited = TestBot(flow, thread=scoped(TEAM_A, "slack:C1:4.0"))
    free = TestBot(flow, thread=scoped(TEAM_B, "slack:C1:4.0"))
    limited.say(ASK)
    free.say(ASK)
    mine, theirs = limited.state.recommendation, free.state.recommendation
    assert mine is not None and theirs is not None
    assert mine.options and {option.gpu for option in mine.options} == {"L40S"}
    assert {option.gpu for option in theirs.options} != {"L40S"}
    assert any("this workspace may use" in exclusion.why for exclusion in mine.excluded)
    limited.say("what about H100")
    after = limited.state.recommendation
    assert after is not None and all(option.gpu == "L40S" for option in after.options)


def test_a_conversation_begun_before_tenants_carries_on_and_can_roll_back(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    store = InMemoryStateStore()
    flow = _flow(conversation_harness.settings_for(tmp_path), recommender, store)
    before = TestBot(flow, thread="slack:C1:5.0", user="alice")  # the key before the upgrade
    before.say(_request(before), user="bob")
    assert before.stage() is Stage.DEPLOYED
    after = TestBot(flow, thread=scoped(TEAM_A, "slack:C1:5.0"), user="alice")
    assert after.stage() is Stage.DEPLOYED and after.state.turns == before.state.turns
    after.say("rollback", user="bob")
    assert after.stage() is Stage.ROLLED_BACK, after.transcript[-1][1][0].text
    assert _namespaces(tmp_path) == set()
    assert before.stage() is Stage.DEPLOYED  # the old key is left as it was, never written again


@pytest.fixture
async def slack(tmp_path: Path, recommender: EngineRecommender) -> AsyncIterator[SlackSide]:
    async with running_slack(tmp_path, recommender, InMemoryStateStore()) as side:
        yield side


async def _event_from(slack: SlackSide, team: str, event: dict[str, Any]) -> int:
    envelope = {
        "token": "legacy",
        "team_id": team,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10]}",
        "event_time": int(time.time()),
        "event": event,
    }
    status, _ = await slack.send(json.dumps(envelope), content_type="application/json")
    return status


async def test_the_same_slack_thread_ts_in_two_workspaces_are_two_conversations(
    slack: SlackSide,
) -> None:
    ts = "1700000000.000900"
    assert await _event_from(slack, "TALPHA", mention("chatbot for 300 users", ts=ts)) == 200
    await slack.posts(1)
    assert await _event_from(slack, "TBETA", mention("summarise 50k documents a day", ts=ts)) == 200
    await slack.posts(2)
    follow_up = reply_in_thread("double the traffic", ts="1700000000.000901", thread_ts=ts)
    assert await _event_from(slack, "TALPHA", follow_up) == 200
    await slack.posts(3)
    alpha = slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM_A))
    beta = slack.flow.state(thread=thread_id(CHANNEL, ts, workspace=TEAM_B))
    assert (alpha.turns, beta.turns) == (2, 1)
    assert alpha.requirements.task != beta.requirements.task
    assert slack.flow.state(thread=f"slack:{CHANNEL}:{ts}").turns == 0  # no unscoped key


async def test_two_teams_tenants_with_the_same_conversation_id_are_kept_apart(
    teams: TeamsSide,
) -> None:
    first = teams.activity(text="chatbot for 300 users")
    second = teams.activity(text="summarise 50k documents a day")
    second["channelData"] = {"tenant": {"id": "tenant-2"}}
    assert await teams.post(first) == 201
    assert await teams.post(second) == 201
    one = teams.flow.state(thread=scoped("teams:tenant-1", f"teams:{CONVERSATION}"))
    two = teams.flow.state(thread=scoped("teams:tenant-2", f"teams:{CONVERSATION}"))
    assert (one.turns, two.turns) == (1, 1)
    assert one.requirements.task != two.requirements.task


_ = _serve  # the Teams server helper, imported with its fixture


def test_a_tenants_deployment_is_measured_and_watched_through_its_own_records(
    tmp_path: Path, recommender: EngineRecommender
) -> None:
    settings = _two_tenants(tmp_path)
    watch = build_day2(settings)
    flow = build_flow(
        settings, context=recommender.context, recommender=recommender, follower=watch
    )
    alpha = TestBot(flow, thread=scoped(TEAM_A, "slack:C1:6.0"), user="alice")
    alpha.say(_request(alpha), user="bob")
    assert alpha.stage() is Stage.DEPLOYED
    (followed,) = watch.watched()  # its request was found among the tenant's records
    assert (followed.namespace, followed.thread) == ("team-a", alpha.thread)
    (started,) = alpha.say("measure")
    assert started.text.startswith("Measuring team-a/"), started.text
    (status,) = alpha.say("measure status")
    assert status.text.startswith("Still measuring team-a/"), status.text


def test_the_slack_poster_answers_in_the_thread_a_scoped_key_names() -> None:
    standin = SlackStandIn(token=TOKEN)
    with standin.running():
        post = slack_poster(TOKEN, api_url=standin.api_url)
        post(thread_id("C0TEAM", "1700000000.000700", workspace=TEAM_A), drift_card("drift"))
        post("slack:C0OLD:1700000000.000800", drift_card("drift"))  # a pre-tenant key
        posted = standin.wait_for_posts(2)
    where = [(p["channel"], p["thread_ts"]) for p in posted]
    assert where == [("C0TEAM", "1700000000.000700"), ("C0OLD", "1700000000.000800")]
