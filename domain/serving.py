"""How a model is served (configuration, offered load) and what the simulator predicts for it."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from domain.base import Frozen


class Precision(StrEnum):
    """Weight precision of a served model."""

    BF16 = "bf16"
    FP16 = "fp16"
    FP8 = "fp8"
    INT8 = "int8"
    INT4 = "int4"
    FP4 = "fp4"

    @property
    def bytes_per_param(self) -> float:
        """Bytes one weight takes in memory."""
        return {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5, "fp4": 0.5}[
            self.value
        ]


class ServingTechniques(Frozen):
    """What one replica does beyond one engine on ``tensor_parallel`` GPUs (defaults: nothing).

    Expert parallelism with data-parallel attention spreads a MoE model's routed experts over
    the replica's GPUs and runs attention per GPU on its own sequences (vLLM
    ``--data-parallel-size`` with ``--enable-expert-parallel``); speculative decoding drafts
    tokens that one step of the model verifies, the accepted share an input with its source;
    a disaggregated replica decodes only, its prompts prefilled on a separate pool.
    """

    expert_parallel: int = Field(
        default=1, ge=1, le=72, description="GPUs the routed experts spread over (1: none)."
    )
    dp_attention: bool = Field(
        default=False, description="Attention runs data-parallel, one rank per GPU."
    )
    speculative: Literal["", "mtp", "eagle", "ngram"] = Field(
        default="", description="Speculative decoding method; empty for plain decoding."
    )
    draft_tokens: int = Field(default=1, ge=1, le=16, description="Tokens drafted per step.")
    acceptance: float = Field(
        default=0.0, ge=0, lt=1, description="Probability that one drafted token is accepted."
    )
    acceptance_source: str = Field(default="", description="Where the acceptance rate comes from.")
    prefill_tensor_parallel: int = Field(
        default=0, ge=0, le=64, description="GPUs per prefill replica (0: not disaggregated)."
    )
    prefill_per_decode: float = Field(
        default=0.0, ge=0, le=16, description="Prefill replicas per decode replica."
    )

    @property
    def disaggregated(self) -> bool:
        """Whether prompts run on a separate prefill pool."""
        return self.prefill_tensor_parallel > 0 and self.prefill_per_decode > 0

    @property
    def plain(self) -> bool:
        """Whether the replica uses none of the techniques."""
        return self == ServingTechniques()


class ServingConfig(Frozen):
    """One replica's serving configuration (vLLM semantics)."""

    model: str = Field(description="Model catalog id.")
    gpu: str = Field(description="GPU catalog name.")
    precision: Precision = Field(default=Precision.BF16, description="Weight precision.")
    tensor_parallel: int = Field(default=1, ge=1, le=64, description="GPUs per replica.")
    engine: str = Field(default="vllm", description="Serving engine the estimate is for.")
    kv_cache_dtype: Literal["auto", "fp8"] = Field(default="auto", description="KV-cache dtype.")
    max_model_len: int | None = Field(default=None, ge=1, description="Context ceiling, tokens.")
    max_num_seqs: int = Field(default=256, ge=1, description="Sequences batched at most.")
    max_num_batched_tokens: int = Field(default=8192, ge=1, description="Tokens per step at most.")
    gpu_memory_utilization: float = Field(default=0.9, gt=0, le=1, description="HBM share used.")
    techniques: ServingTechniques = Field(
        default_factory=ServingTechniques,
        description="Expert/data parallelism, speculative decoding, disaggregation.",
    )


class LoadKind(StrEnum):
    """How load is offered to a replica."""

    BATCH = "batch"  # a static batch submitted at once
    CONCURRENCY = "concurrency"  # closed loop, this many requests in flight
    RATE = "rate"  # open-loop Poisson arrivals, requests per second


class Workload(Frozen):
    """Offered load and token shapes."""

    input_tokens: int = Field(ge=1, description="Mean prompt tokens per request.")
    output_tokens: int = Field(ge=1, description="Mean output tokens per request.")
    kind: LoadKind = Field(description="batch, concurrency or rate.")
    value: float = Field(gt=0, description="Batch size, concurrency or requests/s.")
    length_cv: float = Field(
        default=0.0, ge=0, description="Coefficient of variation of token lengths (0 = fixed)."
    )


class Percentiles(Frozen):
    """A latency distribution summary, ms."""

    p50: float
    p90: float
    p95: float
    p99: float

    def at(self, percentile: int) -> float:
        """Return the value at one of the four percentiles.

        Args:
            percentile: 50, 90, 95 or 99.

        Returns:
            The latency at that percentile, ms.
        """
        return {50: self.p50, 90: self.p90, 95: self.p95, 99: self.p99}[percentile]


class CalibrationBasis(StrEnum):
    """What the efficiency factors behind an estimate were fitted on."""

    MEASURED_GPU = "gpu"  # records of this engine on this GPU
    FAMILY = "family"  # records of this engine on the GPU's family
    ENGINE = "engine"  # records of this engine on any GPU
    SPEC_SHEET = "spec_sheet"  # no records: datasheet figures and default efficiencies


class MemoryFit(Frozen):
    """Whether a configuration fits in GPU memory, and what room it leaves for the KV cache."""

    fits: bool
    weights_gib: float = Field(description="Weights per GPU, GiB.")
    overhead_gib: float = Field(description="Activations, CUDA graphs, runtime, per GPU, GiB.")
    kv_cache_gib: float = Field(description="Left for the KV cache per GPU, GiB (may be < 0).")
    usable_gib: float = Field(description="GPU memory × gpu_memory_utilization, per GPU, GiB.")
    kv_bytes_per_token: float = Field(description="KV cache per token across the replica, bytes.")
    kv_capacity_tokens: int = Field(description="Tokens the KV cache holds for the replica.")
    max_sequences: int = Field(description="Sequences of max_model_len that fit at once.")
    reason: str = Field(default="", description="'does not fit: needs X GiB, has Y GiB' when not.")


class PerformanceEstimate(Frozen):
    """What the simulator predicts for one replica under a workload."""

    ttft_ms: Percentiles
    itl_ms: Percentiles
    e2e_ms: Percentiles
    output_tok_per_s: float = Field(description="Output tokens/s of the replica.")
    total_tok_per_s: float = Field(description="Prompt + output tokens/s of the replica.")
    req_per_s: float = Field(description="Completed requests/s of the replica.")
    kv_cache_usage: float = Field(default=0.0, description="Peak KV-cache share in use, 0-1.")
    method: Literal["analytical", "simulated"] = Field(description="Which path produced it.")
    basis: CalibrationBasis = Field(description="What the efficiencies were fitted on.")
    basis_detail: str = Field(default="", description="E.g. 'vllm × H100: 412 records'.")
    notes: tuple[str, ...] = Field(default=(), description="Caveats a person should read.")
    engine_basis: str = Field(
        default="",
        description="Engine and version band the calibration rests on, e.g. 'vllm 0.10+'.",
    )
    engine_version: str = Field(
        default="",
        description="Engine and version the prediction is for (the image to deploy), e.g. "
        "'vllm 0.11.0'; empty when not known.",
    )
    intervals: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="80 % interval (low, high) per field, e.g. 'itl_ms_p95' or "
        "'output_tok_per_s', from held-out residuals of the basis; empty when none is known.",
    )
