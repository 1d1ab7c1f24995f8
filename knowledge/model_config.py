"""A model's ``config.json`` → the architecture figures the simulator needs, each with its source.

Only architectures whose weight layout is written down here are sized; each names the vLLM model
file that serves it (``vllm/model_executor/models/…``, vLLM v0.11), whose layers the parameter
count follows. Any other ``model_type`` is an
:class:`~domain.errors.UnsupportedArchitectureError` that says what to do, never a guess.

Parameter counts follow the curated catalog's convention (``knowledge/data/models.csv``):
embeddings + per layer (attention + MLP or experts), norms and biases ignored; MoE *active*
parameters are every parameter except the routed experts a token does not visit, both embedding
matrices included, as Mixtral, Qwen3-MoE and DeepSeek-V3 count them on their model cards.

This module is pure: it reads the dictionaries it is given and never touches the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from domain.errors import UnsupportedArchitectureError

Mlp = Literal["dense", "mixtral", "qwen_moe", "deepseek", "gpt_oss"]


@dataclass(frozen=True)
class Layout:
    """How one ``model_type`` lays out its weights.

    Attributes:
        mlp: The MLP kind: gated dense, or which MoE layout.
        mla: Multi-head latent attention (DeepSeek) instead of per-head K/V projections.
        tied_by_default: Whether input and output embeddings are shared when the config is silent.
        vllm: The vLLM model file serving it.
    """

    mlp: Mlp
    mla: bool = False
    tied_by_default: bool = False
    vllm: str = ""


_VLLM = "vllm/model_executor/models/"
LAYOUTS: dict[str, Layout] = {
    "llama": Layout("dense", vllm=_VLLM + "llama.py"),
    "mistral": Layout("dense", vllm=_VLLM + "llama.py"),
    "granite": Layout("dense", vllm=_VLLM + "granite.py"),
    "phi3": Layout("dense", vllm=_VLLM + "phi3.py"),
    "qwen2": Layout("dense", vllm=_VLLM + "qwen2.py"),
    "qwen3": Layout("dense", vllm=_VLLM + "qwen3.py"),
    "mimo": Layout("dense", vllm=_VLLM + "mimo.py"),  # MiMoModel(Qwen2Model) + MTP layers
    "gemma": Layout("dense", tied_by_default=True, vllm=_VLLM + "gemma.py"),
    "gemma2": Layout("dense", tied_by_default=True, vllm=_VLLM + "gemma2.py"),
    "gemma3_text": Layout("dense", tied_by_default=True, vllm=_VLLM + "gemma3.py"),
    "mixtral": Layout("mixtral", vllm=_VLLM + "mixtral.py"),
    "qwen2_moe": Layout("qwen_moe", vllm=_VLLM + "qwen2_moe.py"),
    "qwen3_moe": Layout("qwen_moe", vllm=_VLLM + "qwen3_moe.py"),
    "deepseek_v2": Layout("deepseek", mla=True, vllm=_VLLM + "deepseek_v2.py"),
    "deepseek_v3": Layout("deepseek", mla=True, vllm=_VLLM + "deepseek_v2.py"),
    "kimi_k2": Layout("deepseek", mla=True, vllm=_VLLM + "deepseek_v2.py"),
    "gpt_oss": Layout("gpt_oss", vllm=_VLLM + "gpt_oss.py"),
}
ARCHITECTURE_FIELDS = (
    "params_b",
    "active_params_b",
    "layers",
    "hidden",
    "heads",
    "kv_heads",
    "head_dim",
    "intermediate",
    "vocab",
    "max_context",
    "moe_experts",
    "moe_top_k",
    "attention",
    "sliding_window",
    "kv_lora_rank",
)
"""The ModelSpec fields a config.json gives, in the order they are shown."""
_CONTEXT_KEYS = ("max_position_embeddings", "max_sequence_length", "seq_length", "n_positions")
_COMPRESSED: dict[tuple[object, object], str] = {
    (8, "float"): "fp8",
    (8, "int"): "int8",
    (4, "int"): "int4",
    (4, "float"): "fp4",
}
_DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "bf16"}


@dataclass
class Architecture:
    """The figures read or computed from one config, and where each came from.

    Attributes:
        fields: ModelSpec field → value.
        sources: ModelSpec field → the config key it was read from, or how it was computed.
    """

    fields: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def put(self, name: str, value: Any, source: str) -> None:
        """Record one figure and its source.

        Args:
            name: The ModelSpec field.
            value: Its value.
            source: Where it came from.
        """
        self.fields[name] = value
        self.sources[name] = source


class _Config:
    """Reads typed keys from a config mapping, naming the model in every error."""

    def __init__(self, config: Mapping[str, Any], label: str) -> None:
        self.config = config
        self.label = label

    def number(self, *keys: str) -> tuple[int, str] | None:
        for key in keys:
            value = self.config.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value, key
        return None

    def need(self, *keys: str) -> tuple[int, str]:
        found = self.number(*keys)
        if found is None:
            raise UnsupportedArchitectureError(
                f"{self.label}: config.json has no usable {' / '.join(keys)}",
                hint="Preflight sizes a model from its config.json; add the model to the "
                "curated catalog (knowledge/data/models.csv) with its source instead",
            )
        return found


def text_config(config: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    """The language-model part of a config: itself, or its ``text_config`` for multimodal ones.

    Args:
        config: The parsed ``config.json``.

    Returns:
        The mapping to size and the key path it sits at ("" or "text_config.").
    """
    inner = config.get("text_config")
    if str(config.get("model_type")) not in LAYOUTS and isinstance(inner, Mapping):
        return inner, "text_config."
    return config, ""


def layout_of(config: Mapping[str, Any], label: str) -> Layout:
    """The weight layout of a config's ``model_type``.

    Args:
        config: The (text) config.
        label: The model as named in messages, ``org/name@rev``.

    Returns:
        Its layout.

    Raises:
        UnsupportedArchitectureError: For a model type Preflight cannot size.
    """
    model_type = str(config.get("model_type") or "")
    layout = LAYOUTS.get(model_type)
    if layout is None:
        names = ", ".join(config.get("architectures") or []) or "no architectures listed"
        raise UnsupportedArchitectureError(
            f"{label}: Preflight cannot size architecture {names} "
            f"(model_type {model_type or 'missing'!r}) yet",
            hint=f"supported model types: {', '.join(sorted(LAYOUTS))}; or add the model to the "
            "curated catalog (knowledge/data/models.csv) with its source",
        )
    return layout


def _attention_params(cfg: _Config, arch: Architecture, layout: Layout) -> int:
    """Weights of one attention block; records head figures (MLA reads its own ranks)."""
    hidden: int = arch.fields["hidden"]
    heads: int = arch.fields["heads"]
    kv_heads: int = arch.fields["kv_heads"]
    if layout.mla:
        nope, _ = cfg.need("qk_nope_head_dim")
        rope, _ = cfg.need("qk_rope_head_dim")
        v_dim, _ = cfg.need("v_head_dim")
        kv_rank, _ = cfg.need("kv_lora_rank")
        arch.put("head_dim", nope + rope, "config.json qk_nope_head_dim + qk_rope_head_dim")
        arch.put("kv_lora_rank", kv_rank, "config.json kv_lora_rank")
        q_rank = cfg.number("q_lora_rank")
        query = (
            hidden * q_rank[0] + q_rank[0] * heads * (nope + rope)
            if q_rank
            else hidden * heads * (nope + rope)
        )
        return (
            query
            + hidden * (kv_rank + rope)
            + kv_rank * heads * (nope + v_dim)
            + (heads * v_dim * hidden)
        )
    head = cfg.number("head_dim")
    head_dim = head[0] if head else hidden // heads
    arch.put("head_dim", head_dim, "config.json head_dim" if head else "hidden_size / heads")
    return 2 * hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim


def _moe_layer_count(cfg: _Config, layout: Layout, layers: int) -> int:
    """Layers whose MLP is a mixture of experts (the rest are dense)."""
    config = cfg.config
    if layout.mlp == "qwen_moe":
        step = (cfg.number("decoder_sparse_step") or (1, ""))[0]
        dense = set(config.get("mlp_only_layers") or [])
        return sum(1 for i in range(layers) if i not in dense and (i + 1) % step == 0)
    if layout.mlp == "deepseek":
        first = (cfg.number("first_k_dense_replace") or (0, ""))[0]
        freq = (cfg.number("moe_layer_freq") or (1, ""))[0]
        return sum(1 for i in range(layers) if i >= first and i % freq == 0)
    return layers


def _mlp_params(cfg: _Config, arch: Architecture, layout: Layout) -> tuple[int, int, str]:
    """Total and active MLP weights over all layers, and how they were counted."""
    hidden, layers = arch.fields["hidden"], arch.fields["layers"]
    inter, key = cfg.need("intermediate_size")
    arch.put("intermediate", inter, f"config.json {key}")
    dense_block = 3 * hidden * inter  # gate, up and down projections
    if layout.mlp == "dense":
        return layers * dense_block, layers * dense_block, "layers × 3 × hidden × intermediate"
    experts, e_key = cfg.need("num_local_experts", "num_experts", "n_routed_experts")
    top_k, k_key = cfg.need("num_experts_per_tok", "experts_per_token", "num_experts_per_token")
    arch.put("moe_experts", experts, f"config.json {e_key}")
    arch.put("moe_top_k", top_k, f"config.json {k_key}")
    expert_inter = inter
    if layout.mlp in ("qwen_moe", "deepseek"):
        expert_inter = cfg.need("moe_intermediate_size")[0]
    expert = 3 * hidden * expert_inter
    shared = 0
    if layout.mlp == "deepseek":
        shared = (cfg.number("n_shared_experts") or (0, ""))[0] * expert
    elif cfg.number("shared_expert_intermediate_size"):
        shared = 3 * hidden * cfg.need("shared_expert_intermediate_size")[0] + hidden
    router = hidden * experts
    moe_layers = _moe_layer_count(cfg, layout, layers)
    dense_layers = layers - moe_layers
    total = moe_layers * (experts * expert + shared + router) + dense_layers * dense_block
    active = moe_layers * (top_k * expert + shared + router) + dense_layers * dense_block
    how = (
        f"{moe_layers} MoE layers × ({e_key} experts + shared + router), "
        f"{dense_layers} dense layers; active: {k_key} experts per token"
    )
    return total, active, how


def _attention_kind(cfg: _Config, arch: Architecture, layout: Layout) -> None:
    if layout.mla:
        arch.put("attention", "MLA", "config.json kv_lora_rank (multi-head latent attention)")
        return
    kind = "MHA" if arch.fields["kv_heads"] == arch.fields["heads"] else "GQA"
    window = cfg.number("sliding_window")
    if window and cfg.config.get("use_sliding_window") is not False:
        arch.put("sliding_window", window[0], "config.json sliding_window")
        kind += f" + sliding window {window[0]}"
    arch.put("attention", kind, "config.json num_key_value_heads vs num_attention_heads")


def derive_architecture(config: Mapping[str, Any], label: str) -> Architecture:
    """Sizes from a config: layers, hidden, heads, KV heads, head dim, experts, context, params.

    Args:
        config: The parsed ``config.json``.
        label: The model as named in messages, ``org/name@rev``.

    Returns:
        The figures and the source of each.

    Raises:
        UnsupportedArchitectureError: When the model type is unknown or a key is missing.
    """
    inner, prefix = text_config(config)
    layout = layout_of(inner, label)
    cfg = _Config(inner, label)
    arch = Architecture()
    for name, keys in (
        ("layers", ("num_hidden_layers", "n_layer")),
        ("hidden", ("hidden_size", "n_embd")),
        ("heads", ("num_attention_heads", "n_head")),
        ("vocab", ("vocab_size",)),
    ):
        value, key = cfg.need(*keys)
        arch.put(name, value, f"config.json {prefix}{key}")
    kv = cfg.number("num_key_value_heads")
    arch.put("kv_heads", kv[0] if kv else arch.fields["heads"], "config.json num_key_value_heads")
    context, key = cfg.need(*_CONTEXT_KEYS)
    arch.put("max_context", context, f"config.json {prefix}{key}")
    attention = _attention_params(cfg, arch, layout) * arch.fields["layers"]
    mlp_total, mlp_active, how = _mlp_params(cfg, arch, layout)
    _attention_kind(cfg, arch, layout)
    tied = inner.get("tie_word_embeddings", config.get("tie_word_embeddings"))
    tied = layout.tied_by_default if tied is None else bool(tied)
    embeddings = arch.fields["vocab"] * arch.fields["hidden"] * (1 if tied else 2)
    basis = (
        f"computed from config.json ({layout.vllm} layout): embeddings "
        f"({'tied' if tied else 'input + output'}) + attention + {how}; norms and biases ignored"
    )
    arch.put("params_b", round((embeddings + attention + mlp_total) / 1e9, 2), basis)
    if "moe_experts" in arch.fields:
        arch.put("active_params_b", round((embeddings + attention + mlp_active) / 1e9, 2), basis)
    return arch


def _compressed_tensors(quant: Mapping[str, Any]) -> str | None:
    for group in (quant.get("config_groups") or {}).values():
        weights = group.get("weights") or {}
        found = _COMPRESSED.get((weights.get("num_bits"), weights.get("type")))
        if found:
            return found
    return None


def _quantized(quant: Mapping[str, Any], where: str) -> tuple[str, str] | None:
    """The weight precision a quantization config states, or None when it says none."""
    method = str(quant.get("quant_method") or "").lower()
    algo = str(quant.get("quant_algo") or (quant.get("quantization") or {}).get("quant_algo") or "")
    if method == "mxfp4":
        return "fp4", f"{where}.quant_method = mxfp4 (MXFP4 expert weights)"
    if method == "fp8" or algo.upper().startswith("FP8"):
        return "fp8", f"{where}: FP8 weights ({method or algo})"
    if "FP4" in algo.upper():
        return "fp4", f"{where}.quant_algo = {algo}"
    if method == "compressed-tensors":
        precision = _compressed_tensors(quant)
        return (precision, f"{where}.config_groups weights") if precision else None
    if method in ("awq", "gptq", "awq_marlin", "gptq_marlin"):
        bits = quant.get("bits") or quant.get("w_bit") or 4
        return ("int8" if bits == 8 else "int4"), f"{where}: {method} {bits}-bit weights"
    if method == "bitsandbytes":
        return ("int4" if quant.get("load_in_4bit") else "int8"), f"{where}: bitsandbytes"
    return None


def weight_format(config: Mapping[str, Any], extra_quant: Mapping[str, Any] | None = None) -> str:
    """The format quantized weights were released in (``mxfp4``, ``fp8``, ``awq`` …), else "".

    Args:
        config: The parsed ``config.json``.
        extra_quant: A separate quantization file (``hf_quant_config.json``), if any.

    Returns:
        The quantization method (ModelOpt's algorithm, e.g. ``nvfp4``), lower-cased; "" when the
        weights are not quantized.
    """
    quant = config.get("quantization_config")
    for found in (quant if isinstance(quant, Mapping) else None, extra_quant):
        if found and _quantized(found, "") is not None:
            algo = found.get("quant_algo") or (found.get("quantization") or {}).get("quant_algo")
            return str(found.get("quant_method") or algo or "").lower()
    return ""


def native_precision(
    config: Mapping[str, Any], extra_quant: Mapping[str, Any] | None = None
) -> tuple[str, str]:
    """The precision the published weights are stored in, and where that was read.

    Args:
        config: The parsed ``config.json``.
        extra_quant: A separate quantization file (``hf_quant_config.json`` of NVIDIA ModelOpt
            checkpoints), when the repository has one.

    Returns:
        (precision, source): one of bf16, fp16, fp8, int8, int4, fp4.
    """
    quant = config.get("quantization_config")
    if isinstance(quant, Mapping):
        found = _quantized(quant, "config.json quantization_config")
        if found:
            return found
    if extra_quant:
        found = _quantized(extra_quant, "hf_quant_config.json quantization")
        if found:
            return found
    inner, prefix = text_config(config)
    dtype = str(config.get("torch_dtype") or config.get("dtype") or inner.get("torch_dtype") or "")
    if dtype in _DTYPES:
        note = " (32-bit weights are served at 16 bits)" if dtype == "float32" else ""
        return _DTYPES[dtype], f"config.json {prefix}torch_dtype = {dtype}{note}"
    return "bf16", "config.json states no dtype; bf16 assumed"
