"""Approval policy: who may approve a deployment, and what an approval is bound to.

A :class:`DeploymentRequest` names the exact manifests it asks for by their sha256
(:func:`deploy.render.manifest_hash`). An :class:`Approval` copies that hash; any change to the
manifests afterwards voids it (``ApprovalVoidedError``). Approvals expire (24 h by default,
``ApprovalExpiredError``); by default the requester cannot approve their own request
(``SelfApprovalError``); a policy may require N distinct approvers. Who may approve is set per
namespace by chat user (``user:<id>``) or chat group (``group:<name>``).

At click time the approver's chat identity is mapped to a Kubernetes identity
(:class:`IdentityMap`); the cluster's RBAC (a SubjectAccessReview) then has the last word —
that check lives in the deployment service, not here. This module must not do I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import Field

from deploy.cluster import Identity
from domain.base import Frozen
from domain.errors import (
    ApprovalError,
    ApprovalExpiredError,
    ApprovalVoidedError,
    PermissionDeniedError,
    SelfApprovalError,
)

ANY_NAMESPACE = "*"


class ApprovalPolicy(Frozen):
    """Who may approve what, how many must, and for how long an approval holds."""

    approvers: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Namespace ('*' = any) → 'user:<chat id>' / 'group:<chat group>'. Empty: "
        "anyone, leaving the decision to the cluster's RBAC check.",
    )
    allow_self_approval: bool = Field(default=False, description="Requester may approve.")
    required_approvals: int = Field(default=1, ge=1, le=10, description="Distinct approvers.")
    expiry_s: int = Field(default=24 * 3600, ge=60, description="How long an approval holds.")


class ChatIdentity(Frozen):
    """Who clicked, as the chat platform says."""

    user: str = Field(min_length=1, max_length=256)
    groups: tuple[str, ...] = ()


class IdentityMap(Frozen):
    """Maps chat users to Kubernetes identities.

    Unmapped users become ``<unmapped_prefix><chat id>`` (so a chat id never collides with a
    real Kubernetes user), or are refused when the prefix is None.
    """

    users: dict[str, Identity] = Field(default_factory=dict)
    unmapped_prefix: str | None = "chat:"

    def to_kubernetes(self, chat_user: str) -> Identity:
        """Return the Kubernetes identity of a chat user.

        Args:
            chat_user: The chat platform's user id.

        Returns:
            The mapped identity.

        Raises:
            PermissionDeniedError: When the user is unmapped and unmapped users are refused.
        """
        if chat_user in self.users:
            return self.users[chat_user]
        if self.unmapped_prefix is None:
            raise PermissionDeniedError(
                f"chat user {chat_user!r} has no Kubernetes identity mapped",
                missing=["an entry in cluster.identities"],
            )
        return Identity(user=self.unmapped_prefix + chat_user)

    def chat_identity(self, chat_user: str) -> ChatIdentity:
        """Return who a chat user is for the approval policy: the user and their mapped groups.

        Chat platforms do not say which groups a user is in; the groups an operator mapped the
        user to (``cluster.identity_groups``) are what ``group:<name>`` approvers match.

        Args:
            chat_user: The chat platform's user id.

        Returns:
            The chat identity with the mapped groups (none for an unmapped user).
        """
        mapped = self.users.get(chat_user)
        return ChatIdentity(user=chat_user, groups=mapped.groups if mapped else ())


class DeploymentRequest(Frozen):
    """A request to deploy exactly these manifests, from this thread."""

    id: str = Field(description="Derived from (thread, manifest hash): one per pair.")
    thread_id: str
    namespace: str
    name: str
    requester: str
    manifest_hash: str = Field(pattern=r"^[a-f0-9]{64}$")
    option_hash: str
    created_at: datetime


class Approval(Frozen):
    """One approver's approval of one request's manifests."""

    request_id: str
    approver: str
    kubernetes_user: str
    manifest_hash: str
    approved_at: datetime


def request_id(thread_id: str, manifest_hash: str) -> str:
    """Return the id of the one request a (thread, manifests) pair may have.

    Args:
        thread_id: The chat thread.
        manifest_hash: sha256 of the manifests.

    Returns:
        ``req-`` and 16 hex digits.
    """
    digest = hashlib.sha256(f"{thread_id}\n{manifest_hash}".encode()).hexdigest()
    return "req-" + digest[:16]


def may_approve(policy: ApprovalPolicy, namespace: str, who: ChatIdentity) -> bool:
    """Whether the policy lists this chat identity as an approver for the namespace.

    Args:
        policy: The approval policy.
        namespace: Target namespace.
        who: The approver's chat identity.

    Returns:
        True when listed (or when the policy lists nobody at all).
    """
    if not policy.approvers:
        return True
    listed = policy.approvers.get(namespace, []) + policy.approvers.get(ANY_NAMESPACE, [])
    principals = {f"user:{who.user}"} | {f"group:{group}" for group in who.groups}
    return bool(principals & set(listed))


def grant(
    policy: ApprovalPolicy,
    request: DeploymentRequest,
    *,
    approver: ChatIdentity,
    kubernetes_user: str,
    seen_hash: str,
    now: datetime,
) -> Approval:
    """Grant one approval, if the policy lets this person approve this request now.

    Args:
        policy: The approval policy.
        request: What is being approved.
        approver: Who clicked.
        kubernetes_user: The Kubernetes user the approver maps to.
        seen_hash: The manifest hash the approver was shown (bound into the approval).
        now: The current time (aware).

    Returns:
        The approval.

    Raises:
        SelfApprovalError: The requester approves their own request against the policy.
        ApprovalError: The approver is not listed for the namespace.
        ApprovalVoidedError: What the approver saw is not what the request holds.
        ApprovalExpiredError: The request is older than the policy's expiry.
    """
    if approver.user == request.requester and not policy.allow_self_approval:
        raise SelfApprovalError(
            "you cannot approve your own deployment request",
            hint="ask someone else who may deploy to " + request.namespace,
        )
    if not may_approve(policy, request.namespace, approver):
        raise ApprovalError(
            f"{approver.user} is not an approver for namespace {request.namespace}",
            hint="approvers are set in cluster.approvers",
        )
    if seen_hash != request.manifest_hash:
        raise ApprovalVoidedError(
            "the manifests changed since they were shown; approval void",
            hint="review the new manifests and approve again",
        )
    if now - request.created_at > timedelta(seconds=policy.expiry_s):
        raise ApprovalExpiredError("this deployment request has expired", hint="request it again")
    return Approval(
        request_id=request.id,
        approver=approver.user,
        kubernetes_user=kubernetes_user,
        manifest_hash=seen_hash,
        approved_at=now,
    )


def verify(
    policy: ApprovalPolicy,
    request: DeploymentRequest,
    approvals: Sequence[Approval],
    *,
    current_hash: str,
    now: datetime,
) -> list[Approval] | None:
    """Check approvals against the manifests about to be applied.

    Args:
        policy: The approval policy.
        request: The request approved.
        approvals: Every approval given for it.
        current_hash: sha256 of the manifests about to be applied.
        now: The current time (aware).

    Returns:
        One valid approval per distinct approver, or None while fewer than required.

    Raises:
        ApprovalVoidedError: An approval is bound to other manifests than those.
        ApprovalExpiredError: Too few approvals are left once expired ones are set aside.
    """
    by_approver: dict[str, Approval] = {}
    expired: list[Approval] = []
    for approval in approvals:
        if approval.manifest_hash != current_hash or request.manifest_hash != current_hash:
            raise ApprovalVoidedError(
                "the manifests changed after they were approved; approval void",
                hint="review the new manifests and approve again",
            )
        if now - approval.approved_at > timedelta(seconds=policy.expiry_s):
            expired.append(approval)
            continue
        by_approver.setdefault(approval.approver, approval)
    if len(by_approver) >= policy.required_approvals:
        return list(by_approver.values())
    if expired:
        raise ApprovalExpiredError(
            f"the approval by {expired[-1].approver} has expired", hint="approve again"
        )
    return None
