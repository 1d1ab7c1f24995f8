"""The flow's :class:`~bot.conversation.ports.Measurer`: GuideLLM runs of ready deployments.

Starting a run goes through :mod:`deploy.measure_run` (the Job, applied through the cluster port
of the settings: dry-run folder or the Kubernetes API). Once the Job ended, its report (GuideLLM
JSON in its log) is ingested with provenance "observed: CLUSTER/NAMESPACE/DEPLOYMENT/TIME" by
``preflight ingest --observed`` in a subprocess (``bot`` may not import ``ingest``; an
import-linter contract), into the data directory the next ``simulate calibrate`` reads, and set
against the deployed option's prediction. Asking again reuses the ingested run (found by its
provenance), so every replica answers the same and nothing is ingested twice.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.conversation.ports import MeasureResult
from bot.deploy_wiring import TenantServices
from bot.settings import Settings
from deploy import measure_run
from deploy.measure_job import compare, report_from_log
from domain.benchmarks import BenchmarkRecord
from domain.errors import BackendUnavailableError, InvalidInputError
from domain.recommendation import PlannedLoad, RecommendedOption
from knowledge.records import load_records

if TYPE_CHECKING:
    from deploy.service import DeploymentService

Ingest = Callable[[Sequence[str]], None]
"""Runs ``preflight ingest`` with these arguments (raises when it fails)."""

INGEST_TIMEOUT_S = 300


def ingest_subprocess(args: Sequence[str]) -> None:
    """``preflight ingest ARGS`` with this interpreter, in a child process.

    Args:
        args: The arguments after ``ingest``.

    Raises:
        InvalidInputError: When the ingest refuses the report (exit 2).
        BackendUnavailableError: When it fails otherwise.
    """
    code = "from bot.cli.app import main; main()"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, "ingest", *args],
            capture_output=True,
            text=True,
            timeout=INGEST_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackendUnavailableError("ingest", str(exc)) from exc
    if done.returncode == 2:
        raise InvalidInputError(f"the GuideLLM report was refused: {done.stderr.strip()[-300:]}")
    if done.returncode != 0:
        raise BackendUnavailableError("ingest", done.stderr.strip()[-300:] or "failed")


class ServiceMeasurer:
    """Measures deployments of the deployment service.

    Args:
        service: The deployment service (cluster, records, audit).
        settings: Preflight's settings (data directory, cluster name, GuideLLM image).
        ingest: How ``preflight ingest`` runs (a subprocess by default).
    """

    def __init__(
        self,
        service: DeploymentService,
        *,
        settings: Settings,
        ingest: Ingest = ingest_subprocess,
    ) -> None:
        self._services = TenantServices(settings, shared=service)
        self._settings = settings
        self._ingest = ingest

    @property
    def _cluster_name(self) -> str:
        cluster = self._settings.cluster
        return cluster.name or cluster.context or cluster.mode

    def start(
        self,
        *,
        request_id: str,
        actor: str,
        thread: str,
        option: RecommendedOption,
        planned: PlannedLoad,
    ) -> MeasureResult:
        """Start GuideLLM's Job against the request's deployment (see the port)."""
        service = self._services.for_thread(thread)
        request = service.get_request(request_id)
        ns, name = request.namespace, request.name
        found = service.cluster.status(namespace=ns, name=name)
        if not found.ready:
            return MeasureResult(state="none", message=f"{ns}/{name} is not ready; measure later.")
        target = measure_run.endpoint_of(found, namespace=ns, name=name)
        workload = measure_run.workload_for(option, planned, target=target)
        run, new = measure_run.start(
            service,
            request_id=request_id,
            namespace=ns,
            name=name,
            workload=workload,
            cluster_name=self._cluster_name,
            actor=actor,
            thread_id=thread,
            image=self._settings.cluster.guidellm_image,
        )
        if not new:
            return MeasureResult(state="running", message=f"Already measuring {ns}/{name}.")
        return MeasureResult(
            state="started",
            message=(
                f"Measuring {ns}/{name} with GuideLLM (Job {run.job}): {workload.concurrency} "
                f"requests in flight, {workload.max_requests} requests of "
                f"{workload.input_tokens:,} + {workload.output_tokens:,} tokens. Say “measure "
                "status” to see how it went."
            ),
        )

    def outcome(
        self, *, request_id: str, option: RecommendedOption, thread: str = ""
    ) -> MeasureResult:
        """How the latest run ended, with the ingested run and its comparison (see the port)."""
        service = self._services.for_thread(thread)
        run = measure_run.current(service, request_id)
        if run is None:
            return MeasureResult(state="none", message="Not measured yet: say “measure”.")
        job = measure_run.outcome(service, run)
        where = f"{run.namespace}/{run.deployment}"
        if job.state == "running":
            return MeasureResult(state="running", message=f"Still measuring {where}: {job.detail}.")
        if job.state != "succeeded":
            why = "its Job is gone" if job.state == "absent" else f"its Job failed ({job.detail})"
            return MeasureResult(state="failed", message=f"Measuring {where} failed: {why}.")
        try:
            record = self._recorded(run, option) or self._ingested(run, option, job.log)
        except InvalidInputError as exc:
            return MeasureResult(state="failed", message=f"Measuring {where} failed: {exc}")
        return MeasureResult(
            state="measured",
            message=f"Measured {where}.",
            record=record,
            comparisons=tuple(compare(option.predicted, record)),
        )

    def _recorded(
        self, run: measure_run.MeasureRun, option: RecommendedOption
    ) -> BenchmarkRecord | None:
        wanted = f"observed: {run.observed}"
        found = [
            r
            for r in load_records(self._settings.data_dir)
            if r.provenance.source_path == wanted and r.model == option.model
        ]
        return found[0] if found else None

    def _ingested(
        self, run: measure_run.MeasureRun, option: RecommendedOption, log: str
    ) -> BenchmarkRecord:
        report = report_from_log(log)
        with tempfile.TemporaryDirectory(prefix="preflight-measure-") as folder:
            path = Path(folder) / f"{run.job}.json"
            path.write_text(json.dumps(report))
            self._ingest(
                [
                    str(path),
                    "--format=guidellm",
                    f"--gpu={option.gpu}",
                    f"--gpu-count={option.total_gpus // option.replicas}",
                    f"--tp={option.tensor_parallel}",
                    f"--precision={option.precision}",
                    f"--model={option.model}",
                    f"--engine-version={option.predicted.engine_version.partition(' ')[2]}",
                    f"--observed={run.observed}",
                    "--source-id=observed",
                    f"--data-dir={self._settings.data_dir}",
                    "--json",
                ]
            )
        record = self._recorded(run, option)
        if record is None:
            raise InvalidInputError("the GuideLLM report held no run Preflight could read")
        return record
