"""Memory fit: do a model's weights fit on a replica's GPUs, and how many KV-cache tokens remain.

Sizes follow vLLM's accounting: weights (by precision, embeddings kept at 16 bit when the
weights are quantized), a per-GPU runtime overhead (CUDA context, activations of one step of
``max_num_batched_tokens``, CUDA graphs), and what is left of ``memory_gb ×
gpu_memory_utilization`` goes to the KV cache. TensorRT-LLM instead gives the KV cache
``gpu_memory_utilization`` (its ``free_gpu_memory_fraction``) of what the weights and runtime
leave of the whole GPU. GPU memory is published in decimal GB; every
figure here is in GiB (2**30 bytes), and the conversion is made once, in :func:`usable_gib`.

A configuration that does not fit is an answer (``fits=False`` with the numbers in
``reason``), never an exception. This module does no I/O.
"""

from __future__ import annotations

import math

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import MemoryFit, Precision, ServingConfig

GIB = float(2**30)
_RUNTIME_GIB = 1.0  # CUDA context, NCCL buffers, allocator slack, per GPU
_CUDA_GRAPHS_GIB = 0.5  # captured graphs for the decode batch sizes, per GPU
_ACTIVATION_BYTES_PER_TOKEN_HIDDEN = 18.0  # peak activation bytes per batched token per hidden


def weight_bytes(model: ModelSpec, precision: Precision) -> float:
    """Bytes of all weights of the model at ``precision`` (whole model, before tensor parallel).

    Quantized checkpoints keep the embedding and output matrices at 16 bit, and low-bit
    formats carry per-group scales (about 1 byte per 128 weights at int4/fp4).

    Args:
        model: The architecture.
        precision: Weight precision.

    Returns:
        Bytes of weights.
    """
    params = model.params_b * 1e9
    embed = min(2.0 * model.vocab * model.hidden, 0.5 * params)
    per_param = precision.bytes_per_param
    if per_param >= 2.0:
        return params * per_param
    scales = 1.0 / 128.0 if per_param < 1.0 else 0.0
    return (params - embed) * (per_param + scales) + embed * 2.0


def weight_bytes_per_gpu(model: ModelSpec, config: ServingConfig) -> float:
    """Bytes of weights each GPU of a replica holds.

    Tensor parallelism splits every weight over the replica's GPUs. With data-parallel
    attention each GPU is its own attention rank and keeps the weights outside the routed
    experts whole (attention, shared experts, embeddings); only the routed experts are spread
    over the expert-parallel GPUs (vLLM docs serving/data_parallel_deployment.md: attention
    data parallel, expert layers expert or tensor parallel).

    Args:
        model: The architecture.
        config: Precision, tensor parallel and serving techniques.

    Returns:
        Bytes per GPU.
    """
    total = weight_bytes(model, config.precision)
    tp = config.tensor_parallel
    experts, top_k = float(model.moe_experts or 0), float(model.moe_top_k or 0)
    if not (config.techniques.dp_attention and experts > top_k > 0):
        return total / tp
    routed_params = (model.params_b - model.active_b) * 1e9 * experts / (experts - top_k)
    routed = total * min(1.0, routed_params / (model.params_b * 1e9))
    return (total - routed) + routed / tp


def kv_bytes_per_token(model: ModelSpec, kv_cache_dtype: str = "auto", context: int = 0) -> float:
    """KV-cache bytes one token takes across all layers (whole model, before tensor parallel).

    MLA stores the compressed latent (``kv_lora_rank`` + 64 rope dims) once per layer; GQA and
    MHA store K and V for each KV head. With a sliding window, the layers that use the window
    (5 of 6 for Gemma-style interleaving, all layers otherwise) hold at most ``window`` tokens, so
    their share per token shrinks for contexts longer than the window.

    Args:
        model: The architecture.
        kv_cache_dtype: "auto" (16 bit) or "fp8".
        context: Context length the average is taken over; 0 means short contexts.

    Returns:
        Bytes per token.
    """
    dtype_bytes = 1.0 if kv_cache_dtype == "fp8" else 2.0
    if model.kv_lora_rank:
        per_layer = (model.kv_lora_rank + 64) * dtype_bytes
    else:
        per_layer = 2.0 * model.kv_heads * model.head_dim * dtype_bytes
    if model.sliding_window and context > model.sliding_window:
        local = round(model.layers * 5 / 6) if model.layers >= 6 else model.layers
        share = model.sliding_window / context
        return per_layer * ((model.layers - local) + local * share)
    return per_layer * model.layers


def usable_gib(gpu: GpuSpec, gpu_memory_utilization: float) -> float:
    """GiB of one GPU that vLLM may use: device memory × utilisation.

    vLLM takes ``gpu_memory_utilization`` of the memory the device reports (torch's total, in
    GiB), so a catalog figure in GiB is used as is; only where none is known is the published
    decimal GB converted (a conservative reading: an "80GB" HBM part reports 80 GiB).

    Args:
        gpu: The GPU.
        gpu_memory_utilization: Share of memory vLLM may take.

    Returns:
        Usable GiB per GPU.
    """
    device_gib = gpu.memory_gib if gpu.memory_gib is not None else gpu.memory_gb * 1e9 / GIB
    return device_gib * gpu_memory_utilization


def _device(gpu: GpuSpec) -> str:
    if gpu.memory_gib is not None:
        return f"{gpu.memory_gib:g} GiB"
    return f"{gpu.memory_gb:g} GB"


def overhead_gib(model: ModelSpec, config: ServingConfig) -> float:
    """Activations of one step, CUDA graphs and runtime, per GPU, GiB.

    Args:
        model: The architecture.
        config: The serving configuration (``max_num_batched_tokens``, tensor parallel).

    Returns:
        GiB per GPU.
    """
    tokens = config.max_num_batched_tokens
    activations = tokens * model.hidden * _ACTIVATION_BYTES_PER_TOKEN_HIDDEN
    logits = min(tokens, config.max_num_seqs) * model.vocab * 4.0
    per_gpu = (activations + logits) / config.tensor_parallel
    return _RUNTIME_GIB + _CUDA_GRAPHS_GIB + per_gpu / GIB


def memory_fit(model: ModelSpec, gpu: GpuSpec, config: ServingConfig) -> MemoryFit:
    """Whether ``model`` fits on ``config.tensor_parallel`` GPUs of ``gpu``, and the KV room left.

    Args:
        model: The architecture.
        gpu: The GPU.
        config: The serving configuration.

    Returns:
        The fit; ``fits`` is False with "does not fit: needs X GiB, has Y GiB" in ``reason`` when
        weights and overhead leave no room for one sequence of ``max_model_len`` tokens
        (vLLM refuses to start then).
    """
    tp = config.tensor_parallel
    max_len = config.max_model_len or model.max_context
    weights = weight_bytes_per_gpu(model, config) / GIB
    overhead = overhead_gib(model, config)
    usable = usable_gib(gpu, config.gpu_memory_utilization)
    kv_gib = usable - weights - overhead
    if "trtllm" in config.engine:
        # TensorRT-LLM gives the KV cache a fraction of the memory left after the weights and
        # activations (KvCacheConfig.free_gpu_memory_fraction), not of the whole GPU.
        usable = usable_gib(gpu, 1.0)
        kv_gib = (usable - weights - overhead) * config.gpu_memory_utilization
    per_token = kv_bytes_per_token(model, config.kv_cache_dtype, context=max_len)
    capacity = max(0, int(kv_gib * tp * GIB / per_token)) if kv_gib > 0 else 0
    one_seq_gib = max_len * per_token / tp / GIB
    fits = kv_gib > 0 and capacity >= max_len
    reason = ""
    budget = f" × {config.gpu_memory_utilization:g}"
    if "trtllm" in config.engine:
        budget = f", KV gets {config.gpu_memory_utilization:g} of what is left"
    if not fits:
        needs = weights + overhead + one_seq_gib
        reason = (
            f"does not fit: needs {needs:.1f} GiB per GPU (weights {weights:.1f}, overhead "
            f"{overhead:.1f}, KV for one {max_len}-token sequence {one_seq_gib:.2f}), "
            f"has {usable:.1f} GiB ({_device(gpu)}{budget}) "
            f"on each of {tp} × {gpu.name}"
        )
    return MemoryFit(
        fits=fits,
        weights_gib=round(weights, 3),
        overhead_gib=round(overhead, 3),
        kv_cache_gib=round(kv_gib, 3),
        usable_gib=round(usable, 3),
        kv_bytes_per_token=per_token,
        kv_capacity_tokens=capacity,
        max_sequences=math.floor(capacity / max_len) if max_len else 0,
        reason=reason,
    )
