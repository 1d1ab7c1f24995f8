"""Post-deployment validation: a Kubernetes Job that runs GuideLLM against a new endpoint.

Once a deployment is ready, Preflight can measure it with the recommendation's workload shape
(prompt and answer tokens, requests in flight) using GuideLLM's container image; the Job writes
GuideLLM's JSON report and prints it to its log after :data:`REPORT_MARKER`, where
:func:`report_from_log` finds it. The report is then an ordinary ingest (GuideLLM JSON), and
:func:`compare` sets what was measured against what was predicted.

GuideLLM CLI as of PyPI ``guidellm`` 0.8.1 (``guidellm run`` with ``kind=…`` specs:
``--backend kind=openai_http,target=,model=``, ``--profile kind=concurrent,streams=``,
``--data kind=synthetic_text,prompt_tokens=,output_tokens=``, ``--tokenizer kind=hf_auto,model=``,
``--constraint kind=max_requests,count=``, ``--output kind=json,path=``; ``guidellm/cli/run.py``
and ``guidellm/schemas``); the image is GuideLLM's own (``ghcr.io/vllm-project/guidellm``,
README of github.com/vllm-project/guidellm). Every
value reaching the Job is validated here (DNS-1123 names, an http(s) URL, whole numbers) and
each argument is shell-quoted. This module builds objects only; it never talks to a cluster.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any, Literal

from pydantic import Field, field_validator

from deploy.render import Manifest
from deploy.validate import validate_object
from domain.base import Frozen
from domain.benchmarks import BenchmarkRecord
from domain.errors import InvalidInputError
from domain.recommendation import PredictedMetrics

GUIDELLM_IMAGE = "ghcr.io/vllm-project/guidellm:v0.8.1"
REPORT_MARKER = "PREFLIGHT-GUIDELLM-REPORT"
REPORT_PATH = "/results/benchmarks.json"
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_URL = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/[A-Za-z0-9._~/\-]*)?$")
_MODEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,199}$")
_PROCESSOR = re.compile(r"^/?[A-Za-z0-9][A-Za-z0-9._\-/]{0,299}$")  # a model id or a path


class MeasureWorkload(Frozen):
    """The load a validation run offers: the recommendation's shape, at its planned concurrency."""

    target: str = Field(description="Endpoint base URL (OpenAI-compatible), http or https.")
    model: str = Field(description="Model name the endpoint serves.")
    input_tokens: int = Field(ge=1, le=1_000_000, description="Prompt tokens per request.")
    output_tokens: int = Field(ge=1, le=100_000, description="Output tokens per request.")
    concurrency: int = Field(ge=1, le=4096, description="Requests in flight.")
    max_requests: int = Field(ge=1, le=1_000_000, description="Requests to send in all.")
    processor: str | None = Field(
        default=None, description="Tokenizer id or path for prompt sizes (the model's when None)."
    )

    @field_validator("target")
    @classmethod
    def _url(cls, value: str) -> str:
        if not _URL.match(value):
            raise ValueError(f"not an http(s) URL Preflight accepts: {value!r}")
        return value

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        if not _MODEL.match(value):
            raise ValueError(f"not a model id: {value!r}")
        return value

    @field_validator("processor")
    @classmethod
    def _processor(cls, value: str | None) -> str | None:
        if value is not None and not _PROCESSOR.match(value):
            raise ValueError(f"not a tokenizer id or path: {value!r}")
        return value


def guidellm_args(workload: MeasureWorkload, output_path: str = REPORT_PATH) -> list[str]:
    """The ``guidellm`` command line of a run (used by the Job and by the local test run).

    Args:
        workload: What to offer.
        output_path: Where GuideLLM writes its JSON report.

    Returns:
        Arguments after the ``guidellm`` executable.
    """
    backend = f"kind=openai_http,target={workload.target},model={workload.model}"
    data = (
        f"kind=synthetic_text,prompt_tokens={workload.input_tokens},"
        f"output_tokens={workload.output_tokens}"
    )
    return [
        "run",
        "--backend",
        backend,
        "--profile",
        f"kind=concurrent,streams={workload.concurrency}",
        "--data",
        data,
        "--tokenizer",
        f"kind=hf_auto,model={workload.processor or workload.model}",
        "--constraint",
        f"kind=max_requests,count={workload.max_requests}",
        "--output",
        f"kind=json,path={output_path}",
        "--disable-console-interactive",
    ]


def guidellm_job(
    *, name: str, namespace: str, workload: MeasureWorkload, image: str = GUIDELLM_IMAGE
) -> Manifest:
    """A Job that measures a deployment with GuideLLM and prints the report to its log.

    Args:
        name: The deployment's name (the Job is ``<name>-measure``).
        namespace: Its namespace.
        workload: The load to offer.
        image: GuideLLM's container image.

    Returns:
        The Job, validated against Kubernetes' schema.

    Raises:
        InvalidInputError: When a name is not DNS-1123 or the object does not validate.
    """
    for label, value in (("name", name), ("namespace", namespace)):
        if not _DNS1123.match(value) or len(value) > 55:
            raise InvalidInputError(f"{label} {value!r} is not a DNS-1123 label of ≤ 55 chars")
    command = " ".join(shlex.quote(arg) for arg in ["guidellm", *guidellm_args(workload)])
    script = f"{command} && echo {REPORT_MARKER} && cat {REPORT_PATH}"
    labels = {"app.kubernetes.io/name": "guidellm", "preflight.dev/measures": name}
    job: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": f"{name}-measure", "namespace": namespace, "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": 86_400,
            "activeDeadlineSeconds": 3_600,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "guidellm",
                            "image": image,
                            "command": ["/bin/sh", "-c"],
                            "args": [script],
                            "env": [{"name": "HOME", "value": "/results"}],
                            "resources": {
                                "requests": {"cpu": "1", "memory": "2Gi"},
                                "limits": {"memory": "4Gi"},
                            },
                            "volumeMounts": [{"name": "results", "mountPath": "/results"}],
                        }
                    ],
                    "volumes": [{"name": "results", "emptyDir": {}}],
                },
            },
        },
    }
    validate_object(job)
    return job


def report_from_log(log: str) -> dict[str, Any]:
    """The GuideLLM report a measuring Job printed after its marker.

    Args:
        log: The Job pod's log.

    Returns:
        The report (GuideLLM JSON).

    Raises:
        InvalidInputError: When the log holds no report (the run failed or was cut short).
    """
    _, marker, tail = log.partition(REPORT_MARKER)
    if not marker:
        raise InvalidInputError("the measuring Job's log has no GuideLLM report; see its log")
    try:
        report = json.loads(tail.strip())
    except ValueError as exc:
        raise InvalidInputError(f"the GuideLLM report in the log is not JSON: {exc}") from exc
    if not isinstance(report, dict):
        raise InvalidInputError("the GuideLLM report in the log is not a JSON object")
    return report


class MetricComparison(Frozen):
    """One metric, predicted against measured."""

    metric: str
    predicted: float
    measured: float
    verdict: Literal["inside", "faster", "slower"] = Field(
        description="Where the measurement falls against the predicted band."
    )


BAND = 0.25
"""Measured within ±25 % of the prediction counts as inside the band (the simulator's
published share within 25 % is the yardstick; README, Simulator error)."""


def compare(predicted: PredictedMetrics, measured: BenchmarkRecord) -> list[MetricComparison]:
    """Predicted against measured latency percentiles, for the metrics the run measured.

    Args:
        predicted: The option's prediction.
        measured: The record ingested from the run.

    Returns:
        One comparison per metric both sides have.
    """
    pairs = [
        ("TTFT p50", predicted.ttft_ms_p50, measured.ttft_ms_p50),
        ("TTFT p95", predicted.ttft_ms_p95, measured.ttft_ms_p95),
        ("ITL p50", predicted.itl_ms_p50, measured.itl_ms_p50),
        ("ITL p95", predicted.itl_ms_p95, measured.itl_ms_p95),
    ]
    out = []
    for metric, want, got in pairs:
        if got is None or want <= 0:
            continue
        ratio = got / want
        verdict: Literal["inside", "faster", "slower"] = (
            "inside" if abs(ratio - 1) <= BAND else "slower" if ratio > 1 else "faster"
        )
        out.append(MetricComparison(metric=metric, predicted=want, measured=got, verdict=verdict))
    return out
