"""Benchmark rows → simulator inputs: what a measured run asked of its deployment, and what it got.

A record (parsed from a row of the ``benchmarks.csv`` format by
:func:`simulate.benchmark_rows.record_from_row`) becomes a :class:`Case` — model, GPU, one
replica's :class:`~domain.serving.ServingConfig`, the load per replica, and the number of
data-parallel replicas — or a skip reason (:func:`case_from_record`). Predictions use the
inputs only (model, precision, engine, GPU, counts, tensor parallel, token lengths, load);
measured outputs are read by :func:`measured` for scoring and fitting, never for predicting.

Facts used here: throughputs are for the whole deployment; ``gpu_count / TP`` replicas serve it
(pipeline-parallel groups count as replicas); ``huggyllama/llama-7b`` (LLaMA-1 7B) has the
Llama-2-7B architecture. Pure functions, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from domain.benchmarks import BenchmarkRecord, LoadType
from domain.catalog import GpuSpec, ModelSpec
from domain.serving import Precision, ServingConfig
from simulate.load_terms import LoadCode
from simulate.memory import memory_fit
from simulate.serving_features import (
    ServingFeatures,
    accepted_tokens,
    default_batch_limits,
    engine_version,
    features_of,
    measured_on,
    version_band,
)
from simulate.step_time import ReplicaCosts, kv_transfer_s, replica_costs

METRICS: tuple[str, ...] = (
    "ttft_p50",
    "ttft_p95",
    "itl_p50",
    "itl_p95",
    "e2e_p50",
    "e2e_p95",
    "output_tok_per_s",
)
SAME_ARCHITECTURE = {"huggyllama/llama-7b": "meta-llama/Llama-2-7b-hf"}
_SATURATED_SEQS = {"trtllm": 2048, "vllm": 256}


@dataclass(frozen=True)
class Case:
    """What one benchmark record asks of the simulator."""

    record: BenchmarkRecord
    model: ModelSpec
    gpu: GpuSpec
    config: ServingConfig
    kind: LoadCode
    value: float  # batch size, concurrency or req/s per replica (0 when saturated)
    replicas: int
    kv_capacity_tokens: int
    step_tokens: int  # prompt tokens one step carries, as the measured engine ran
    features: ServingFeatures = field(default_factory=ServingFeatures)
    engine_key: str = ""  # calibration key: engine and version band (see version_band)
    input_tokens: float = 0.0  # mean prompt tokens (stated × the features' length share)
    output_tokens: float = 0.0


def _step_tokens(engine: str, static: bool, batch: float, prompt: float, context: int) -> int:
    """Prompt tokens one step may carry, as the measured engine was run.

    TensorRT-LLM's static-batch benchmarks prefill the whole batch in one pass; vLLM without
    chunked prefill (the default of the versions measured) takes ``max(max_model_len, 2048)``;
    served loads use a chunked-prefill budget of 8,192.
    """
    if static and engine == "trtllm":
        return max(1, math.ceil(batch * prompt))
    if static and engine == "vllm":
        return max(context, 2048)
    return 8192


def _kv_capacity(fitted: int, engine: str, static: bool, batch: float, context: int) -> int:
    """KV tokens the measured run had: TensorRT-LLM runs a static batch as one pass or not at all.

    Its static-batch benchmark allocates the whole batch when the engine starts (and fails
    rather than splitting the batch into waves), so a measured static batch held every sequence.
    """
    if static and engine == "trtllm":
        return max(fitted, math.ceil(batch) * context)
    return fitted


def _tensor_parallel(record: BenchmarkRecord, model: ModelSpec, gpu: GpuSpec, context: int) -> int:
    if record.tensor_parallel:
        return record.tensor_parallel
    if record.load_type == LoadType.OFFLINE and record.load_value is not None:
        return record.gpu_count  # one engine over all GPUs for a single static batch
    tp = 1
    while tp < record.gpu_count:
        probe = ServingConfig(
            model=model.hf_id,
            gpu=gpu.name,
            precision=Precision(record.precision),
            tensor_parallel=tp,
            max_model_len=context,
        )
        if memory_fit(model, gpu, probe).fits:
            break
        tp *= 2
    return min(tp, record.gpu_count)


def case_from_record(
    record: BenchmarkRecord, models: Mapping[str, ModelSpec], gpus: Mapping[str, GpuSpec]
) -> Case | str:
    """Simulator inputs for a record, or why it cannot be predicted (never raises).

    Args:
        record: The measured run (its measured outputs are not read).
        models: Model catalog by id.
        gpus: GPU catalog by name.

    Returns:
        The case, or a skip reason such as "model not in catalog: tiiuae/falcon-180B".
    """
    try:
        return _case(record, models, gpus)
    except ValidationError as exc:  # a configuration the domain types refuse (e.g. TP 72)
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"cannot model as measured ({where}={first.get('input')}: {first['msg']})"


def _case(
    record: BenchmarkRecord, models: Mapping[str, ModelSpec], gpus: Mapping[str, GpuSpec]
) -> Case | str:
    model = models.get(SAME_ARCHITECTURE.get(record.model, record.model))
    if model is None:
        return f"model not in catalog: {record.model}"
    gpu = gpus.get(record.gpu)
    if gpu is None:
        return f"GPU not in catalog: {record.gpu}"
    if record.engine in ("", "unknown"):
        return "no engine stated"
    if record.precision not in Precision.__members__.values():
        return f"precision not modelled: {record.precision_raw or 'not stated'}"
    if not record.input_tokens or not record.output_tokens:
        return "no input_tokens" if not record.input_tokens else "no output_tokens"
    features = features_of(record)
    i = record.input_tokens * features.length_share
    o = record.output_tokens * features.length_share
    context = math.ceil(record.input_tokens + record.output_tokens)
    tp = _tensor_parallel(record, model, gpu, context)
    replicas = features.decode_workers or max(1, record.gpu_count // tp)
    low_bit = record.precision in ("fp8", "fp4") and "trtllm" in record.engine
    low_bit = low_bit or "fp8 kv" in record.precision_raw.lower() or "FP8-KV" in record.model
    saturated = record.load_value is None
    if saturated and record.load_type != LoadType.OFFLINE:
        return f"load_value missing for {record.load_type.value} load"
    value = (record.load_value or 0.0) / (1 if features.load_per_replica else replicas)
    if record.load_type == LoadType.OFFLINE and not saturated:
        value = max(1.0, math.ceil(value))
    static = record.load_type == LoadType.OFFLINE and not saturated
    seqs = _SATURATED_SEQS.get(record.engine, 256) if saturated else max(256, math.ceil(value))
    step_tokens = _step_tokens(record.engine, static, value, i, context)
    limits = default_batch_limits(record.engine, engine_version(record), gpu)
    if limits is not None and not static:  # a served vLLM runs with its stated defaults
        seqs, step_tokens = limits
    if not static:  # limits the run states override the defaults
        seqs = features.max_num_seqs or seqs
        step_tokens = features.max_batched_tokens or step_tokens
    config = ServingConfig(
        model=model.hf_id,
        gpu=gpu.name,
        precision=Precision(record.precision),
        tensor_parallel=tp,
        engine=record.engine,
        kv_cache_dtype="fp8" if low_bit else "auto",
        max_model_len=context,
        max_num_seqs=seqs,
        max_num_batched_tokens=8192,
    )
    fit = memory_fit(model, gpu, config)
    if not fit.fits:
        return f"does not fit as measured ({fit.reason})"
    kind = {
        LoadType.OFFLINE: LoadCode.BATCH,
        LoadType.CONCURRENCY: LoadCode.CONCURRENCY,
        LoadType.RATE: LoadCode.RATE,
    }[record.load_type]
    if features.burst:  # every prompt at once, then nothing: slots refill as requests finish
        kind = LoadCode.BURST
    return Case(
        record=record,
        model=model,
        gpu=gpu,
        config=config,
        kind=LoadCode.SATURATED if saturated else kind,
        value=value,
        replicas=replicas,
        kv_capacity_tokens=_kv_capacity(
            fit.kv_capacity_tokens, record.engine, static, value, context
        ),
        step_tokens=step_tokens,
        features=features,
        engine_key=version_band(record.engine, engine_version(record), measured_on(record)),
        input_tokens=i,
        output_tokens=o,
    )


def case_costs(case: Case) -> ReplicaCosts:
    """Replica constants of a case, with its expert parallelism and data-parallel attention.

    Args:
        case: The case.

    Returns:
        The constants (0-d arrays).
    """
    return replica_costs(
        case.model,
        case.gpu,
        case.config,
        expert_parallel=case.features.expert_parallel,
        dp_attention=case.features.dp_attention,
    )


def technique_shapes(case: Case) -> dict[str, float]:
    """Per-row serving-technique inputs of :class:`~simulate.load_terms.Shapes` for a case.

    Speculative decoding verifies ``1 + drafted`` tokens per step and emits the accepted length
    (:func:`~simulate.serving_features.accepted_tokens`); a disaggregated deployment prefills on
    its prefill pool (decode TP / prefill TP slower or faster than this replica, shared by the
    prefill workers per decode replica) and ships the prompt's KV cache; requests of varied
    lengths spread a closed loop's arrivals (:func:`~simulate.load_terms.in_step_loop`).

    Args:
        case: The case.

    Returns:
        Field name → value.
    """
    f = case.features
    split = f.disaggregated and f.prefill_tp > 0 and f.decode_workers > 0
    tp = case.config.tensor_parallel
    return {
        "verify_tokens": 1.0 + f.draft_tokens if f.speculative else 1.0,
        "accepted_tokens": accepted_tokens(f),
        "disaggregated": 1.0 if split else 0.0,
        "prefill_slowdown": tp / f.prefill_tp if split else 1.0,
        "prefill_workers": f.prefill_workers / f.decode_workers if split else 1.0,
        "kv_transfer_s": float(kv_transfer_s(case_costs(case), case.input_tokens))
        if split
        else 0.0,
        "varied_lengths": 1.0 if f.varied_lengths else 0.0,
    }


def measured(record: BenchmarkRecord) -> dict[str, float]:
    """The measured metrics of a record, keyed like :data:`METRICS`.

    The median is the ``_p50`` column, else the ``_mean`` column; ``_p95`` columns are kept as
    p95. Output throughput is for the whole deployment.

    Args:
        record: The record.

    Returns:
        Metric → value, for the metrics it reports.
    """
    out: dict[str, float] = {}
    for metric in ("ttft", "itl", "e2e"):
        median = getattr(record, f"{metric}_ms_p50")
        if median is None:
            median = getattr(record, f"{metric}_ms_mean")
        p95 = getattr(record, f"{metric}_ms_p95")
        if median is not None and median > 0:
            out[f"{metric}_p50"] = median
        if p95 is not None and p95 > 0:
            out[f"{metric}_p95"] = p95
    if record.output_tok_per_s is not None and record.output_tok_per_s > 0:
        out["output_tok_per_s"] = record.output_tok_per_s
    return out
