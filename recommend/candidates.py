"""Candidate configurations: models fit for the task × GPUs allowed × precisions × TP sizes.

A *model family* here is every catalog checkpoint of one architecture under one license line
and context length (``meta-llama/Llama-3.1-70B``, ``…-3.3-70B-Instruct``,
``nvidia/Llama-3.3-70B-Instruct-FP8``); one checkpoint of a family stands for it at each
precision, so the same weights are never ranked twice. This module only enumerates; it never
decides feasibility (that is :mod:`recommend.rules`) and never predicts performance.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from domain.catalog import GpuSpec, ModelSpec
from domain.requirements import GpuFamily, Requirements, Task
from domain.serving import Precision, ServingTechniques
from simulate.memory import kv_bytes_per_token

# Ampere GPUs run FP8 weights through vLLM's weight-only (Marlin) kernels; Turing cannot.
_FP8_WEIGHT_ONLY = frozenset({GpuFamily.A100, GpuFamily.A10G, GpuFamily.A30})
# Checkpoints a GPU vendor quantized for its own hardware (amd/…-FP8-KV, nvidia/…-FP4).
_GPU_VENDOR_ORGS = frozenset({"nvidia", "amd", "intel"})
# Turing has no bf16; vLLM serves 16-bit weights as fp16 there.
_NO_BF16 = frozenset({GpuFamily.T4})
# MXFP4 checkpoints (gpt-oss) run natively on these: vllm-project/recipes OpenAI/GPT-OSS.md
# (H100, H200, B200, MI300X, MI325X, MI355X; A100 through Marlin MXFP4 MoE kernels).
_MXFP4_FAMILIES = frozenset(
    {
        GpuFamily.A100,
        GpuFamily.H100,
        GpuFamily.H200,
        GpuFamily.GH200,
        GpuFamily.B200,
        GpuFamily.B300,
        GpuFamily.GB200,
        GpuFamily.GB300,
        GpuFamily.MI300X,
        GpuFamily.MI325X,
        GpuFamily.MI355X,
    }
)
# Published scores measured in a setting a short-answer serving budget does not reproduce.
_UNSERVED_SETTINGS = ("high reasoning effort",)
_TP_SIZES = (1, 2, 4, 8)
# Quality lost to quantization, in benchmark points (published FP8/AWQ evaluations lose ~0-2).
MMLU_FROM_PRO = (34.8, 0.716)  # MMLU ≈ 34.8 + 0.716 × MMLU-Pro (Llama 3.1 Instruct fit)
QUALITY_PENALTY = {"fp8": 0.5, "int8": 0.5, "int4": 3.0, "fp4": 1.5}


@dataclass(frozen=True)
class ModelFamily:
    """Checkpoints of one architecture that serve the same model."""

    key: str
    members: tuple[ModelSpec, ...]
    named: bool


@dataclass(frozen=True)
class Candidate:
    """One configuration to check: a checkpoint at a precision on ``tensor_parallel`` GPUs."""

    model: ModelSpec
    family: ModelFamily
    gpu: GpuSpec
    precision: Precision
    tensor_parallel: int  # GPUs of one (decode) replica, whatever their parallel layout
    quantization: str | None  # vLLM --quantization when weights are quantized at load time
    techniques: ServingTechniques = field(default_factory=ServingTechniques)  # EP/DP, MTP, P/D

    @property
    def group(self) -> tuple[str, str, str, str]:
        """(family, GPU, precision, technique): configurations that differ only in TP size."""
        return (self.family.key, self.gpu.name, self.precision.value, technique_label(self))

    def prefill_replicas(self, replicas: int) -> int:
        """Prefill replicas a disaggregated option runs beside ``replicas`` decode replicas.

        Args:
            replicas: Decode replicas.

        Returns:
            0 when the option is not disaggregated.
        """
        t = self.techniques
        if not t.disaggregated:
            return 0
        return max(1, math.ceil(replicas * t.prefill_per_decode - 1e-9))

    @property
    def gpus_per_replica(self) -> float:
        """GPUs per (decode) replica on average, its share of a prefill pool included."""
        t = self.techniques
        return self.tensor_parallel + t.prefill_per_decode * t.prefill_tensor_parallel

    def gpus_for(self, replicas: int) -> int:
        """GPUs of ``replicas`` replicas, a disaggregated option's prefill pool included.

        Args:
            replicas: (Decode) replicas.

        Returns:
            GPUs.
        """
        prefill = self.prefill_replicas(replicas) * self.techniques.prefill_tensor_parallel
        return replicas * self.tensor_parallel + prefill

    @cached_property
    def quality(self) -> float:
        """The model's MMLU-scale score less the quantization penalty (computed once).

        Returns:
            Score.
        """
        if self.model.weight_format and self.precision.value == self.model.native_precision:
            return quality_score(self.model)  # scores were measured on the released weights
        return quality_score(self.model) - QUALITY_PENALTY.get(self.precision.value, 0.0)

    @property
    def label(self) -> str:
        """Short human name.

        Returns:
            E.g. ``meta-llama/Llama-3.1-8B fp8 on 2× H100-SXM-80GB``.
        """
        label = technique_label(self)
        return (
            f"{self.model.hf_id} {self.precision.value} on {self.tensor_parallel}× {self.gpu.name}"
            + (f" ({label})" if label else "")
        )


def technique_label(candidate: Candidate) -> str:
    """The serving techniques of a candidate in a few words ("" for plain tensor parallelism).

    Args:
        candidate: The configuration.

    Returns:
        E.g. "EP8 + DP-attention, MTP" or "prefill/decode split 1:2".
    """
    t = candidate.techniques
    parts = []
    if t.expert_parallel > 1:
        parts.append(f"EP{t.expert_parallel}" + (" + DP-attention" if t.dp_attention else ""))
    if t.speculative:
        parts.append(t.speculative.upper() if t.speculative == "mtp" else t.speculative)
    if t.disaggregated:
        decode = round(1 / t.prefill_per_decode) if t.prefill_per_decode < 1 else 1
        prefill = round(t.prefill_per_decode) if t.prefill_per_decode >= 1 else 1
        parts.append(f"prefill/decode split {prefill}:{decode}")
    return ", ".join(parts)


def license_stem(model: ModelSpec) -> str:
    """The licence line of a model without its version ("llama3.1" → "llama").

    Args:
        model: The model.

    Returns:
        The alphabetic prefix of its licence name.
    """
    match = re.match(r"[a-z]+", model.license.lower())
    return match.group(0) if match else model.license.lower()


def _family_key(model: ModelSpec) -> str:
    return f"{model.base_id or model.hf_id}|{license_stem(model)}|{model.max_context}"


def model_families(models: Mapping[str, ModelSpec], named: Sequence[str] = ()) -> list[ModelFamily]:
    """Group the catalog into families; only the families of ``named`` ids when some are named.

    Args:
        models: The model catalog.
        named: Catalog ids the requirements name (already resolved).

    Returns:
        The families, in catalog order.
    """
    groups: dict[str, list[ModelSpec]] = {}
    for model in models.values():
        groups.setdefault(_family_key(model), []).append(model)
    wanted = {_family_key(models[hf_id]) for hf_id in named}
    return [
        ModelFamily(key=key, members=tuple(members), named=key in wanted)
        for key, members in groups.items()
        if not wanted or key in wanted
    ]


def quality_of(model: ModelSpec) -> float | None:
    """The model's published MMLU score (0-100), on one scale; None when none is published.

    MMLU is the one score most catalog models publish. Where only MMLU-Pro is published it is
    mapped onto MMLU by the straight line through Llama 3.1 8B/70B/405B Instruct, which publish
    both (48.3→69.4, 66.4→83.6, 73.3→87.3). Other benchmarks are not mixed in, and a score
    measured in a setting Preflight does not serve (gpt-oss at high reasoning effort, whose long
    reasoning the short-answer token budget leaves out) is not used.

    Args:
        model: The checkpoint.

    Returns:
        MMLU-scale score or None.
    """
    served = [
        q for q in model.quality if not any(s in q.benchmark.lower() for s in _UNSERVED_SETTINGS)
    ]
    mmlu = [q.score for q in served if q.benchmark.upper().startswith("MMLU (")]
    mmlu += [q.score for q in served if q.benchmark.upper() == "MMLU"]
    if mmlu:
        return max(mmlu)
    pro = [q.score for q in served if q.benchmark.upper().startswith("MMLU-PRO")]
    return MMLU_FROM_PRO[0] + MMLU_FROM_PRO[1] * max(pro) if pro else None


def size_quality(model: ModelSpec) -> float:
    """A stand-in MMLU-scale score from model size, for models that publish none.

    ``49 + 17 × log10(effective billions)``, effective = sqrt(total × active) for MoE; a rough
    fit to the Llama 3.x Instruct family's published MMLU (1B 49, 3B 63, 8B 69, 70B 84).

    Args:
        model: The checkpoint.

    Returns:
        The stand-in score.
    """
    effective = math.sqrt(model.params_b * model.active_b)
    return 49.0 + 17.0 * math.log10(max(effective, 0.1))


def quality_score(model: ModelSpec) -> float:
    """Published MMLU-scale quality, or the size stand-in when none is published.

    Args:
        model: The checkpoint.

    Returns:
        Score, 0-100 scale.
    """
    published = quality_of(model)
    return published if published is not None else size_quality(model)


def fits_task(family: ModelFamily, task: Task) -> bool:
    """Whether any checkpoint of the family is tagged for ``task`` (untagged catalogs: all fit).

    Args:
        family: The model family.
        task: The task.

    Returns:
        True when the family may serve the task.
    """
    tagged = [member for member in family.members if member.tasks]
    return not tagged or any(task in member.tasks for member in tagged)


def family_profile(family: ModelFamily, task: Task) -> tuple[float, float, float, float]:
    """What makes a family cheaper and better, all "lower is better": (parameters, active
    parameters, KV bytes per token, −quality of its best checkpoint for the task).

    A family no worse than another on all four (and better on one) is never worth sizing.

    Args:
        family: The family.
        task: The task (checkpoints tagged for it count for quality).

    Returns:
        The profile.
    """
    tagged = [m for m in family.members if task in m.tasks or not m.tasks] or list(family.members)
    model = family.members[0]
    return (
        model.params_b,
        model.active_b,
        kv_bytes_per_token(model),
        -max(quality_score(m) for m in tagged),
    )


def _is_16bit(precision: str) -> bool:
    return precision in ("bf16", "fp16")


def _representative(
    family: ModelFamily, precision: Precision, named: frozenset[str], task: Task, vendor: str
) -> ModelSpec | None:
    """The checkpoint that stands for the family at ``precision`` on a GPU of ``vendor``.

    A model the requirements name stands for its family whenever it is fit for the task and can
    serve at ``precision`` — as released, or quantized at load time — so the named model is the
    one recommended. Otherwise (a base architecture named for a chat task, say): tagged for the
    task, not a checkpoint another GPU vendor quantized for its own hardware, highest published
    quality, instruct, the base id.
    """
    chosen = [m for m in family.members if is_named(m, named) and (task in m.tasks or not m.tasks)]
    if chosen:
        own = [m for m in chosen if m.native_precision == precision.value]
        loadable = [m for m in chosen if _is_16bit(m.native_precision)]
        pool = own or (loadable if precision.value in ("fp8", "int4") else [])
        if pool:
            return max(pool, key=lambda m: (task in m.tasks or not m.tasks, m.instruct))
    if _is_16bit(precision.value):
        pool = [m for m in family.members if _is_16bit(m.native_precision)]
    else:
        native = [m for m in family.members if m.native_precision == precision.value]
        pool = native or [m for m in family.members if _is_16bit(m.native_precision)]
    if not pool:
        return None
    return max(
        pool,
        key=lambda m: (
            task in m.tasks or not m.tasks,
            m.hf_id.split("/")[0].lower() not in _GPU_VENDOR_ORGS - {vendor.lower()},
            quality_of(m) or 0.0,
            m.hf_id in named,
            m.instruct,
            m.base_id is None,
        ),
    )


def is_named(model: ModelSpec, named: frozenset[str] | Sequence[str]) -> bool:
    """Whether the requirements name exactly this checkpoint.

    Requirements name catalog ids; an id that stands for an architecture (the evaluation
    schema maps "Llama 3.3 70B Instruct" to ``meta-llama/Llama-3.1-70B``) is matched exactly,
    and the checkpoint serving it is then chosen for the task.

    Args:
        model: The checkpoint.
        named: Catalog ids the requirements name.

    Returns:
        True when it is the named model.
    """
    return model.hf_id in named


def precisions_for(family: ModelFamily, gpu: GpuSpec) -> list[Precision]:
    """Precisions the hardware and the family's checkpoints allow (the stance is a rule).

    16-bit where a 16-bit checkpoint exists; FP8 on GPUs with FP8 maths or Ampere's
    weight-only kernels (16-bit checkpoints only: a checkpoint released at 4 bits is served as
    released); FP4 checkpoints on GPUs with FP4 maths, and MXFP4 ones (gpt-oss) on the GPUs
    vLLM's recipe names; AWQ int4 on NVIDIA GPUs.

    Args:
        family: The model family.
        gpu: The GPU.

    Returns:
        Precisions to try, widest first.
    """
    natives = {m.native_precision for m in family.members}
    sixteen = Precision.FP16 if gpu.family in _NO_BF16 else Precision.BF16
    result = [sixteen] if any(_is_16bit(p) for p in natives) else []
    sixteen_bit = any(_is_16bit(p) for p in natives) or "fp8" in natives
    if sixteen_bit and (gpu.fp8_tflops or gpu.family in _FP8_WEIGHT_ONLY):
        result.append(Precision.FP8)
    mxfp4 = any(m.weight_format == "mxfp4" for m in family.members)
    if "fp4" in natives and (gpu.fp4_tflops or (mxfp4 and gpu.family in _MXFP4_FAMILIES)):
        result.append(Precision.FP4)
    if gpu.vendor == "NVIDIA" and any(_is_16bit(p) for p in natives):
        result.append(Precision.INT4)
    return result


def unservable_on(family: ModelFamily, gpu: GpuSpec) -> str | None:
    """Why no precision of a family runs on a GPU, or None when one does.

    Args:
        family: The model family.
        gpu: The GPU.

    Returns:
        The reason, naming the source of the rule (see :func:`precisions_for`).
    """
    if precisions_for(family, gpu):
        return None
    if any(m.weight_format == "mxfp4" for m in family.members):
        # The recipe names H100, H200, B200, MI300X/MI325X/MI355X, and A100 through Marlin.
        return (
            "vLLM's recipe serves its MXFP4 weights on H100, H200, B200, A100 or MI300X-class "
            f"GPUs, not {gpu.name} (vllm-project/recipes GPT-OSS.md)"
        )
    natives = "/".join(sorted({m.native_precision for m in family.members}))
    return f"its checkpoints ship as {natives}, which {gpu.name} has no vLLM kernels for"


def _load_time_quantization(model: ModelSpec, precision: Precision) -> str | None:
    if precision.value == model.native_precision or _is_16bit(precision.value):
        return None
    # No AWQ/GPTQ checkpoints in the catalog: 4-bit weights are quantized in flight.
    return {"fp8": "fp8", "int4": "bitsandbytes"}.get(precision.value)


def tp_sizes(model: ModelSpec, max_gpus: int | None) -> list[int]:
    """Tensor-parallel sizes vLLM accepts for a model (heads divide evenly), within a GPU cap.

    Args:
        model: The checkpoint.
        max_gpus: The requirements' ceiling on GPUs, if any.

    Returns:
        TP sizes, smallest first.
    """
    return [
        tp for tp in _TP_SIZES if model.heads % tp == 0 and (max_gpus is None or tp <= max_gpus)
    ]


def enumerate_candidates(
    families: Iterable[ModelFamily],
    gpus: Iterable[GpuSpec],
    requirements: Requirements,
    task: Task,
) -> list[Candidate]:
    """Every (checkpoint, GPU, precision, TP) combination worth checking.

    Args:
        families: Model families that passed the model-level rules.
        gpus: GPUs that passed the GPU-level rules.
        requirements: The requirements (GPU ceiling, named models).
        task: The task served (prefers checkpoints tagged for it).

    Returns:
        The candidates; feasibility is checked later.
    """
    named = frozenset(requirements.models)
    gpu_list = list(gpus)
    result: list[Candidate] = []
    for family in families:
        for gpu in gpu_list:
            for precision in precisions_for(family, gpu):
                model = _representative(family, precision, named, task, gpu.vendor)
                if model is None:
                    continue
                quantization = _load_time_quantization(model, precision)
                result.extend(
                    Candidate(model, family, gpu, precision, tp, quantization)
                    for tp in tp_sizes(model, requirements.max_gpus)
                )
    return result


def option_quality(candidate: Candidate) -> float:
    """Quality of a configuration: the model's MMLU-scale score less the quantization penalty.

    Args:
        candidate: The configuration.

    Returns:
        Score.
    """
    return candidate.quality
