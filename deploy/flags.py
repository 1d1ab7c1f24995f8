"""The vLLM command line of a plan: the one place its serving arguments become flags.

This module must not render, read settings or talk to a cluster.
"""

from __future__ import annotations

from deploy.plan import DeploymentPlan


def vllm_flags(plan: DeploymentPlan) -> list[str]:
    """Return the vLLM command-line flags of a plan, one ``--flag=value`` each.

    The plan's :class:`~domain.recommendation.VllmArgs` is the one serving configuration; this is
    the only place its values become vLLM flags. ``--quantization`` appears only when 16-bit
    weights are quantized at load time (:attr:`DeploymentPlan.quantization_flag`); data and
    expert parallelism are vLLM's ``--data-parallel-size`` and ``--enable-expert-parallel``
    (vllm/engine/arg_utils.py); speculative decoding is ``--speculative-config`` with a JSON
    object (vllm/engine/arg_utils.py parses it into vllm/config/speculative.py's
    SpeculativeConfig: ``method``, ``num_speculative_tokens``).

    Args:
        plan: The validated plan.

    Returns:
        The flags, in a fixed order.
    """
    args = plan.serving_args
    out = [
        f"--served-model-name={plan.served_model_name}",
        f"--tensor-parallel-size={args.tensor_parallel_size}",
        f"--max-model-len={args.max_model_len}",
        f"--gpu-memory-utilization={args.gpu_memory_utilization}",
        f"--max-num-seqs={args.max_num_seqs}",
        f"--max-num-batched-tokens={args.max_num_batched_tokens}",
        f"--kv-cache-dtype={args.kv_cache_dtype}",
    ]
    if plan.quantization_flag:
        out.append(f"--quantization={plan.quantization_flag}")
    out.append(
        "--enable-prefix-caching" if args.enable_prefix_caching else "--no-enable-prefix-caching"
    )
    if args.enable_chunked_prefill:
        out.append("--enable-chunked-prefill")
    if args.data_parallel_size > 1:
        out.append(f"--data-parallel-size={args.data_parallel_size}")
    if args.enable_expert_parallel:
        out.append("--enable-expert-parallel")
    if args.speculative_config is not None:
        config = args.speculative_config.model_dump_json()
        out.append(f"--speculative-config={config}")
    return out
