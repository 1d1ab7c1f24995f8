"""Measure a ready deployment: start GuideLLM's Job through the cluster port, read how it ended.

:func:`start` renders the Job (:func:`deploy.measure_job.guidellm_job`) with the workload the
recommendation was sized for (:func:`workload_for`), applies it through the cluster port and
keeps a :class:`MeasureRun` in the deployment records (``measure:<request id>``), so any replica
of Preflight can read it back; a run still going is never started twice, and a new run replaces
an ended one (its Job is deleted first: a Job's pod template cannot be changed in place).
:func:`outcome` reads the Job's state and, once it ended, its log (the GuideLLM report after
:data:`deploy.measure_job.REPORT_MARKER`). Ingesting the report and comparing it with the
prediction is the caller's (``bot.adapters.measurer``). This module must not import an SDK.
"""

from __future__ import annotations

import math
from datetime import datetime

from pydantic import Field

from deploy.audit import AuditAction
from deploy.cluster import DeploymentStatus, JobOutcome
from deploy.measure_job import GUIDELLM_IMAGE, MeasureWorkload, guidellm_job
from deploy.ports import DeployPorts
from domain.base import Frozen
from domain.recommendation import PlannedLoad, RecommendedOption

ROUNDS = 20
"""Requests each stream sends (a team assumption: enough for a stable p95 at a few minutes of
load); at least :data:`MIN_REQUESTS` and at most :data:`MAX_REQUESTS` in all."""
MIN_REQUESTS = 50
MAX_REQUESTS = 2_000


class MeasureRun(Frozen):
    """One measuring run of a deployment, as kept in the deployment records."""

    request_id: str
    namespace: str
    deployment: str
    job: str
    observed: str = Field(description="CLUSTER/NAMESPACE/DEPLOYMENT/TIME, the run's provenance.")
    started_at: datetime
    workload: MeasureWorkload
    thread_id: str = ""


def key(request_id: str) -> str:
    """The records key a request's measuring run is kept under.

    Args:
        request_id: The deployment request.

    Returns:
        ``measure:<request id>``.
    """
    return f"measure:{request_id}"


def endpoint_of(status: DeploymentStatus, *, namespace: str, name: str) -> str:
    """Where the Job sends its requests: the service's URL, else its in-cluster predictor.

    KServe names a raw deployment's predictor Service ``<name>-predictor`` (KServe docs,
    "Raw Deployment"); from inside the cluster it answers on port 80.

    Args:
        status: The deployment's status (its ``url`` when KServe reports one).
        namespace: Its namespace.
        name: Its name.

    Returns:
        An http(s) base URL.
    """
    return status.url or f"http://{name}-predictor.{namespace}.svc.cluster.local"


def workload_for(
    option: RecommendedOption, planned: PlannedLoad, *, target: str
) -> MeasureWorkload:
    """The load a measuring run offers: the planned token shape at the planned concurrency.

    Requests in flight follow Little's law from the planned peak rate and the predicted
    end-to-end p50 (at least one).

    Args:
        option: The deployed option (its model and prediction).
        planned: The load it was sized for.
        target: The endpoint's base URL.

    Returns:
        The workload.
    """
    e2e_s = (option.predicted.e2e_ms_p50 or option.predicted.e2e_ms_p95) / 1000
    concurrency = max(1, math.ceil(planned.peak_rps * e2e_s))
    return MeasureWorkload(
        target=target,
        model=option.model,
        input_tokens=planned.input_tokens,
        output_tokens=planned.output_tokens,
        concurrency=min(concurrency, 4096),
        max_requests=min(MAX_REQUESTS, max(MIN_REQUESTS, concurrency * ROUNDS)),
    )


def current(ports: DeployPorts, request_id: str) -> MeasureRun | None:
    """The request's latest measuring run, if one was started.

    Args:
        ports: The deployment ports (its records).
        request_id: The deployment request.

    Returns:
        The run, or None.
    """
    raw = ports.records.get(key(request_id))
    return MeasureRun.model_validate_json(raw) if raw else None


def start(
    ports: DeployPorts,
    *,
    request_id: str,
    namespace: str,
    name: str,
    workload: MeasureWorkload,
    cluster_name: str,
    actor: str,
    thread_id: str = "",
    image: str = GUIDELLM_IMAGE,
) -> tuple[MeasureRun, bool]:
    """Start a measuring run unless one is still going.

    Args:
        ports: The deployment ports (cluster, records, audit, clock).
        request_id: The deployment request measured.
        namespace: The deployment's namespace.
        name: The deployment's name.
        workload: The load to offer.
        cluster_name: The cluster's name in the run's provenance.
        actor: Who asked (audited).
        thread_id: The conversation thread (audited).
        image: GuideLLM's container image.

    Returns:
        The run, and whether this call started it (False: one was already running).

    Raises:
        InvalidInputError: When the Job does not validate.
        BackendUnavailableError: When the cluster does not answer.
    """
    job = guidellm_job(name=name, namespace=namespace, workload=workload, image=image)
    job_name = job["metadata"]["name"]
    running = current(ports, request_id)
    if running is not None:
        if ports.cluster.job_outcome(namespace=namespace, name=job_name).state == "running":
            return running, False
        ports.cluster.delete(manifests=[job])
    now = ports.clock()
    run = MeasureRun(
        request_id=request_id,
        namespace=namespace,
        deployment=name,
        job=job_name,
        observed=f"{cluster_name}/{namespace}/{name}/{now.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        started_at=now,
        workload=workload,
        thread_id=thread_id,
    )
    ports.cluster.apply(manifests=[job], dry_run=False)
    ports.records.put(key(request_id), run.model_dump_json())
    ports.record(
        AuditAction.MEASURE,
        actor=actor,
        target=f"{namespace}/{name}",
        result="started",
        request_id=request_id,
        thread_id=thread_id,
        detail=f"Job {job_name}: {workload.concurrency} in flight, {workload.max_requests} "
        f"requests of {workload.input_tokens}+{workload.output_tokens} tokens",
    )
    return run, True


def outcome(ports: DeployPorts, run: MeasureRun) -> JobOutcome:
    """How the run's Job is doing (with its log once it ended).

    Args:
        ports: The deployment ports (the cluster).
        run: The run.

    Returns:
        The Job's outcome.

    Raises:
        BackendUnavailableError: When the cluster does not answer.
    """
    return ports.cluster.job_outcome(namespace=run.namespace, name=run.job)
