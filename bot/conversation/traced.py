"""The flow's dependencies wrapped in spans (``bot.conversation.tracing``): understanding, the
recommender and the deploy steps, each a child span of the turn that calls it. The flow wraps its
dependencies with :func:`traced` when it is given a tracer.

Attributes are counts, ids, the task, the GPU and outcomes; never text. It must not import an
SDK.
"""

from __future__ import annotations

import dataclasses

from bot.conversation.ports import (
    Deployer,
    DeployResult,
    FlowDependencies,
    Recommender,
    Understander,
    Understanding,
)
from bot.conversation.thread_state import Pin
from bot.conversation.tracing import NoTracing, Span, Tracer
from domain.recommendation import Recommendation, RecommendedOption
from domain.requirements import Requirements


def traced(deps: FlowDependencies) -> FlowDependencies:
    """``deps`` with understanding, the recommender and the deployer in spans of its tracer
    (unchanged when tracing is off).

    Args:
        deps: The flow's dependencies.

    Returns:
        The dependencies to use.
    """
    tracer = deps.tracer
    if isinstance(tracer, NoTracing):
        return deps
    return dataclasses.replace(
        deps,
        understander=TracedUnderstander(deps.understander, tracer),
        recommender=TracedRecommender(deps.recommender, tracer),
        deployer=TracedDeployer(deps.deployer, tracer),
    )


class TracedUnderstander:
    """An :class:`~bot.conversation.ports.Understander` whose calls are ``preflight.understand``
    spans noting how many fields the message stated.

    Args:
        inner: The understander.
        tracer: The tracer.
    """

    def __init__(self, inner: Understander, tracer: Tracer) -> None:
        self._inner = inner
        self._tracer = tracer

    def message(self, text: str) -> Understanding:
        """Understand one message (see the port)."""
        with self._tracer.span("preflight.understand") as span:
            understood = self._inner.message(text)
            span.note("preflight.stated_fields", len(understood.stated))
            span.note("preflight.unplaced_names", len(understood.unplaced))
            return understood

    def merge(self, text: str, *, previous: Requirements) -> Requirements:
        """Apply a message to earlier requirements (see the port)."""
        with self._tracer.span("preflight.understand", {"preflight.merge": True}):
            return self._inner.merge(text, previous=previous)


class TracedRecommender:
    """A :class:`~bot.conversation.ports.Recommender` whose calls are ``preflight.recommend``
    spans noting the task, whether anything fits and how many options were offered.

    Args:
        inner: The recommender.
        tracer: The tracer.
    """

    def __init__(self, inner: Recommender, tracer: Tracer) -> None:
        self._inner = inner
        self._tracer = tracer

    def __call__(self, requirements: Requirements, *, pin: Pin, thread: str = "") -> Recommendation:
        """Recommend (see the port)."""
        task = requirements.task.value if requirements.task is not None else "unknown"
        with self._tracer.span("preflight.recommend", {"preflight.task": task}) as span:
            answer = self._inner(requirements, pin=pin, thread=thread)
            span.note("preflight.feasible", answer.feasible)
            span.note("preflight.options", len(answer.options))
            return answer


class TracedDeployer:
    """A :class:`~bot.conversation.ports.Deployer` whose steps are ``preflight.deploy.*`` spans
    noting the request id and the status each step ended in.

    Args:
        inner: The deployer.
        tracer: The tracer.
    """

    def __init__(self, inner: Deployer, tracer: Tracer) -> None:
        self._inner = inner
        self._tracer = tracer

    def request(
        self,
        *,
        thread: str,
        requester: str,
        option: RecommendedOption,
        requirements: Requirements,
    ) -> DeployResult:
        """Ask for a deployment (see the port)."""
        with self._tracer.span("preflight.deploy.request", {"preflight.gpu": option.gpu}) as span:
            result = self._inner.request(
                thread=thread, requester=requester, option=option, requirements=requirements
            )
            return _noted(span, result)

    def approve(
        self, *, request_id: str, approver: str, seen_hash: str, thread: str = ""
    ) -> DeployResult:
        """Approve and apply (see the port)."""
        with self._tracer.span(
            "preflight.deploy.approve", {"preflight.request": request_id}
        ) as span:
            result = self._inner.approve(
                request_id=request_id, approver=approver, seen_hash=seen_hash, thread=thread
            )
            return _noted(span, result)

    def rollback(self, *, request_id: str, actor: str, thread: str) -> DeployResult:
        """Take a deployment back (see the port)."""
        with self._tracer.span(
            "preflight.deploy.rollback", {"preflight.request": request_id}
        ) as span:
            return _noted(
                span, self._inner.rollback(request_id=request_id, actor=actor, thread=thread)
            )

    def status(self, *, request_id: str, thread: str = "") -> DeployResult:
        """Where a request stands (see the port)."""
        with self._tracer.span(
            "preflight.deploy.status", {"preflight.request": request_id}
        ) as span:
            return _noted(span, self._inner.status(request_id=request_id, thread=thread))


def _noted(span: Span, result: DeployResult) -> DeployResult:
    span.note("preflight.request", result.request_id)
    span.note("preflight.deploy_status", result.status.value)
    return result
