"""Preflight's own Prometheus metrics: the flow's :class:`~bot.conversation.ports.FlowMetrics`.

Exposed at ``GET /metrics`` by ``preflight serve`` (text exposition format). From the stage
each message moves a thread between, it counts the seed's success metrics, so PromQL gives the
rates:

* ``preflight_conversations_started_total`` — threads whose first message was handled;
* ``preflight_recommendations_total`` — threads that reached a recommendation (completion rate =
  this / started);
* ``preflight_deploy_requests_total`` — recommendations a team asked to deploy (acceptance rate
  = this / recommendations);
* ``preflight_deployments_total{result="deployed"|"failed"}`` — deployment success rate;
* ``preflight_first_message_to_deploy_seconds`` — histogram, first message → deployed;
* ``preflight_turn_seconds`` — histogram of the flow's time per message;
* ``preflight_turn_errors_total{kind}`` — refused, unavailable (a backend), busy;
* ``preflight_inbox_jobs{state}`` — the queue depth, read from the durable inbox at each scrape
  (shared by every replica on Redis, so any replica's figure is the fleet's): ``queued`` are
  acknowledged messages waiting for a worker or in a worker's hands, ``parked`` thread replies
  waiting for their thread's mention. Absent from a scrape while the inbox cannot be read.

Each instance has its own registry, so tests and several servers in one process do not mix.
This is the only module that imports ``prometheus_client``. Labels never carry chat text, user
or thread ids.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from bot.conversation.inbox import Inbox
from domain.errors import BackendUnavailableError

_RECOMMENDED = {"exploring", "confirming"}
_TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
_DEPLOY_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0, 7 * 24 * 3600.0)


class PrometheusMetrics:
    """The flow's metrics in a Prometheus registry of their own."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self._started = Counter(
            "preflight_conversations_started",
            "Threads whose first message was handled.",
            registry=r,
        )
        self._recommended = Counter(
            "preflight_recommendations", "Threads that reached a recommendation.", registry=r
        )
        self._requested = Counter(
            "preflight_deploy_requests", "Recommendations a team asked to deploy.", registry=r
        )
        self._deployed = Counter(
            "preflight_deployments", "Deployments by result.", ["result"], registry=r
        )
        self._to_deploy = Histogram(
            "preflight_first_message_to_deploy_seconds",
            "Time from a thread's first message to its deployment.",
            buckets=_DEPLOY_BUCKETS,
            registry=r,
        )
        self._turn = Histogram(
            "preflight_turn_seconds", "Flow time per message.", buckets=_TURN_BUCKETS, registry=r
        )
        self._errors = Counter(
            "preflight_turn_errors", "Messages not handled normally, by kind.", ["kind"], registry=r
        )

    def turn(
        self, *, seconds: float, before: str, after: str, outcome: str, since_start_s: float | None
    ) -> None:
        """Record one handled message (see :class:`~bot.conversation.ports.FlowMetrics`)."""
        self._turn.observe(seconds)
        if outcome != "ok":
            self._errors.labels(kind=outcome).inc()
            return
        if before == "collecting" and since_start_s is not None and since_start_s < seconds + 1:
            self._started.inc()
        if after in _RECOMMENDED and before not in _RECOMMENDED | {"awaiting_approval"}:
            self._recommended.inc()
        if after == "awaiting_approval" and before == "confirming":
            self._requested.inc()
        if after in ("deployed", "failed") and before not in ("deployed", "failed"):
            self._deployed.labels(result=after).inc()
            if after == "deployed" and since_start_s is not None:
                self._to_deploy.observe(since_start_s)

    def watch_inbox(self, inbox: Inbox) -> None:
        """Export the inbox's depth as ``preflight_inbox_jobs`` (read at each scrape).

        Args:
            inbox: The durable inbox the channel's workers drain.
        """
        self.registry.register(_InboxDepth(inbox))

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format.

        Returns:
            The body for ``GET /metrics``.
        """
        return generate_latest(self.registry)


class _InboxDepth(Collector):
    """``preflight_inbox_jobs{state}``, read from the inbox when scraped."""

    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox

    def collect(self) -> Iterator[Metric]:
        try:
            queued, parked = self._inbox.depth(), self._inbox.parked()
        except BackendUnavailableError:
            return  # no figure rather than a wrong one; the readiness check says why
        family = GaugeMetricFamily(
            "preflight_inbox_jobs",
            "Acknowledged chat messages not yet answered: queued (waiting for a worker or in "
            "one's hands) and parked (thread replies waiting for their thread's mention).",
            labels=["state"],
        )
        family.add_metric(["queued"], queued)
        family.add_metric(["parked"], parked)
        yield family
