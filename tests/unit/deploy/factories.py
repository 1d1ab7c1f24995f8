"""Factories for deploy tests: recommended options and plans built from a few keywords."""

from __future__ import annotations

from typing import Any

from deploy.plan import Autoscaler, DeploymentPlan, Target, plan_for
from deploy.profile import ClusterProfile
from domain.recommendation import (
    PredictedMetrics,
    PrefillPool,
    RecommendedOption,
    SpeculativeConfig,
    VllmArgs,
)
from knowledge.catalog import load_gpus, load_models

# Every platform configured (images per platform, arm64, KServe 0.18): the registry names are
# examples, not claims about published images.
FULL = ClusterProfile(
    images={
        "cuda": "vllm/vllm-openai:v0.11.0",
        "cuda-arm64": "registry.example.com/vllm-openai-arm64:v0.11.0",
        "rocm": "registry.example.com/vllm-rocm:0.11.0",
        "hpu": "registry.example.com/vllm-gaudi:0.11.0",
        "xpu": "registry.example.com/vllm-xpu:0.11.0",
    },
    allowed_images={
        "cuda": ("vllm/vllm-openai", "registry.example.com/vllm-openai-arm64"),
        "rocm": ("registry.example.com/vllm-rocm",),
        "hpu": ("registry.example.com/vllm-gaudi",),
        "xpu": ("registry.example.com/vllm-xpu",),
    },
    arm64_images=("registry.example.com/vllm-openai-arm64",),
    kserve_version="0.18",
)


def _gpu_name(family: str) -> str:
    """The family's SXM part when it has one (the usual data-centre board), else its first."""
    from domain.requirements import GpuFamily

    names = sorted(g.name for g in load_gpus().values() if g.family == GpuFamily(family))
    return next((n for n in names if "SXM" in n), names[0])


def make_option(
    *,
    model: str = "meta-llama/Llama-3.1-8B",
    gpu_family: str = "H100",
    precision: str = "bf16",
    tensor_parallel: int = 1,
    replicas: int = 2,
    max_model_len: int = 8192,
    quantization: Any = None,
    kv_cache_dtype: Any = "auto",
    data_parallel: int = 1,
    expert_parallel: bool = False,
    prefill: PrefillPool | None = None,
    speculative: SpeculativeConfig | None = None,
) -> RecommendedOption:
    """Build a recommended option; parameters and the GPU name come from the catalogs."""

    models = load_models()
    params_b = models[model].params_b if model in models else 8.0
    gpu = _gpu_name(gpu_family)
    return RecommendedOption(
        model=model,
        params_b=params_b,
        gpu=gpu,
        gpu_family=gpu_family,
        precision=precision,
        tensor_parallel=tensor_parallel,
        replicas=replicas,
        total_gpus=tensor_parallel * data_parallel * replicas
        + (prefill.replicas * prefill.tensor_parallel if prefill else 0),
        prefill=prefill,
        monthly_cost_usd=1000.0 * tensor_parallel * replicas,
        predicted=PredictedMetrics(
            ttft_ms_p50=100,
            ttft_ms_p95=200,
            itl_ms_p50=20,
            itl_ms_p95=30,
            e2e_ms_p95=4000,
            output_tok_per_s=2000,
        ),
        meets_slo=True,
        serving_args=VllmArgs(
            tensor_parallel_size=tensor_parallel,
            max_model_len=max_model_len,
            max_num_seqs=256,
            max_num_batched_tokens=8192,
            gpu_memory_utilization=0.9,
            quantization=quantization,
            kv_cache_dtype=kv_cache_dtype,
            data_parallel_size=data_parallel,
            enable_expert_parallel=expert_parallel,
            speculative_config=speculative,
        ),
    )


def make_plan(
    *,
    namespace: str = "llm-serving",
    autoscaler: Autoscaler = Autoscaler.KEDA,
    target: Target = Target.INFERENCE_SERVICE,
    thread_id: str = "C01/1700000000.000100",
    requester: str = "U-alice",
    hf_token_secret: str = "hf-token",
    profile: ClusterProfile | None = None,
    prometheus_url: str | None = None,
    **option: Any,
) -> DeploymentPlan:
    """Build a validated plan for ``make_option(**option)`` (gated models get a token secret)."""
    return plan_for(
        make_option(**option),
        namespace=namespace,
        requester=requester,
        thread_id=thread_id,
        autoscaler=autoscaler,
        target=target,
        hf_token_secret=hf_token_secret,
        profile=profile,
        prometheus_url=prometheus_url,
    )


def option_for_requirements(requirements: dict[str, Any]) -> RecommendedOption:
    """Build a plausible option from an evaluation scenario's requirements.

    Model: the first named, else Llama-3.1-8B. GPU: the first family allowed, else H100.
    Precision: fp8 when quantization is allowed, else bf16. Tensor parallel: the smallest power
    of two whose GPUs hold the weights with room for the KV cache.
    """
    models = load_models()
    model = (requirements.get("models") or ["meta-llama/Llama-3.1-8B"])[0]
    family = (requirements.get("gpu_families") or ["H100"])[0]
    quantized = requirements.get("quantization") in ("allowed", "8bit")
    precision = "fp8" if quantized else "bf16"

    memory_gb = load_gpus()[_gpu_name(family)].memory_gb
    params_b = models[model].params_b if model in models else 8.0
    weights_gb = params_b * (1.0 if quantized else 2.0)
    tp = 1
    while weights_gb > memory_gb * tp * 0.7 and tp < 16:
        tp *= 2
    return make_option(
        model=model,
        gpu_family=family,
        precision=precision,
        tensor_parallel=tp,
        replicas=2,
        quantization="fp8" if quantized else None,
        max_model_len=requirements.get("min_context_tokens") or 8192,
    )
