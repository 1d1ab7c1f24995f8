"""Tests of deploy.approval: who may approve, what an approval is bound to, when it lapses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deploy.approval import (
    Approval,
    ApprovalPolicy,
    ChatIdentity,
    DeploymentRequest,
    IdentityMap,
    grant,
    may_approve,
    request_id,
    verify,
)
from deploy.cluster import Identity
from domain.errors import (
    ApprovalError,
    ApprovalExpiredError,
    ApprovalVoidedError,
    PermissionDeniedError,
    SelfApprovalError,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
HASH = "a" * 64
OTHER = "b" * 64


def make_request(**overrides: object) -> DeploymentRequest:
    fields: dict[str, object] = {
        "id": request_id("thread-1", HASH),
        "thread_id": "thread-1",
        "namespace": "llm-serving",
        "name": "llama",
        "requester": "U-alice",
        "manifest_hash": HASH,
        "option_hash": "0123456789ab",
        "created_at": T0,
    }
    fields.update(overrides)
    return DeploymentRequest.model_validate(fields)


def approve(policy: ApprovalPolicy, who: str, *, at: datetime = T0, seen: str = HASH) -> Approval:
    return grant(
        policy,
        make_request(),
        approver=ChatIdentity(user=who),
        kubernetes_user=who,
        seen_hash=seen,
        now=at,
    )


def test_requester_cannot_approve_their_own_request_by_default() -> None:
    with pytest.raises(SelfApprovalError, match="your own"):
        approve(ApprovalPolicy(), "U-alice")


def test_self_approval_when_the_policy_allows_it() -> None:
    approval = approve(ApprovalPolicy(allow_self_approval=True), "U-alice")
    assert approval.approver == "U-alice"


def test_approval_is_voided_when_the_manifests_shown_differ() -> None:
    with pytest.raises(ApprovalVoidedError):
        approve(ApprovalPolicy(), "U-bob", seen=OTHER)


def test_approval_is_voided_by_a_manifest_change_after_approval() -> None:
    policy = ApprovalPolicy()
    approval = approve(policy, "U-bob")
    with pytest.raises(ApprovalVoidedError, match="changed after they were approved"):
        verify(policy, make_request(), [approval], current_hash=OTHER, now=T0)


def test_approval_expires_after_the_policy_period() -> None:
    policy = ApprovalPolicy(expiry_s=3600)
    approval = approve(policy, "U-bob")
    assert verify(
        policy, make_request(), [approval], current_hash=HASH, now=T0 + timedelta(minutes=59)
    )
    with pytest.raises(ApprovalExpiredError):
        verify(policy, make_request(), [approval], current_hash=HASH, now=T0 + timedelta(hours=2))


def test_an_expired_approval_is_set_aside_when_enough_fresh_ones_remain() -> None:
    policy = ApprovalPolicy(required_approvals=2, expiry_s=3600)
    old = approve(policy, "U-bob")
    later = T0 + timedelta(minutes=90)
    carol = grant(
        policy,
        make_request(created_at=later),
        approver=ChatIdentity(user="U-carol"),
        kubernetes_user="carol",
        seen_hash=HASH,
        now=later,
    )
    dan = grant(
        policy,
        make_request(created_at=later),
        approver=ChatIdentity(user="U-dan"),
        kubernetes_user="dan",
        seen_hash=HASH,
        now=later,
    )
    with pytest.raises(ApprovalExpiredError, match="U-bob"):
        verify(policy, make_request(), [old, carol], current_hash=HASH, now=later)
    valid = verify(policy, make_request(), [old, carol, dan], current_hash=HASH, now=later)
    assert valid is not None and {a.approver for a in valid} == {"U-carol", "U-dan"}


def test_default_expiry_is_a_day() -> None:
    assert ApprovalPolicy().expiry_s == 24 * 3600
    with pytest.raises(ApprovalExpiredError, match="request has expired"):
        approve(ApprovalPolicy(), "U-bob", at=T0 + timedelta(hours=25))


def test_two_of_n_waits_for_a_second_distinct_approver() -> None:
    policy = ApprovalPolicy(required_approvals=2)
    bob = approve(policy, "U-bob")
    again = approve(policy, "U-bob")
    assert verify(policy, make_request(), [bob, again], current_hash=HASH, now=T0) is None
    carol = approve(policy, "U-carol")
    valid = verify(policy, make_request(), [bob, carol], current_hash=HASH, now=T0)
    assert valid is not None and {a.approver for a in valid} == {"U-bob", "U-carol"}


@pytest.mark.parametrize(
    ("who", "namespace", "allowed"),
    [
        pytest.param(ChatIdentity(user="U-bob"), "llm-serving", True, id="listed-user"),
        pytest.param(ChatIdentity(user="U-eve", groups=("sre",)), "llm-serving", True, id="group"),
        pytest.param(ChatIdentity(user="U-dan"), "team-x", True, id="wildcard-namespace"),
        pytest.param(ChatIdentity(user="U-eve"), "llm-serving", False, id="not-listed"),
        pytest.param(ChatIdentity(user="U-bob"), "team-x", False, id="other-namespace"),
    ],
)
def test_approvers_per_namespace_by_user_or_group(
    who: ChatIdentity, namespace: str, allowed: bool
) -> None:
    policy = ApprovalPolicy(
        approvers={"llm-serving": ["user:U-bob", "group:sre"], "*": ["user:U-dan"]}
    )
    assert may_approve(policy, namespace, who) is allowed


def test_an_unlisted_approver_is_refused() -> None:
    policy = ApprovalPolicy(approvers={"llm-serving": ["group:sre"]})
    with pytest.raises(ApprovalError, match="not an approver"):
        approve(policy, "U-eve")


def test_identity_map_maps_known_users_and_prefixes_or_refuses_others() -> None:
    mapping = IdentityMap(users={"U-bob": Identity(user="bob@corp", groups=("ml-deployers",))})
    assert mapping.to_kubernetes("U-bob").groups == ("ml-deployers",)
    assert mapping.to_kubernetes("U-eve").user == "chat:U-eve"
    strict = IdentityMap(users={}, unmapped_prefix=None)
    with pytest.raises(PermissionDeniedError, match="no Kubernetes identity"):
        strict.to_kubernetes("U-eve")


def test_request_id_is_one_per_thread_and_manifests() -> None:
    assert request_id("t1", HASH) == request_id("t1", HASH)
    assert request_id("t1", HASH) != request_id("t2", HASH)
    assert request_id("t1", HASH) != request_id("t1", OTHER)
