"""The ports the conversation flow talks through: understanding, recommending, charting, deploying.

The flow knows these shapes only; ``bot.wiring`` binds them to the understanding module, the
recommendation engine, ``bot.adapters.chart`` and the deploy package. This module must not import
any of those implementations, a channel or a chat SDK.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import Field

from bot.conversation.thread_state import Pin
from bot.conversation.tracing import NO_TRACING, Tracer
from deploy.measure_job import MetricComparison
from domain.base import Frozen
from domain.benchmarks import BenchmarkRecord
from domain.recommendation import PlannedLoad, Recommendation, RecommendedOption
from domain.requirements import Requirements, SloTarget, Task, TaskDefaults


class Understanding(Protocol):
    """What one message states: the requirements it gives and the names of the fields it set."""

    @property
    def requirements(self) -> Requirements:
        """The requirements the message states (everything else empty)."""
        ...

    @property
    def stated(self) -> frozenset[str]:
        """Names of the ``Requirements`` fields the message states."""
        ...

    @property
    def unplaced(self) -> tuple[str, ...]:
        """What the message names that could not be placed, each said for the user with the
        closest known names ("I don't know the GPU 'RTX 9090' (closest: RTX 4090, …)")."""
        ...


class Understander(Protocol):
    """Turns chat text into requirements."""

    def message(self, text: str) -> Understanding:
        """Understand one message on its own.

        Args:
            text: The message.

        Returns:
            What it states.
        """
        ...

    def merge(self, text: str, *, previous: Requirements) -> Requirements:
        """Apply a message to earlier requirements; stated values replace earlier ones.

        Args:
            text: The message.
            previous: The requirements so far.

        Returns:
            The merged requirements.
        """
        ...


class Recommender(Protocol):
    """Recommends for requirements (``recommend.engine.recommend`` with its context bound)."""

    def __call__(self, requirements: Requirements, *, pin: Pin, thread: str = "") -> Recommendation:
        """Recommend, looking only at what ``pin`` fixes (a precision, a replica count).

        Args:
            requirements: What the team needs.
            pin: What-if choices that are not requirements.
            thread: The thread asking; its workspace's tenant may limit the GPUs considered.

        Returns:
            The ranked options, or why nothing fits.
        """
        ...


class ChartMaker(Protocol):
    """Draws cost vs p95 latency of a recommendation's options as PNG bytes."""

    def __call__(
        self, recommendation: Recommendation, *, targets: Sequence[SloTarget] = ()
    ) -> bytes:
        """Draw the chart.

        Args:
            recommendation: The options.
            targets: The latency targets to draw as lines.

        Returns:
            PNG bytes.
        """
        ...


class DeployStatus(StrEnum):
    """Where a deployment request stands, as the deploy side reports it."""

    AWAITING_APPROVAL = "awaiting_approval"
    DEPLOYING = "deploying"
    DEPLOYED = "deployed"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"


class DeployResult(Frozen):
    """The deploy side's answer to a request, an approval or a rollback."""

    request_id: str
    status: DeployStatus
    message: str = Field(description="One line for the thread.")
    manifest_hash: str = Field(default="", description="sha256 of the request's manifests.")
    links: dict[str, str] = Field(default_factory=dict, description="Endpoint, dashboard, files.")
    target: str = Field(default="", description="'namespace/name' of the deployment.")
    requester: str = Field(default="", description="Chat id of who asked for it.")
    approvers: list[str] = Field(default_factory=list, description="Chat ids who approved it.")
    may_approve: list[str] = Field(
        default_factory=list,
        description="'user:<id>'/'group:<name>' allowed to approve; empty = anyone the cluster's "
        "RBAC allows.",
    )
    expires_at: datetime | None = Field(default=None, description="When an approval expires.")
    dry_run: bool = Field(default=False, description="Manifests written to a folder, not applied.")


class Deployer(Protocol):
    """The deploy side as the flow sees it. Errors are ``domain.errors`` types.

    User-facing errors (self-approval, permission denied, expired approval, policy violation)
    are shown in the thread; backend errors ask the user to retry.
    """

    def request(
        self,
        *,
        thread: str,
        requester: str,
        option: RecommendedOption,
        requirements: Requirements,
    ) -> DeployResult:
        """Ask for a deployment of ``option``; it then waits for an approver."""
        ...

    def approve(
        self, *, request_id: str, approver: str, seen_hash: str, thread: str = ""
    ) -> DeployResult:
        """Approve a request and deploy it, bound to the manifest hash the approver was shown
        (a prefix of at least 12 hex digits); another hash voids the approval. ``thread`` (the
        key the request was made under) names the tenant whose records hold it."""
        ...

    def rollback(self, *, request_id: str, actor: str, thread: str) -> DeployResult:
        """Take a deployment back (only the thread that deployed it may, and only an approver)."""
        ...

    def status(self, *, request_id: str, thread: str = "") -> DeployResult:
        """Where a request stands now (e.g. while it rolls out), in ``thread``'s tenant."""
        ...


class MeasureResult(Frozen):
    """Where measuring a deployment stands: started, running, measured (with the run), failed."""

    state: Literal["started", "running", "measured", "failed", "none"]
    message: str = Field(description="One line for the thread.")
    record: BenchmarkRecord | None = Field(
        default=None, description="The measured run as ingested (provenance 'observed: …')."
    )
    comparisons: tuple[MetricComparison, ...] = ()


class Measurer(Protocol):
    """Measures a ready deployment with GuideLLM and records the run (post-deployment check)."""

    def start(
        self,
        *,
        request_id: str,
        actor: str,
        thread: str,
        option: RecommendedOption,
        planned: PlannedLoad,
    ) -> MeasureResult:
        """Start a measuring run of the request's deployment (none twice at once)."""
        ...

    def outcome(
        self, *, request_id: str, option: RecommendedOption, thread: str = ""
    ) -> MeasureResult:
        """How the latest run ended; once it succeeded, the ingested run and its comparison
        (``thread``'s tenant holds the request)."""
        ...


class Follower(Protocol):
    """Keeps an eye on deployments once they are applied (the Day-2 watch)."""

    def follow(
        self,
        *,
        request_id: str,
        thread: str,
        option: RecommendedOption,
        planned: PlannedLoad,
        requirements: Requirements,
    ) -> None:
        """Start watching an applied deployment of the thread (again: no-op). Never raises."""
        ...


class FlowMetrics(Protocol):
    """Where the flow reports each handled message (``bot.adapters.metrics`` for Prometheus)."""

    def turn(
        self, *, seconds: float, before: str, after: str, outcome: str, since_start_s: float | None
    ) -> None:
        """Record one handled message.

        Args:
            seconds: How long the flow took.
            before: The thread's stage before it.
            after: The stage after it.
            outcome: ok, refused (a user-facing error), unavailable (a backend) or busy.
            since_start_s: Seconds since the thread's first message, when known.
        """
        ...


@dataclass(frozen=True)
class FlowDependencies:
    """Everything the flow needs besides its state store."""

    understander: Understander
    recommender: Recommender
    deployer: Deployer
    chart: ChartMaker | None = None
    task_defaults: Callable[[Task], TaskDefaults | None] | None = None
    metrics: FlowMetrics | None = None
    measurer: Measurer | None = None
    follower: Follower | None = None
    tracer: Tracer = NO_TRACING
