"""Factories for recommendation values used by the bot's unit tests."""

from __future__ import annotations

from typing import Any

from domain.recommendation import PredictedMetrics, Recommendation, RecommendedOption, VllmArgs


def make_option(**overrides: Any) -> RecommendedOption:
    """A plausible option (Llama 3.1 8B on one L4); any field can be overridden."""
    fields: dict[str, Any] = {
        "model": "meta-llama/Llama-3.1-8B-Instruct",
        "params_b": 8.0,
        "gpu": "L4",
        "gpu_family": "L4",
        "precision": "fp8",
        "tensor_parallel": 1,
        "replicas": 2,
        "total_gpus": 2,
        "monthly_cost_usd": 1168.0,
        "predicted": PredictedMetrics(
            ttft_ms_p50=120.0,
            ttft_ms_p95=310.0,
            itl_ms_p50=30.0,
            itl_ms_p95=42.0,
            e2e_ms_p95=9800.0,
            output_tok_per_s=1500.0,
        ),
        "meets_slo": True,
        "serving_args": VllmArgs(
            tensor_parallel_size=1,
            max_model_len=8192,
            max_num_seqs=128,
            max_num_batched_tokens=8192,
            gpu_memory_utilization=0.9,
        ),
        "reasons": ["cheapest option that meets TTFT p95 ≤ 500 ms"],
    }
    fields.update(overrides)
    return RecommendedOption(**fields)


def make_recommendation(*options: RecommendedOption, **overrides: Any) -> Recommendation:
    """A feasible recommendation of the given options (two defaults when none given)."""
    chosen = list(options) or [
        make_option(),
        make_option(
            gpu="A100-SXM-80GB",
            gpu_family="A100",
            monthly_cost_usd=2400.0,
            replicas=1,
            total_gpus=1,
        ),
    ]
    fields: dict[str, Any] = {
        "feasible": True,
        "options": chosen,
        "assumptions": ["500 prompt tokens and 250 output tokens (chatbot default)"],
        "pareto": [0],
    }
    fields.update(overrides)
    return Recommendation(**fields)
