"""The cost of one engine step, as named terms with their units in their names.

One step of a continuous-batching server runs ``decode_seqs`` sequences one token each and
``prefill_tokens`` prompt tokens, over ``context_tokens`` cached tokens. Its time is bounded by
reading the weights and the KV cache from HBM (:func:`weight_read_s`, :func:`kv_read_s`), by
the matrix and attention FLOPs (:func:`matmul_flops_s`, :func:`attention_flops_s`), by the
tensor-parallel all-reduces (:func:`allreduce_s`) and by a fixed per-step overhead
(:func:`step_overhead_s`). :func:`step_s` combines them with calibrated efficiencies:
``max(weights, matmul FLOPs) + max(KV, attention FLOPs) + communication + overhead``, plus a
smooth-roofline penalty for prompt matmuls near the ridge point (:func:`ridge_penalty`); routed
MoE experts run at their own efficiency (:func:`moe_slowdown`).

Every term takes numpy arrays (or floats) and broadcasts, so the same code prices one step in
the scheduler and thousands of benchmark rows at once in calibration. Terms are at 100 %
efficiency; efficiencies are applied only in :func:`step_s`. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt

from domain.catalog import GpuSpec, ModelSpec
from domain.serving import ServingConfig
from simulate.memory import kv_bytes_per_token, weight_bytes

Arr = npt.NDArray[np.float64]
ACT_BYTES = 2.0  # activations cross the interconnect at 16 bit
GPUS_PER_NODE = 8  # HGX/OAM baseboards: beyond 8 GPUs, tensor parallel crosses nodes
# One 400 Gb/s NIC per GPU (NVIDIA DGX H100/B200 datasheets: 8x ConnectX-7 400 Gb/s; AMD
# MI300X platforms likewise pair each GPU with a 400 G NIC): 50 GB/s per direction.
INTER_NODE_BYTES_PER_S = 50e9
ROOFLINE_SHARPNESS = 2.0  # p of the smooth roofline max(memory, compute) of the matmuls


def _arr(value: float | Arr) -> Arr:
    return np.asarray(value, dtype=np.float64)


@dataclass(frozen=True)
class ReplicaCosts:
    """Physical constants of one replica (model × GPU × precision × tensor parallel).

    Every field is an array so that many replicas can be priced together; one replica holds
    0-d arrays. Sizes are for the whole replica; rates are per GPU.
    """

    dense_weight_bytes: Arr  # weights every step reads (attention, shared MLP, embeddings)
    expert_bytes: Arr  # bytes of one routed expert summed over layers (0 for dense)
    experts: Arr  # routed experts (0 for dense)
    top_k: Arr  # experts per token (0 for dense)
    active_params: Arr  # parameters multiplied per token
    expert_share: Arr  # share of those in routed experts (grouped GEMMs; 0 for dense)
    kv_bytes_per_token: Arr  # KV cache per cached token
    attn_flops_per_pair: Arr  # FLOPs per (query token, cached token) pair, all layers
    layers: Arr
    hidden: Arr
    tp: Arr  # GPUs of the replica (tensor parallel)
    hbm_bytes_per_s: Arr  # peak memory bandwidth per GPU
    flops_per_s: Arr  # dense matrix FLOP/s per GPU at the compute precision
    link_bytes_per_s: Arr  # GPU-to-GPU bandwidth per direction
    kv_shards: Arr = field(default_factory=lambda: np.ones(()))  # GPUs the KV cache is split over
    expert_parallel: Arr = field(default_factory=lambda: np.ones(()))  # GPUs experts spread over


def link_bytes_per_s(gpu: GpuSpec, tensor_parallel: int) -> float:
    """GPU-to-GPU bandwidth per direction a tensor-parallel group gets.

    Within a node (or an NVL72 rack, whose NVLink spans 72 GPUs) it is the GPU's own link;
    a group of more than :data:`GPUS_PER_NODE` GPUs elsewhere crosses the network at
    :data:`INTER_NODE_BYTES_PER_S`.

    Args:
        gpu: The GPU.
        tensor_parallel: GPUs in the group.

    Returns:
        Bytes per second.
    """
    rack_scale = "NVL72" in gpu.interconnect
    if tensor_parallel > GPUS_PER_NODE and not rack_scale:
        return min(INTER_NODE_BYTES_PER_S, gpu.interconnect_gbps * 1e9)
    return gpu.interconnect_gbps * 1e9


def kv_shards(model: ModelSpec, tensor_parallel: int, dp_attention: bool) -> int:
    """GPUs one sequence's KV cache is split over.

    GQA/MHA split KV heads over tensor-parallel ranks. MLA keeps one latent per token that
    every rank needs, so under tensor parallelism each rank holds (and reads) the whole latent
    cache; with data-parallel attention each rank holds only its own sequences (SGLang
    ``--enable-dp-attention``, TensorRT-LLM ``enable_attention_dp``).

    Args:
        model: The architecture.
        tensor_parallel: GPUs of the replica.
        dp_attention: Whether attention runs data-parallel across the ranks.

    Returns:
        The number of shards.
    """
    if model.kv_lora_rank and not dp_attention:
        return 1
    return tensor_parallel


def replica_costs(
    model: ModelSpec,
    gpu: GpuSpec,
    config: ServingConfig,
    *,
    expert_parallel: int | None = None,
    dp_attention: bool | None = None,
) -> ReplicaCosts:
    """Physical constants of one replica.

    Args:
        model: The architecture.
        gpu: The GPU.
        config: Precision, KV dtype, tensor parallel and serving techniques.
        expert_parallel: GPUs the routed experts are spread over (1: experts sharded by TP);
            the configuration's own (``config.techniques``) when None.
        dp_attention: Whether attention runs data-parallel across the replica's GPUs; the
            configuration's own when None.

    Returns:
        The replica's constants (0-d arrays).
    """
    if expert_parallel is None:
        expert_parallel = config.techniques.expert_parallel
    if dp_attention is None:
        dp_attention = config.techniques.dp_attention
    total = weight_bytes(model, config.precision)
    experts = float(model.moe_experts or 0)
    top_k = float(model.moe_top_k or 0)
    expert_bytes = expert_share = 0.0
    if experts > top_k > 0:
        per_param = total / (model.params_b * 1e9)
        expert_params = (model.params_b - model.active_b) * 1e9 / (experts - top_k)
        expert_bytes = expert_params * per_param
        expert_share = min(1.0, top_k * expert_params / (model.active_b * 1e9))
    compute_precision = config.precision.value
    if compute_precision == "int4":  # weight-only quantization computes at 16 bit
        compute_precision = "bf16"
    if compute_precision == "fp4" and not gpu.fp4_tflops:
        # No FP4 tensor cores (Hopper, Ampere, MI300X): MXFP4 checkpoints such as gpt-oss run
        # weight-only, dequantized into 16-bit GEMMs (vLLM's Marlin / Triton MXFP4 MoE paths).
        compute_precision = "bf16"
    return ReplicaCosts(
        dense_weight_bytes=_arr(total - experts * expert_bytes),
        expert_bytes=_arr(expert_bytes),
        experts=_arr(experts),
        top_k=_arr(top_k),
        active_params=_arr(model.active_b * 1e9),
        expert_share=_arr(expert_share),
        kv_bytes_per_token=_arr(kv_bytes_per_token(model, config.kv_cache_dtype)),
        attn_flops_per_pair=_arr(4.0 * model.layers * model.heads * model.head_dim),
        layers=_arr(model.layers),
        hidden=_arr(model.hidden),
        tp=_arr(config.tensor_parallel),
        hbm_bytes_per_s=_arr(gpu.mem_bandwidth_gbps * 1e9),
        flops_per_s=_arr(gpu.tflops_for(compute_precision) * 1e12),
        link_bytes_per_s=_arr(link_bytes_per_s(gpu, config.tensor_parallel)),
        kv_shards=_arr(kv_shards(model, config.tensor_parallel, dp_attention)),
        expert_parallel=_arr(expert_parallel if experts else 1),
    )


def stack_costs(costs: list[ReplicaCosts]) -> ReplicaCosts:
    """Stack many replicas' constants into one with 1-d arrays (for vectorised pricing).

    Args:
        costs: One entry per row.

    Returns:
        The stacked constants.
    """
    return ReplicaCosts(
        **{f.name: np.array([getattr(c, f.name) for c in costs]) for f in fields(ReplicaCosts)}
    )


def experts_touched(costs: ReplicaCosts, tokens: float | Arr) -> Arr:
    """Expected distinct routed experts a step touches per layer when ``tokens`` are routed.

    Each token picks ``top_k`` of ``experts``; the expected coverage is
    ``E · (1 − (1 − k/E)^tokens)``, which grows with the batch towards all experts.

    Args:
        costs: The replica.
        tokens: Tokens routed in the step.

    Returns:
        Experts touched (0 for a dense model).
    """
    experts = np.maximum(costs.experts, 1.0)
    miss = np.clip(1.0 - costs.top_k / experts, 0.0, 1.0)
    return costs.experts * (1.0 - miss ** _arr(tokens))


def weight_read_s(costs: ReplicaCosts, tokens: float | Arr) -> Arr:
    """Seconds to stream the weights a step touches from HBM, at peak bandwidth.

    Args:
        costs: The replica.
        tokens: Tokens in the step (decides which MoE experts are touched).

    Returns:
        Seconds.
    """
    touched = costs.dense_weight_bytes
    if costs.expert_bytes.any():
        touched = touched + costs.expert_bytes * experts_touched(costs, tokens)
    return touched / (costs.tp * costs.hbm_bytes_per_s)


def kv_read_s(costs: ReplicaCosts, context_tokens: float | Arr) -> Arr:
    """Seconds to read ``context_tokens`` cached tokens of KV from HBM, at peak bandwidth.

    The cache is split over :attr:`ReplicaCosts.kv_shards` GPUs (see :func:`kv_shards`).

    Args:
        costs: The replica.
        context_tokens: Cached tokens attended to in the step, summed over sequences.

    Returns:
        Seconds.
    """
    return (
        costs.kv_bytes_per_token * _arr(context_tokens) / (costs.kv_shards * costs.hbm_bytes_per_s)
    )


def matmul_flops_s(costs: ReplicaCosts, tokens: float | Arr) -> Arr:
    """Seconds of dense matrix FLOPs (2 per active parameter per token), at peak.

    Args:
        costs: The replica.
        tokens: Tokens in the step.

    Returns:
        Seconds.
    """
    return 2.0 * costs.active_params * _arr(tokens) / (costs.tp * costs.flops_per_s)


def attention_flops_s(costs: ReplicaCosts, pairs: float | Arr) -> Arr:
    """Seconds of attention FLOPs (QKᵀ and AV) over ``pairs`` (query, cached token) pairs.

    A prompt of ``n`` tokens has ``n²/2`` causal pairs; a decode token has one pair per cached
    token.

    Args:
        costs: The replica.
        pairs: Query-key pairs in the step.

    Returns:
        Seconds.
    """
    return costs.attn_flops_per_pair * _arr(pairs) / (costs.tp * costs.flops_per_s)


def allreduce_bytes_s(costs: ReplicaCosts, tokens: float | Arr) -> Arr:
    """Seconds of ring all-reduce traffic: 2 per layer over ``tokens × hidden`` activations.

    Args:
        costs: The replica.
        tokens: Tokens in the step.

    Returns:
        Seconds at the link's bandwidth (0 without tensor parallelism).
    """
    ring = 2.0 * (costs.tp - 1.0) / costs.tp
    volume = 2.0 * costs.layers * _arr(tokens) * costs.hidden * ACT_BYTES * ring
    return volume / costs.link_bytes_per_s


def allreduce_count(costs: ReplicaCosts) -> Arr:
    """All-reduces per step: two per layer when tensor parallel, else none.

    Args:
        costs: The replica.

    Returns:
        Count.
    """
    return np.where(costs.tp > 1.0, 2.0 * costs.layers, 0.0)


def allreduce_s(costs: ReplicaCosts, tokens: float | Arr, latency_s: float | Arr) -> Arr:
    """Seconds of tensor-parallel communication in one step (bandwidth plus per-call latency).

    Args:
        costs: The replica.
        tokens: Tokens in the step.
        latency_s: Latency of one all-reduce call.

    Returns:
        Seconds.
    """
    return allreduce_bytes_s(costs, tokens) + allreduce_count(costs) * _arr(latency_s)


def expert_alltoall_s(costs: ReplicaCosts, tokens: float | Arr) -> Arr:
    """Seconds of expert-parallel all-to-all: tokens dispatched to their experts and combined.

    With experts spread over ``expert_parallel`` GPUs, each routed token's hidden state goes to
    ``top_k`` experts and comes back (dispatch + combine, as in DeepEP and SGLang/TensorRT-LLM
    wide-EP), once per layer; the share ``(ep − 1)/ep`` leaves the GPU. Spread over ``ep``
    GPUs' links. 0 without expert parallelism.

    Args:
        costs: The replica.
        tokens: Tokens in the step.

    Returns:
        Seconds.
    """
    ep = np.maximum(costs.expert_parallel, 1.0)
    leaving = (ep - 1.0) / ep
    volume = 2.0 * _arr(tokens) * costs.top_k * costs.hidden * ACT_BYTES * leaving * costs.layers
    return volume / (ep * costs.link_bytes_per_s)


def step_overhead_s(costs: ReplicaCosts, overhead_s: float | Arr, per_layer_s: float | Arr) -> Arr:
    """Fixed time of one step: scheduling and sampling plus kernel launches per layer.

    Args:
        costs: The replica.
        overhead_s: Per-step host overhead.
        per_layer_s: Per-layer launch overhead.

    Returns:
        Seconds.
    """
    return _arr(overhead_s) + costs.layers * _arr(per_layer_s)


def ridge_penalty(memory_s: float | Arr, prompt_s: float | Arr) -> Arr:
    """Extra time of prompt matmuls near the roofline's ridge point, over ``max(memory, FLOPs)``.

    Prompt GEMMs of a few hundred tokens overlap their weight loads and their tensor-core work
    imperfectly, so they take longer than the larger of the two: a smooth roofline
    ``(m^p + c^p)^(1/p)`` with :data:`ROOFLINE_SHARPNESS` as ``p``, which matters only near the
    ridge. Decode GEMMs (a batch of single tokens) keep the hard roofline; without prompt
    tokens the penalty is 0.

    Args:
        memory_s: Seconds the weight traffic takes alone.
        prompt_s: Seconds the prompt tokens' matmul FLOPs take alone.

    Returns:
        Seconds to add.
    """
    m, c = _arr(memory_s), _arr(prompt_s)
    hi = np.maximum(np.maximum(m, c), 1e-30)
    p = ROOFLINE_SHARPNESS
    return hi * (((m / hi) ** p + (c / hi) ** p) ** (1.0 / p) - 1.0)


@dataclass(frozen=True)
class Efficiency:
    """Calibrated efficiencies for one step (arrays broadcast against the step's shape)."""

    memory: Arr  # achieved / peak HBM bandwidth streaming weights
    kv_memory: Arr  # achieved / peak HBM bandwidth reading the KV cache (attention kernels)
    prefill: Arr  # achieved / peak FLOP/s on prompt tokens
    decode: Arr  # achieved / peak FLOP/s on decode tokens
    overhead_s: Arr  # fixed per-step overhead
    per_layer_s: Arr  # per-layer per-step overhead
    per_seq_s: Arr  # host time per decoding sequence per step
    allreduce_latency_s: Arr  # latency of one all-reduce
    moe: Arr = field(default_factory=lambda: np.ones(()))  # expert GEMMs' share of dense eff.


def moe_slowdown(costs: ReplicaCosts, eff: Efficiency) -> Arr:
    """Factor on matmul FLOP time for routed experts running at a lower efficiency.

    Routed experts run as grouped GEMMs over the few tokens each expert receives, plus token
    permutation, so their FLOPs reach a smaller share of peak than dense layers (``eff.moe``).

    Args:
        costs: The replica.
        eff: Calibrated efficiencies.

    Returns:
        1 for dense models, more for MoE.
    """
    return 1.0 + costs.expert_share * (1.0 / eff.moe - 1.0)


def step_s(
    costs: ReplicaCosts,
    eff: Efficiency,
    *,
    decode_seqs: float | Arr,
    context_tokens: float | Arr,
    prefill_tokens: float | Arr = 0.0,
    prefill_pairs: float | Arr = 0.0,
    verify_tokens: float | Arr = 1.0,
) -> Arr:
    """Seconds of one step: matmuls + attention (each max of memory, FLOPs) + all-reduce + overhead.

    Args:
        costs: The replica.
        eff: Calibrated efficiencies.
        decode_seqs: Sequences decoding.
        context_tokens: Cached tokens the decoding sequences attend to, summed.
        prefill_tokens: Prompt tokens processed in the step.
        prefill_pairs: Causal attention pairs of those prompt tokens.
        verify_tokens: Tokens each decoding sequence runs through the model per step: 1 for
            plain decoding, ``1 + drafted`` when speculative decoding verifies drafted tokens
            (see :func:`speculative_itl_s`).

    Returns:
        Seconds.
    """
    decode = _arr(decode_seqs) * _arr(verify_tokens)
    prefill = _arr(prefill_tokens)
    tokens = decode + prefill
    # The matrix multiplications (weights streamed once for all tokens) and the attention
    # kernels (KV cache read per sequence) run one after the other, each bound by the slower
    # of its memory traffic and its FLOPs.
    slowdown = moe_slowdown(costs, eff)
    weights = weight_read_s(costs, tokens) / eff.memory
    prompt_flops = matmul_flops_s(costs, prefill) / eff.prefill * slowdown
    linear = np.maximum(
        weights, matmul_flops_s(costs, decode) / eff.decode * slowdown + prompt_flops
    ) + ridge_penalty(weights, prompt_flops)
    attention = np.maximum(
        kv_read_s(costs, context_tokens) / eff.kv_memory,
        attention_flops_s(costs, _arr(context_tokens) * _arr(verify_tokens)) / eff.decode
        + attention_flops_s(costs, prefill_pairs) / eff.prefill,
    )
    comm = allreduce_s(costs, tokens, eff.allreduce_latency_s) + expert_alltoall_s(costs, tokens)
    host = (
        step_overhead_s(costs, eff.overhead_s, eff.per_layer_s) + _arr(decode_seqs) * eff.per_seq_s
    )
    return linear + attention + comm + host


def speculative_itl_s(step_time_s: float | Arr, accepted_tokens: float | Arr) -> Arr:
    """Time per output token when each step emits ``accepted_tokens`` per sequence on average.

    Speculative decoding (MTP, EAGLE, n-gram) verifies drafted tokens in one step of the target
    model; the accepted length (1 + expected accepted drafts) is an input, e.g. 1.85 for
    DeepSeek-V3's one MTP module at its reported 85–90 % acceptance of the second token
    (DeepSeek-V3 Technical Report, arXiv:2412.19437, §5.4.3).

    Args:
        step_time_s: Seconds of one verify step (priced with ``verify_tokens``).
        accepted_tokens: Mean tokens emitted per sequence per step (≥ 1).

    Returns:
        Seconds per output token.
    """
    return _arr(step_time_s) / np.maximum(_arr(accepted_tokens), 1.0)


def kv_transfer_s(costs: ReplicaCosts, prompt_tokens: float | Arr) -> Arr:
    """Seconds to ship a prompt's KV cache from a prefill worker to a decode worker.

    Disaggregated serving (Dynamo, llm-d, SGLang PD, MoRI) moves ``kv_bytes_per_token ×
    prompt`` over the network, spread over the decode replica's GPUs, each on its own
    :data:`INTER_NODE_BYTES_PER_S` NIC.

    Args:
        costs: The decode replica.
        prompt_tokens: Prompt tokens whose KV moves.

    Returns:
        Seconds.
    """
    volume = costs.kv_bytes_per_token * _arr(prompt_tokens)
    return volume / (costs.kv_shards * INTER_NODE_BYTES_PER_S)
