"""How numbers and names read on a card: one unit style, short model and GPU names, plurals.

Every card goes through these, so "1 request", "≤ 1 GPU", "320 ms" and "1.5 s" read the same
everywhere. Pure functions over domain values; they must not build replies or know a channel.
"""

from __future__ import annotations

import re

from domain.recommendation import PredictedMetrics, RecommendedOption
from domain.requirements import Requirements, SloMetric, SloTarget

_MODEL_SUFFIXES = re.compile(
    r"(?:-(?:Instruct|instruct|it|Chat|chat|hf|HF|FP8|fp8|FP8-dynamic|AWQ|awq|GPTQ|gptq|"
    r"Int4|INT4|Int8|INT8|W4A16|W8A8|MXFP4))+$"
)
_EXPERTS = re.compile(r"-\d+E$")
_GPU_SUFFIXES = (("-Blackwell", ""),)
_GPU_MEMORY = re.compile(r"-(\d+)GB$")


def plural(count: int, word: str, many: str | None = None) -> str:
    """A count with its noun in the right number.

    Args:
        count: How many.
        word: The singular noun.
        many: The plural when it is not ``word + "s"``.

    Returns:
        E.g. ``1 request``, ``2 requests``, ``1,000 replicas``.
    """
    noun = word if count == 1 else (many or f"{word}s")
    return f"{count:,} {noun}"


def format_ms(value: float | None) -> str:
    """Milliseconds for people, one style everywhere: ``320 ms``, ``1 s``, ``1.8 s``, ``–``.

    Args:
        value: Milliseconds, or None when unknown.

    Returns:
        Below a second in whole milliseconds; from a second on in seconds with at most one
        decimal (``1 s`` rather than ``1.0 s``).
    """
    if value is None:
        return "–"
    if value < 999.5:
        return f"{value:,.0f} ms"
    seconds = f"{value / 1000:,.1f}".removesuffix(".0")
    return f"{seconds} s"


def format_usd(value: float | None) -> str:
    """Dollars for people: ``$12,345``, or ``no price`` when unknown (never ``$0``)."""
    return "no price" if value is None else f"${value:,.0f}"


def short_model(model: str) -> str:
    """A model's name without its organisation and packaging suffixes (for narrow tables).

    Args:
        model: A Hugging Face id, e.g. ``nvidia/Llama-4-Scout-17B-16E-Instruct-FP8``.

    Returns:
        E.g. ``Llama-4-Scout-17B`` (the expert count goes too); precision has its own column.
    """
    name = model.rsplit("/", 1)[-1]
    return _EXPERTS.sub("", _MODEL_SUFFIXES.sub("", name)) or name


def short_gpu(gpu: str) -> str:
    """A GPU catalog id shortened for narrow tables, keeping form factor and memory.

    Args:
        gpu: A catalog id, e.g. ``A100-PCIe-40GB``.

    Returns:
        E.g. ``A100-PCIe-40G``; ``RTX-PRO-6000-Blackwell`` → ``RTX-PRO-6000``.
    """
    for suffix, replacement in _GPU_SUFFIXES:
        gpu = gpu.replace(suffix, replacement)
    return _GPU_MEMORY.sub(r"-\1G", gpu)


def gpus(option: RecommendedOption, *, short: bool = False) -> str:
    """The GPUs of an option: ``2×L40S``.

    Args:
        option: The option.
        short: Use :func:`short_gpu`.

    Returns:
        Count and GPU.
    """
    return f"{option.total_gpus}×{short_gpu(option.gpu) if short else option.gpu}"


def layout(option: RecommendedOption) -> str:
    """Replicas and their parallelism in words: ``1 replica``, ``2 replicas of TP 4``,
    ``6 replicas of DP 8 + EP + MTP``, ``10 replicas of TP 4 + 5 prefill replicas of TP 4``."""
    words = plural(option.replicas, "replica")
    words += f" of {option.parallelism}" if option.parallelism else ""
    pool = option.prefill
    if pool is not None:
        words += f" + {plural(pool.replicas, 'prefill replica')} of TP {pool.tensor_parallel}"
    return words


def describe_slo(target: SloTarget) -> str:
    """A target in words: ``TTFT p95 ≤ 1 s``."""
    return f"{target.metric.value.upper()} p{target.percentile} ≤ {format_ms(target.ms)}"


def predicted_ms(
    predicted: PredictedMetrics, metric: SloMetric, percentile: int
) -> tuple[float | None, int]:
    """The predicted value of a metric at a percentile, or at p95 where that one is not kept.

    Args:
        predicted: The option's predicted metrics.
        metric: TTFT, ITL or end-to-end.
        percentile: 50, 90, 95 or 99.

    Returns:
        Milliseconds (None when unknown) and the percentile they are at.
    """
    value = getattr(predicted, f"{metric.value.lower()}_ms_p{percentile}", None)
    if value is None:
        value, percentile = getattr(predicted, f"{metric.value.lower()}_ms_p95", None), 95
    return (float(value) if value is not None else None), percentile


def format_ms_range(low: float, high: float) -> str:
    """An interval of milliseconds with the unit once where both ends share it.

    Args:
        low: Low end, ms.
        high: High end, ms.

    Returns:
        E.g. ``15–23 ms``, ``1.2–3 s``, ``700 ms–1.2 s``.
    """
    left, right = format_ms(low), format_ms(high)
    left_unit, right_unit = left.rsplit(" ", 1)[1], right.rsplit(" ", 1)[1]
    if left_unit == right_unit:
        left = left.rsplit(" ", 1)[0]
    return f"{left}–{right}"


def predicted_range(predicted: PredictedMetrics, metric: SloMetric, percentile: int) -> str:
    """The 80 % interval of a prediction in brackets, `` (15–23 ms)``, or "" when it has none.

    Args:
        predicted: The option's predicted metrics (``intervals`` keyed ``itl_ms_p95`` …).
        metric: TTFT, ITL or end-to-end.
        percentile: The percentile shown.

    Returns:
        The bracketed interval with a leading space, or "".
    """
    bounds = predicted.intervals.get(f"{metric.value.lower()}_ms_p{percentile}")
    if bounds is None:
        return ""
    return f" ({format_ms_range(*bounds)})"


def slo_check(option: RecommendedOption, target: SloTarget) -> str:
    """A target next to its prediction and its 80 % interval: ``TTFT p95 77 ms (60–95 ms), …``.

    Args:
        option: The option.
        target: The latency target.

    Returns:
        The check in words (``TTFT p95 77 ms (60–95 ms), target ≤ 1 s ✅``), with ✅ when the
        prediction holds the target and ❌ when not; the bracket is the prediction's 80 %
        interval, left out where it has none.
    """
    value, percentile = predicted_ms(option.predicted, target.metric, target.percentile)
    mark = "✅" if value is not None and value <= target.ms else "❌"
    name = f"{target.metric.value.upper()} p{percentile}"
    spread = predicted_range(option.predicted, target.metric, percentile)
    return f"{name} {format_ms(value)}{spread}, target ≤ {format_ms(target.ms)} {mark}"


def describe_option(option: RecommendedOption) -> str:
    """An option in one line.

    Args:
        option: The option.

    Returns:
        E.g. ``Llama-3.1-8B-Instruct on 2×L4 (2 replicas, fp8) — $1,023/month, TTFT p95 310 ms``.
    """
    return (
        f"{short_model(option.model)} on {gpus(option)} ({layout(option)}, {option.precision}) — "
        f"{format_usd(option.monthly_cost_usd)}/month, TTFT p95 "
        f"{format_ms(option.predicted.ttft_ms_p95)}"
        + ("" if option.meets_slo else " (misses the SLO)")
    )


def summarise(requirements: Requirements) -> str:
    """Every stated requirement in a short line, so the team sees each field that was read.

    Args:
        requirements: The requirements.

    Returns:
        E.g. ``chatbot · 5,000 users at once · TTFT p95 ≤ 500 ms · A100/L4 · ≤ $12,000/month``.
    """
    parts = [*_load_parts(requirements), *_shape_parts(requirements)]
    parts += [describe_slo(slo) for slo in requirements.slo]
    parts += _hardware_parts(requirements)
    if requirements.models:
        parts.append(", ".join(requirements.models))
    parts += _policy_parts(requirements)
    return " · ".join(parts) or "nothing yet"


def _load_parts(requirements: Requirements) -> list[str]:
    parts: list[str] = []
    if requirements.task:
        parts.append(requirements.task.value.replace("_", " "))
    if requirements.user_population:
        parts.append(plural(requirements.user_population, "person", "people"))
    if requirements.concurrent_users:
        parts.append(f"{plural(requirements.concurrent_users, 'user')} at once")
    if requirements.requests_per_second:
        parts.append(f"{requirements.requests_per_second:g} req/s")
    if requirements.requests_per_day:
        parts.append(f"{requirements.requests_per_day:,} req/day")
    if requirements.window_hours:
        parts.append(f"done within {requirements.window_hours:g} h")
    return parts


def _shape_parts(requirements: Requirements) -> list[str]:
    parts: list[str] = []
    if requirements.input_tokens:
        parts.append(f"prompts ~{requirements.input_tokens:,} tokens")
    if requirements.output_tokens:
        parts.append(f"answers ~{requirements.output_tokens:,} tokens")
    if requirements.min_context_tokens:
        parts.append(f"context ≥ {requirements.min_context_tokens:,} tokens")
    return parts


def _hardware_parts(requirements: Requirements) -> list[str]:
    pinned = {gpu.split("-")[0] for gpu in requirements.gpus}  # ids start with their family
    open_families = [f.value for f in requirements.gpu_families if f.value not in pinned]
    parts: list[str] = []
    if requirements.gpus or open_families:
        parts.append("/".join([*requirements.gpus, *open_families]))
    if requirements.max_gpus:
        parts.append(f"≤ {plural(requirements.max_gpus, 'GPU')}")
    return parts


def _policy_parts(requirements: Requirements) -> list[str]:
    parts: list[str] = []
    if requirements.min_params_b:
        parts.append(f"≥ {requirements.min_params_b:g}B params")
    if requirements.max_params_b:
        parts.append(f"≤ {requirements.max_params_b:g}B params")
    if requirements.budget_usd_month:
        parts.append(f"≤ {format_usd(requirements.budget_usd_month)}/month")
    if requirements.priority:
        parts.append(f"priority: {requirements.priority.value}")
    if requirements.quantization:
        parts.append(f"quantization: {requirements.quantization.value}")
    if requirements.license:
        parts.append(f"licence: {requirements.license.value}")
    return parts
