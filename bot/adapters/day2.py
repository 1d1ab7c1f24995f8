"""The Day-2 watch inside ``preflight serve``: deployments from chat, polled until rolled back.

When a thread's deployment is applied (rolling out or ready) the flow hands it to
:meth:`Day2Watch.follow` (the :class:`~bot.conversation.ports.Follower` port), which keeps a
:class:`Watched` entry in the deployment records (``day2:<request id>``, listed under
``day2:deployments``), so every replica of Preflight and every restart sees the same list.
Every ``PREFLIGHT_CLUSTER__WATCH_INTERVAL_S`` seconds :meth:`Day2Watch.poll` reads each
deployment that is still there:

- its measuring run, when one ended and nobody posted it yet: predicted vs measured in its
  thread (claimed with ``measure-posted:<request id>:<run start>``);
- vLLM's own metrics through Prometheus (``deploy.prometheus_metrics``) into a
  :class:`deploy.drift_watch.DriftWatch`: one message per drift episode, posted only by the
  replica that claims ``day2:alerted:<request id>`` first; the claim is dropped on recovery, so
  the next episode is posted again.

Posting goes through ``post(thread, reply)``, which ``preflight serve`` routes to the thread's
channel. It must not hold conversation logic or know a channel.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from bot.conversation.measure_cards import drift_card
from bot.conversation.measure_steps import result_card
from bot.conversation.ports import Measurer
from bot.conversation.replies import Reply
from deploy import measure_run
from deploy.approval import DeploymentRequest
from deploy.cluster import Cluster
from deploy.drift_watch import DriftWatch, Snapshot, WatchPlan
from deploy.records import RecordStore
from domain.base import Frozen
from domain.errors import PreflightError
from domain.recommendation import PlannedLoad, RecommendedOption
from domain.requirements import Requirements, SloMetric, SloTarget

_log = logging.getLogger("preflight.day2")
LIST_KEY = "day2:deployments"
Post = Callable[[str, Reply], None]


class SnapshotSource(Protocol):
    """Where one deployment's metrics come from (``deploy.prometheus_metrics``)."""

    def snapshot(self) -> Snapshot:
        """The deployment's metrics now."""
        ...

    def close(self) -> None:
        """Release what it holds."""
        ...


class Watched(Frozen):
    """A deployment the watch follows, with what it was sized for."""

    request_id: str
    thread: str
    namespace: str
    name: str
    option: RecommendedOption
    plan: WatchPlan


def _slo(targets: Sequence[SloTarget], metric: SloMetric) -> float | None:
    found = [t.ms for t in targets if t.metric is metric and t.percentile == 95]
    return min(found) if found else None


def watch_plan(
    name: str, option: RecommendedOption, planned: PlannedLoad, requirements: Requirements
) -> WatchPlan:
    """What a deployment was sized for, as the drift watch reads it.

    Args:
        name: The deployment's name.
        option: The deployed option (replicas, GPU, precision, prediction).
        planned: The load it was sized for.
        requirements: The thread's requirements (its stated p95 targets, used when the plan
            carries none).

    Returns:
        The plan; its SLOs are the p95 targets the option was sized for, assumed ones included.
    """
    targets = planned.slo or requirements.slo
    return WatchPlan(
        deployment=name,
        replicas=option.replicas,
        gpu=option.gpu,
        precision=option.precision,
        planned_rps=planned.peak_rps,
        planned_input_tokens=planned.input_tokens,
        slo_ttft_ms_p95=_slo(targets, SloMetric.TTFT),
        slo_itl_ms_p95=_slo(targets, SloMetric.ITL),
        predicted_ttft_ms_p95=option.predicted.ttft_ms_p95,
        predicted_itl_ms_p95=option.predicted.itl_ms_p95,
    )


class Day2Watch:
    """Follows applied deployments and polls them.

    Args:
        records: The deployment records (shared by replicas when Redis).
        cluster: Where the deployments run (is one still there?).
        metrics: Opens the metrics source of a watched deployment.
        measurer: Reads measuring runs (their results are posted once), if measuring is set up.
        post: Posts a reply in a thread; logs it until ``preflight serve`` routes it.
        sustain: Polls in a row a drift (or a recovery) must last.
        records_for: The records holding a thread's requests and measuring runs (its tenant's);
            ``records`` for every thread when None. The watch list itself is in ``records``.
    """

    def __init__(
        self,
        *,
        records: RecordStore,
        cluster: Cluster,
        metrics: Callable[[Watched], SnapshotSource],
        measurer: Measurer | None = None,
        post: Post | None = None,
        sustain: int = 3,
        records_for: Callable[[str], RecordStore] | None = None,
    ) -> None:
        self._records = records
        self._records_for = records_for or (lambda _thread: records)
        self._cluster = cluster
        self._metrics = metrics
        self._measurer = measurer
        self.post: Post = post or _log_post
        self._sustain = sustain
        self._watches: dict[str, DriftWatch] = {}
        self._sources: dict[str, SnapshotSource] = {}

    def follow(
        self,
        *,
        request_id: str,
        thread: str,
        option: RecommendedOption,
        planned: PlannedLoad,
        requirements: Requirements,
    ) -> None:
        """Start watching an applied deployment (see the port); a second call changes nothing."""
        try:
            raw = self._records_for(thread).get(f"request:{request_id}")
            namespace, name = _target(raw, request_id)
            entry = Watched(
                request_id=request_id,
                thread=thread,
                namespace=namespace,
                name=name,
                option=option,
                plan=watch_plan(name, option, planned, requirements),
            )
            if self._records.put(
                f"day2:{request_id}", entry.model_dump_json(), only_if_absent=True
            ):
                self._records.append(LIST_KEY, request_id)
        except (PreflightError, ValueError) as exc:
            _log.warning("Day-2 watch cannot follow %s: %s", request_id, exc)

    def watched(self) -> list[Watched]:
        """The deployments followed, oldest first.

        Returns:
            Their entries.
        """
        ids = dict.fromkeys(self._records.items(LIST_KEY))
        raws = [self._records.get(f"day2:{rid}") for rid in ids]
        return [Watched.model_validate_json(raw) for raw in raws if raw]

    def poll(self) -> int:
        """One round over every followed deployment that is still there.

        Returns:
            Messages posted.
        """
        posted = 0
        for entry in self.watched():
            try:
                if not self._cluster.status(namespace=entry.namespace, name=entry.name).exists:
                    continue
                posted += self._measured(entry) + self._drift(entry)
            except PreflightError as exc:
                _log.warning("Day-2 watch skipped %s: %s", entry.name, exc)
        return posted

    def _measured(self, entry: Watched) -> int:
        if self._measurer is None:
            return 0
        raw = self._records_for(entry.thread).get(measure_run.key(entry.request_id))
        if raw is None:
            return 0
        run = measure_run.MeasureRun.model_validate_json(raw)
        claim = f"measure-posted:{entry.request_id}:{run.started_at.isoformat()}"
        if self._records.get(claim) is not None:
            return 0
        result = self._measurer.outcome(
            request_id=entry.request_id, option=entry.option, thread=entry.thread
        )
        if result.state not in ("measured", "failed"):
            return 0
        if not self._records.put(claim, result.state, only_if_absent=True):
            return 0
        self.post(entry.thread, result_card(result, entry.option))
        return 1

    def _drift(self, entry: Watched) -> int:
        rid = entry.request_id
        if rid not in self._sources:
            self._sources[rid] = self._metrics(entry)
        watch = self._watches.setdefault(
            rid, DriftWatch(entry.plan, post=_unposted, sustain=self._sustain)
        )
        was = watch.alerted
        drift = watch.observe(self._sources[rid].snapshot())
        if was and not watch.alerted:
            self._records.delete(f"day2:alerted:{rid}")  # recovered: the next episode posts
        if drift and self._records.put(f"day2:alerted:{rid}", drift.message, only_if_absent=True):
            self.post(entry.thread, drift_card(drift.message))
            return 1
        return 0

    def run(self, stop: threading.Event, *, interval_s: float) -> None:
        """Poll every ``interval_s`` seconds until ``stop`` is set (a thread's target).

        Args:
            stop: Set to end the loop.
            interval_s: Seconds between rounds.
        """
        while not stop.wait(interval_s):
            try:
                self.poll()
            except PreflightError as exc:  # the records store is down: try next round
                _log.warning("Day-2 watch round failed: %s", exc)
        for source in self._sources.values():
            source.close()


def _target(raw: str | None, request_id: str) -> tuple[str, str]:
    if raw is None:
        raise ValueError(f"no deployment request {request_id}")
    request = DeploymentRequest.model_validate_json(raw)
    return request.namespace, request.name


def _unposted(message: str) -> None:
    """DriftWatch's own post: the watch posts the returned drift once it holds the claim."""


def _log_post(thread: str, reply: Reply) -> None:
    _log.info("Day-2 watch for %s: %s", thread, reply.summary_text())
