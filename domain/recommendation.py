"""A recommendation: ranked serving options, what was excluded and why, and what it rests on.

The JSON form of :class:`Recommendation` is what ``preflight recommend --json`` prints and what
``preflight deploy render --option`` reads (one element of ``options``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from domain.base import Frozen
from domain.requirements import SloTarget
from domain.serving import PerformanceEstimate


class SpeculativeConfig(Frozen):
    """vLLM ``--speculative-config`` of an option (vllm/config/speculative.py SpeculativeConfig)."""

    method: Literal["deepseek_mtp"] = Field(
        description="Drafting method: the checkpoint's own MTP module (MTPModelTypes)."
    )
    num_speculative_tokens: int = Field(ge=1, le=16, description="Tokens drafted per step.")


class VllmArgs(Frozen):
    """vLLM engine arguments of an option; only validated values ever reach a manifest."""

    tensor_parallel_size: int = Field(ge=1, le=64)
    max_model_len: int = Field(ge=256, le=10_485_760)
    max_num_seqs: int = Field(ge=1, le=4096)
    max_num_batched_tokens: int = Field(ge=256, le=1_048_576)
    gpu_memory_utilization: float = Field(gt=0.1, le=0.99)
    quantization: Literal["fp8", "awq", "gptq", "bitsandbytes"] | None = None
    kv_cache_dtype: Literal["auto", "fp8"] = "auto"
    enable_prefix_caching: bool = True
    enable_chunked_prefill: bool = True
    data_parallel_size: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Data-parallel ranks per replica (--data-parallel-size).",
    )
    enable_expert_parallel: bool = Field(
        default=False,
        description="MoE experts spread over the tensor × data-parallel ranks "
        "(--enable-expert-parallel).",
    )

    speculative_config: SpeculativeConfig | None = Field(
        default=None, description="Speculative decoding (--speculative-config); None = none."
    )

    @property
    def gpus(self) -> int:
        """GPUs one replica runs on: tensor × data-parallel size."""
        return self.tensor_parallel_size * self.data_parallel_size


class PrefillPool(Frozen):
    """The prefill pool of a disaggregated option (prompts run apart from decoding, the KV cache
    shipped between the pools); the option's own replicas and arguments are the decode pool's."""

    replicas: int = Field(ge=1, le=1000, description="Prefill replicas.")
    tensor_parallel: int = Field(ge=1, le=64, description="GPUs per prefill replica (TP).")
    data_parallel: int = Field(default=1, ge=1, le=64, description="Data-parallel ranks.")


class PredictedMetrics(Frozen):
    """Predicted latencies (ms) and throughput of one replica at its share of the peak load."""

    ttft_ms_p50: float
    ttft_ms_p95: float
    ttft_ms_p99: float | None = None
    itl_ms_p50: float
    itl_ms_p95: float
    itl_ms_p99: float | None = None
    e2e_ms_p50: float | None = None
    e2e_ms_p95: float
    e2e_ms_p99: float | None = None
    output_tok_per_s: float = Field(description="Output tokens/s of all replicas at peak load.")
    intervals: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="80 % interval (low, high) per field above, from held-out residuals of the "
        "prediction's basis; empty when the calibration carries none.",
    )
    engine_basis: str = Field(
        default="", description="Engine and version band the prediction rests on."
    )
    engine_version: str = Field(
        default="",
        description="Engine and version predicted for (the deploy image's), e.g. 'vllm 0.11.0'.",
    )

    @classmethod
    def from_estimate(
        cls, estimate: PerformanceEstimate, *, output_tok_per_s: float
    ) -> PredictedMetrics:
        """The percentiles of one replica's estimate, with the throughput of all replicas.

        Args:
            estimate: The simulator's estimate for one replica at its share of the load.
            output_tok_per_s: Output tokens/s of all replicas together.

        Returns:
            The predicted metrics.
        """
        return cls(
            ttft_ms_p50=estimate.ttft_ms.p50,
            ttft_ms_p95=estimate.ttft_ms.p95,
            ttft_ms_p99=estimate.ttft_ms.p99,
            itl_ms_p50=estimate.itl_ms.p50,
            itl_ms_p95=estimate.itl_ms.p95,
            itl_ms_p99=estimate.itl_ms.p99,
            e2e_ms_p50=estimate.e2e_ms.p50,
            e2e_ms_p95=estimate.e2e_ms.p95,
            e2e_ms_p99=estimate.e2e_ms.p99,
            output_tok_per_s=output_tok_per_s,
            intervals=_scaled_throughput(estimate, output_tok_per_s),
            engine_basis=estimate.engine_basis,
            engine_version=estimate.engine_version,
        )


def _scaled_throughput(
    estimate: PerformanceEstimate, output_tok_per_s: float
) -> dict[str, tuple[float, float]]:
    """The estimate's intervals, the throughput one scaled from one replica to all of them."""
    out = dict(estimate.intervals)
    one = out.get("output_tok_per_s")
    if one is not None and estimate.output_tok_per_s > 0:
        scale = output_tok_per_s / estimate.output_tok_per_s
        out["output_tok_per_s"] = (one[0] * scale, one[1] * scale)
    return out


class Evidence(Frozen):
    """What a number rests on: a measured record, a deployment pattern, or the model alone."""

    kind: Literal["measurement", "pattern", "prediction"]
    summary: str = Field(description="One line a person reads.")
    record_id: str | None = None
    source_id: str | None = None
    source_path: str | None = None
    pattern_id: str | None = None


class RecommendedOption(Frozen):
    """One way to serve the requirements, sized for the peak load."""

    model: str
    params_b: float
    gpu: str
    gpu_family: str
    precision: str
    tensor_parallel: int = Field(ge=1)
    replicas: int = Field(ge=1)
    total_gpus: int = Field(ge=1)
    monthly_cost_usd: float | None = Field(
        default=None,
        ge=0,
        description="USD a month on the price basis; None when the basis has no price (never 0).",
    )
    price_basis: str | None = Field(
        default=None, description="What the GPU's price is (provider, instance); None: no price."
    )
    gpu_hours_per_month: float | None = Field(
        default=None, description="GPU-hours a month the cost counts (batch window, floor)."
    )
    min_replicas: int | None = Field(
        default=None,
        ge=1,
        description="The autoscaler's off-peak floor the cost counts (KEDA minReplicas).",
    )
    pinned_gpu: bool = Field(
        default=False,
        description="The requirements named this exact GPU model; deploy pins node selection.",
    )
    alternative: bool = Field(
        default=False,
        description="Not the checkpoint the requirements named (another checkpoint of its family).",
    )
    cost_per_million_tokens_usd: float | None = None
    predicted: PredictedMetrics
    meets_slo: bool
    utilisation: float | None = Field(default=None, description="Peak load / capacity, 0-1.")
    quality_score: float | None = None
    score: float | None = Field(default=None, description="Ranking score; lower ranks first.")
    serving_args: VllmArgs
    prefill: PrefillPool | None = Field(
        default=None,
        description="Disaggregated serving: the prefill pool (served by llm-d through KServe's "
        "LLMInferenceService); None = every replica prefills and decodes.",
    )
    reasons: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)

    @property
    def parallelism(self) -> str:
        """How one replica spreads over its GPUs: "TP 4", "DP 8 + EP + MTP"; "" for 1 GPU."""
        args = self.serving_args
        parts = [f"TP {self.tensor_parallel}"] if self.tensor_parallel > 1 else []
        if args.data_parallel_size > 1:
            parts.append(f"DP {args.data_parallel_size}")
        if args.enable_expert_parallel:
            parts.append("EP")
        if args.speculative_config is not None:
            parts.append("MTP")
        return " + ".join(parts)


class DeployScreen(Frozen):
    """What the deploy side's pre-flight check says of an option before it is offered.

    ``refused`` (with the rules that refuse) keeps the option off the list; ``needs`` offers it
    with what deploying it would need first (a setting of the cluster), said among its reasons.
    """

    refused: str | None = Field(default=None, description="Why it is not offered.")
    rules: tuple[str, ...] = Field(default=(), description="Pre-flight rules that refuse it.")
    needs: str | None = Field(default=None, description="What deploying it needs first.")


class Exclusion(Frozen):
    """A candidate (or a whole group of them) that a hard rule ruled out."""

    what: str
    why: str
    rule: str = ""


class NearMiss(Frozen):
    """A closest option when nothing fits, with the one change that would make it work."""

    what: str
    change: str


class RecommendationBasis(Frozen):
    """What a recommendation was computed from, so a later one can say what changed."""

    calibration_version: str = Field(
        description="Calibration predicted with: '<UTC time>-<digest>' or 'shipped-<digest>'."
    )
    knowledge_version: str = Field(
        description="Digest of the measured records read (shipped and ingested)."
    )
    measured_records: int = Field(ge=0, description="Measured records read.")


class PlannedLoad(Frozen):
    """The load a recommendation was sized for: what a measurement offers, what a watch expects."""

    input_tokens: int = Field(ge=1, description="Prompt tokens per request.")
    output_tokens: int = Field(ge=1, description="Output tokens per request.")
    peak_rps: float = Field(gt=0, description="Peak requests per second over all replicas.")
    slo: list[SloTarget] = Field(
        default_factory=list, description="Latency targets sized for: stated, then assumed."
    )


class Recommendation(Frozen):
    """The answer to a set of requirements."""

    feasible: bool
    options: list[RecommendedOption] = Field(default_factory=list)
    excluded: list[Exclusion] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    why_nothing_fits: str | None = None
    closest: list[NearMiss] = Field(default_factory=list)
    pareto: list[int] = Field(
        default_factory=list, description="Indexes into options on the cost/p95/quality front."
    )
    price_basis: str = Field(default="", description="The one basis every price is on.")
    pins: list[str] = Field(
        default_factory=list, description="What-if pins this answer honours, in words."
    )
    binding: str | None = Field(
        default=None, description="The constraint that binds when nothing (pinned) fits."
    )
    load_question: str | None = Field(
        default=None,
        description="A question to ask when an assumed load decides the GPU count.",
    )
    basis: RecommendationBasis | None = Field(
        default=None, description="Calibration and knowledge versions the answer rests on."
    )
    retrieved: list[Evidence] = Field(
        default_factory=list,
        description="Similar deployment patterns and closest measured runs from the knowledge "
        "base, each with its id and source.",
    )
    planned: PlannedLoad | None = Field(
        default=None, description="Token shape and peak rate the options were sized for."
    )
