"""What a published checkpoint already is: the quantization its config declares, if any.

vLLM reads ``quantization_config.quant_method`` from a checkpoint's ``config.json`` (or ModelOpt's
``hf_quant_config.json``) and uses it; a ``--quantization`` flag that differs is refused at start-up
(``vllm/config/model.py``, ``ModelConfig._verify_quantization``: "Quantization method specified in
the model config (…) does not match the quantization method specified in the `quantization`
argument (…)"). So ``--quantization`` is only ever passed to quantize 16-bit weights at load time,
never for a pre-quantized checkpoint; and a pre-quantized checkpoint's weights — what host memory,
disk and download time are sized from — are its own precision, whatever the option says.

The catalog's weight format (``ModelSpec.weight_format``) is used first; then the table below,
each entry naming the file it was read from; models in neither are taken as 16-bit checkpoints.

This module must not render or read settings.
"""

from __future__ import annotations

from deploy.catalog_view import catalog_models
from domain.base import Frozen
from domain.serving import Precision


class Checkpoint(Frozen):
    """A checkpoint's declared quantization (None = 16-bit weights) and its weight precision."""

    quant_method: str | None
    precision: Precision
    source: str


_BF16 = Checkpoint(quant_method=None, precision=Precision.BF16, source="16-bit checkpoint")

# quant_method → the weight precision it stores (for sizing memory and downloads).
QUANT_PRECISION: dict[str, Precision] = {
    "mxfp4": Precision.FP4,  # MoE expert weights in MXFP4; the rest stays bf16
    "modelopt": Precision.FP8,
    "modelopt_fp4": Precision.FP4,
    "fp8": Precision.FP8,
    "fbgemm_fp8": Precision.FP8,
    "quark": Precision.FP8,  # AMD's FP8-KV checkpoints (FP8 W8A8)
    "compressed-tensors": Precision.FP8,
    "awq": Precision.INT4,
    "gptq": Precision.INT4,
}

_MODELOPT = (
    "hf_quant_config.json quantization.quant_algo = {algo} (huggingface.co/{id}); vLLM reads it "
    "as {method} (vllm/model_executor/layers/quantization/modelopt.py)"
)
_FP8_CONFIG = "config.json quantization_config.quant_method = {method} (huggingface.co/{id})"
_QUARK = "quantized with AMD Quark, FP8 W8A8 + FP8 KV (model card, huggingface.co/{id})"

_TABLE: dict[str, tuple[str, str]] = {
    "deepseek-ai/DeepSeek-V3": ("fp8", _FP8_CONFIG),
    "deepseek-ai/DeepSeek-R1": ("fp8", _FP8_CONFIG),
    "Qwen/Qwen3-30B-A3B-FP8": ("fp8", _FP8_CONFIG),
    "meta-llama/Llama-3.1-405B-FP8": ("fbgemm_fp8", _FP8_CONFIG),
    "amd/Llama-3.1-405B-Instruct-FP8-KV": ("quark", _QUARK),
}


def checkpoint_of(model: str) -> Checkpoint:
    """Return what the published checkpoint of a model id declares.

    The catalog's ``weight_format`` (knowledge/data/model_facts.yaml) is used first, then the
    table above; anything else is a 16-bit checkpoint.

    Args:
        model: Hugging Face model id.

    Returns:
        Its quantization method (None for 16-bit weights), weight precision and source.
    """
    spec = catalog_models().get(model)
    if spec is not None and spec.weight_format:
        method = spec.weight_format
        precision = QUANT_PRECISION.get(method) or Precision(spec.native_precision)
        text = f"catalog weight_format = {method} (knowledge/data/model_facts.yaml)"
        return Checkpoint(quant_method=method, precision=precision, source=text)
    if model in _TABLE:
        method, source = _TABLE[model]
        text = source.format(id=model, method=method, algo="")
        return Checkpoint(quant_method=method, precision=QUANT_PRECISION[method], source=text)
    if model.startswith("nvidia/") and model.upper().endswith(("-FP8", "-FP4")):
        fp4 = model.upper().endswith("-FP4")
        method, algo = ("modelopt_fp4", "NVFP4") if fp4 else ("modelopt", "FP8")
        text = _MODELOPT.format(id=model, algo=algo, method=method)
        return Checkpoint(quant_method=method, precision=QUANT_PRECISION[method], source=text)
    return _BF16
