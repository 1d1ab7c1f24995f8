"""Catalog facts: model architectures and GPUs, each with where it comes from."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from domain.base import Frozen
from domain.registry import RegistryOrigin
from domain.requirements import GpuFamily, Task


class Provenance(Frozen):
    """Where a fact or measurement comes from."""

    source_id: str = Field(description="Short id of the source, e.g. 'mlperf_inf_v4.1'.")
    source_path: str = Field(description="File inside the source repository or document URL/path.")
    commit: str | None = Field(default=None, description="Repository@commit the file was read at.")


class LicenseClass(StrEnum):
    """How a model license is classed for requirement checks."""

    PERMISSIVE = "permissive"  # Apache-2.0, MIT
    OPEN_WEIGHTS = "open-weights"  # downloadable weights under a custom licence (Llama, Gemma)
    RESTRICTED = "restricted"  # research-only or non-commercial


class QualityScore(Frozen):
    """A published evaluation score of a model."""

    benchmark: str = Field(description="Evaluation name, e.g. 'MMLU (5-shot)'.")
    score: float = Field(description="Score in percent (0-100).")
    source: str = Field(description="Where the score was published.")


class ModelSpec(Frozen):
    """A model architecture, from its ``config.json``, plus what Preflight knows about its use."""

    hf_id: str = Field(description="Hugging Face id; the catalog id.")
    params_b: float = Field(gt=0, description="Total parameters, billions.")
    active_params_b: float | None = Field(
        default=None, description="Parameters active per token for MoE models, billions."
    )
    layers: int = Field(ge=1, description="Transformer layers.")
    hidden: int = Field(ge=1, description="Hidden size.")
    heads: int = Field(ge=1, description="Attention heads.")
    kv_heads: int = Field(ge=1, description="Key/value heads (GQA); equals heads for MHA.")
    head_dim: int = Field(ge=1, description="Dimension of one head.")
    intermediate: int | None = Field(default=None, description="MLP intermediate size.")
    vocab: int = Field(ge=1, description="Vocabulary size.")
    max_context: int = Field(ge=1, description="Longest context the model supports, tokens.")
    moe_experts: int | None = Field(default=None, description="Routed experts, MoE only.")
    moe_top_k: int | None = Field(default=None, description="Experts per token, MoE only.")
    attention: str = Field(description="Attention kind: MHA, GQA, MLA, sliding window ...")
    kv_lora_rank: int | None = Field(default=None, description="MLA compressed KV rank.")
    sliding_window: int | None = Field(default=None, description="Sliding-window size, if any.")
    native_precision: str = Field(
        default="bf16", description="Precision the published weights are stored in."
    )
    weight_format: str = Field(
        default="",
        description="Format the weights were released in when not 16-bit (mxfp4 for gpt-oss).",
    )
    mtp_modules: int = Field(
        default=0,
        ge=0,
        description="Multi-token-prediction modules shipped (config num_nextn_predict_layers).",
    )
    base_id: str | None = Field(
        default=None, description="Base architecture this variant (instruct, quantized) points to."
    )
    license: str = Field(description="License name as published (e.g. 'apache-2.0', 'llama3.1').")
    license_class: LicenseClass = Field(description="How the license is classed.")
    tasks: tuple[Task, ...] = Field(default=(), description="Tasks the model is fit for.")
    instruct: bool = Field(default=False, description="Tuned to follow instructions/chat.")
    quality: tuple[QualityScore, ...] = Field(default=(), description="Published evaluations.")
    source: Provenance = Field(description="Where the architecture facts come from.")
    origin: RegistryOrigin | None = Field(
        default=None,
        description="Set when the spec was read from a model registry rather than the curated "
        "catalog: the registry, commit, gated status and the source of each derived figure.",
    )

    @property
    def is_moe(self) -> bool:
        """Whether the model routes tokens to a subset of experts."""
        return bool(self.moe_experts)

    @property
    def active_b(self) -> float:
        """Parameters read per token, billions (all of them for a dense model)."""
        return self.active_params_b or self.params_b


class GpuSpec(Frozen):
    """One GPU model: datasheet facts and an on-demand price, each with its source."""

    name: str = Field(description="Catalog name, e.g. 'H100-SXM-80GB'.")
    family: GpuFamily = Field(description="Family users name, e.g. H100.")
    vendor: str = Field(description="NVIDIA, AMD, Intel.")
    memory_gb: float = Field(gt=0, description="HBM/GDDR capacity in GB as published.")
    memory_gib: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Capacity as the device reports it (what vLLM's gpu_memory_utilization is a share "
            "of), GiB, where a source states it; the marketed '80GB' is 80 GiB on HBM parts."
        ),
    )
    memory_type: str = Field(default="", description="HBM3, GDDR6 ...")
    mem_bandwidth_gbps: float = Field(gt=0, description="Memory bandwidth, GB/s.")
    bf16_tflops: float = Field(gt=0, description="Dense BF16 TFLOPS.")
    fp8_tflops: float | None = Field(default=None, description="Dense FP8 TFLOPS, if supported.")
    fp4_tflops: float | None = Field(default=None, description="Dense FP4 TFLOPS, if supported.")
    int8_tops: float | None = Field(default=None, description="Dense INT8 TOPS, if published.")
    tdp_w: float | None = Field(default=None, description="Board power, W.")
    interconnect: str = Field(default="", description="GPU-to-GPU link as published.")
    interconnect_gbps: float = Field(
        gt=0, description="Usable GPU-to-GPU bandwidth per direction, GB/s (for all-reduce)."
    )
    price_usd_per_gpu_hr: float | None = Field(
        default=None, description="On-demand price per GPU-hour, USD; None when unpriced."
    )
    price_basis: str = Field(default="", description="What the price is (instance, region).")
    price_source: str = Field(default="", description="Where the price comes from.")
    spec_source: str = Field(description="Where the datasheet figures come from.")

    def tflops_for(self, precision: str) -> float:
        """Dense TFLOPS for matrix maths at ``precision``, falling back to BF16 where unsupported.

        Args:
            precision: A weight/compute precision name (bf16, fp16, fp8, int8, int4, fp4).

        Returns:
            Dense TFLOPS the GPU offers at that precision.
        """
        if precision == "fp4" and self.fp4_tflops:
            return self.fp4_tflops
        if precision in ("fp8", "fp4") and self.fp8_tflops:
            return self.fp8_tflops
        if precision == "int8" and self.int8_tops:
            return self.int8_tops
        return self.bf16_tflops
