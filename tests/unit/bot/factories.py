"""Factories for recommendation values (and a dry-run flow) used by the bot's unit tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.adapters.deployer import ServiceDeployer
from bot.adapters.memory_store import InMemoryStateStore
from bot.conversation.flow import ConversationFlow
from bot.conversation.ports import ChartMaker, FlowDependencies, Recommender
from bot.deploy_wiring import deployment_service
from bot.settings import AuditSettings, ClusterSettings, Settings
from bot.understanding.reader import TextUnderstander
from domain.recommendation import PredictedMetrics, Recommendation, RecommendedOption, VllmArgs


def make_flow(
    tmp_path: Path, recommender: Recommender, *, chart: ChartMaker | None = None
) -> ConversationFlow:
    """A flow with real understanding, the real deploy service on a dry-run folder
    (``tmp_path/out``) and in-process state, around a recommender stand-in."""
    config = Settings(
        data_dir=tmp_path,
        cluster=ClusterSettings(output_dir=tmp_path / "out", hf_token_secret="hf-token"),
        audit=AuditSettings(path=tmp_path / "audit.jsonl"),
    )
    deps = FlowDependencies(
        understander=TextUnderstander(),
        recommender=recommender,
        deployer=ServiceDeployer(deployment_service(config), settings=config),
        chart=chart,
    )
    return ConversationFlow(store=InMemoryStateStore(), deps=deps)


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
