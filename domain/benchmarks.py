"""Measured serving runs (benchmark records) and deployment patterns written by the team."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from domain.base import Frozen
from domain.catalog import Provenance
from domain.requirements import Task


class LoadType(StrEnum):
    """How load was offered in a measurement."""

    OFFLINE = "offline"  # a static batch of load_value requests at once (or unbounded)
    CONCURRENCY = "concurrency"  # a closed loop with load_value requests in flight
    RATE = "rate"  # open-loop Poisson arrivals at load_value requests per second


class BenchmarkRecord(Frozen):
    """One measured serving run. Times in ms; throughputs for the whole deployment."""

    id: str = Field(description="Content hash of the measured fields; stable across re-ingests.")
    provenance: Provenance = Field(description="Source id, source path and commit.")
    model: str = Field(description="Model id as measured (joins the model catalog).")
    params_b: float | None = Field(default=None, description="Parameters, billions.")
    precision: str = Field(description="Normalised precision: fp16, bf16, fp8, fp4, int8, int4.")
    precision_raw: str = Field(default="", description="Precision as the source wrote it.")
    engine: str = Field(description="Serving engine: vllm, trtllm, deepspeed-mii ...")
    engine_version: str = Field(default="", description="Engine version as reported.")
    gpu: str = Field(description="GPU catalog name.")
    gpu_count: int = Field(ge=1, description="GPUs in the measured deployment.")
    tensor_parallel: int | None = Field(default=None, ge=1, description="Tensor-parallel size.")
    input_tokens: float | None = Field(default=None, description="Prompt tokens per request.")
    output_tokens: float | None = Field(default=None, description="Output tokens per request.")
    load_type: LoadType = Field(description="offline, concurrency or rate.")
    load_value: float | None = Field(
        default=None, description="Batch size, concurrency or req/s; None for unbounded."
    )
    ttft_ms_p50: float | None = None
    ttft_ms_p95: float | None = None
    ttft_ms_p99: float | None = None
    ttft_ms_mean: float | None = None
    itl_ms_p50: float | None = None
    itl_ms_p95: float | None = None
    itl_ms_mean: float | None = None
    e2e_ms_p50: float | None = None
    e2e_ms_p95: float | None = None
    e2e_ms_mean: float | None = None
    output_tok_per_s: float | None = Field(default=None, description="Output tokens/s, all GPUs.")
    total_tok_per_s: float | None = Field(default=None, description="In+out tokens/s, all GPUs.")
    req_per_s: float | None = Field(default=None, description="Requests/s, all GPUs.")
    notes: str = Field(default="", description="Source notes, starting with src=<path>.")
    flagged: bool = Field(
        default=False,
        description="Notes start with WARNING/SUSPECT/CHECK: keep out of calibration.",
    )


class DeploymentPattern(Frozen):
    """A deployment the team has written up: what works for a task at a scale, and why."""

    id: str = Field(description="Stable slug, e.g. 'chat-8b-h100-fp8'.")
    title: str = Field(description="One line a person reads in a card.")
    task: Task = Field(description="The task it serves.")
    scale: str = Field(description="The load it was sized for, in words and numbers.")
    model: str = Field(description="Catalog id of the model.")
    gpu: str = Field(description="GPU catalog name.")
    tensor_parallel: int = Field(default=1, ge=1)
    precision: str = Field(default="bf16")
    serving_args: dict[str, str] = Field(default_factory=dict, description="vLLM arguments.")
    autoscaling: str = Field(default="", description="How it scales, on which metrics.")
    watch: tuple[str, ...] = Field(default=(), description="What to watch once it runs.")
    pitfalls: tuple[str, ...] = Field(
        default=(), description="What goes wrong and how to avoid it."
    )
    rests_on: tuple[str, ...] = Field(
        default=(), description="Benchmark record ids or documents it rests on."
    )
    body: str = Field(default="", description="The whole write-up, Markdown.")
