"""What Preflight remembers about one conversation thread, as one immutable, serialisable value.

The flow reads a :class:`ConversationState`, computes the next one and hands it to a state store
(``bot.conversation.state_store``); stores persist it as JSON. This module holds data only: it must
not import a store, a channel or the recommendation engine.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from bot.conversation.replies import Reply
from domain.base import Frozen
from domain.recommendation import Recommendation
from domain.requirements import Requirements


class Stage(StrEnum):
    """Where a conversation is: collecting → recommending → exploring → confirming → … → done."""

    COLLECTING = "collecting"
    RECOMMENDING = "recommending"
    EXPLORING = "exploring"
    CONFIRMING = "confirming"
    AWAITING_APPROVAL = "awaiting_approval"
    DEPLOYING = "deploying"
    DEPLOYED = "deployed"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"


class Essential(StrEnum):
    """What the flow must know before it recommends; everything else has task defaults."""

    TASK = "task"
    LOAD = "load"


class Pin(Frozen):
    """A what-if choice that is not a requirement: a precision, replica count or GPU to look at."""

    precision: str | None = Field(default=None, description="Show only options at this precision.")
    replicas: int | None = Field(default=None, ge=1, le=512, description="Replicas to size for.")
    gpu: str | None = Field(default=None, description="Show only options on this exact GPU.")


class Deployment(Frozen):
    """The deployment request this thread started, as the deploy side reported it."""

    request_id: str = Field(description="Id the deployer gave the request.")
    option_index: int = Field(ge=0, description="Which option of the recommendation it deploys.")
    requester: str = Field(description="Who asked for it.")
    manifest_hash: str = Field(default="", description="sha256 of the manifests requested.")
    thread: str = Field(
        default="",
        description="Thread key the request was made under (it owns the deployment); empty = "
        "the thread's own key.",
    )
    status: str = Field(default="", description="Last status line the deployer reported.")
    links: dict[str, str] = Field(default_factory=dict, description="Endpoint, dashboard, files.")


class PostedCard(Frozen):
    """A card with buttons the thread was sent, kept so a channel can redraw it once used."""

    key: str = Field(description="replies.reply_key of the reply (its buttons carry it).")
    reply: Reply = Field(description="The reply as posted, without its images.")


class ConversationState(Frozen):
    """Everything the flow needs to continue a thread after a restart."""

    stage: Stage = Stage.COLLECTING
    requirements: Requirements = Field(default_factory=Requirements)
    stated: tuple[str, ...] = Field(default=(), description="Requirement fields the team stated.")
    asking: Essential | None = Field(default=None, description="The question awaiting an answer.")
    recommendation: Recommendation | None = None
    pin: Pin = Field(default_factory=Pin)
    chosen: int | None = Field(default=None, ge=0, description="Option picked for deployment.")
    shown: tuple[str, ...] = Field(
        default=(),
        description="Ids (deploy.plan.option_hash) of the options the last card numbered, in "
        "its order: a typed 'deploy option N' means its N-th (bot.conversation.bound_options).",
    )
    deployment: Deployment | None = None
    turns: int = Field(default=0, ge=0, description="Messages handled in this thread.")
    started_at: float | None = Field(
        default=None, description="Unix time of the thread's first message (for metrics)."
    )
    posted: tuple[PostedCard, ...] = Field(
        default=(),
        description="The latest cards with buttons sent to the thread (oldest first, a few), "
        "so Teams can replace a used card with itself less its buttons.",
    )
    reply_to: str | None = Field(
        default=None,
        description="The channel's reference for posting into the thread unprompted (Teams).",
    )
