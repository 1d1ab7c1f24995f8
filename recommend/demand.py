"""What the deployment must carry: token shapes, SLOs and the peak request rate, with assumptions.

Anything the requirements leave out is taken from the task's defaults and said so in plain
words, so a person can change it. This module does arithmetic only; it never predicts latency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.errors import InvalidInputError
from domain.requirements import Requirements, SloTarget, Task, TaskDefaults

DEFAULT_TASK = Task.CHATBOT
DEFAULT_PEAK_RPS = 1.0
_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Demand:
    """The load and targets a recommendation is sized for."""

    task: Task
    input_tokens: int
    output_tokens: int
    slo: tuple[SloTarget, ...]
    peak_rps: float
    context_tokens: int
    assumptions: tuple[str, ...]


def describe_slo(target: SloTarget) -> str:
    """One SLO target in words, e.g. ``TTFT p95 ≤ 2000 ms``.

    Args:
        target: The target.

    Returns:
        Its description.
    """
    return f"{target.metric.value.upper()} p{target.percentile} ≤ {target.ms:g} ms"


def _peak_rps(requirements: Requirements, defaults: TaskDefaults, notes: list[str]) -> float:
    if requirements.requests_per_second is not None:
        return requirements.requests_per_second
    if requirements.concurrent_users is not None:
        per_min = defaults.requests_per_user_per_min
        rate = requirements.concurrent_users * per_min / 60.0
        notes.append(
            f"Peak load: {requirements.concurrent_users} users × {per_min:g} requests per user "
            f"per minute ({defaults.task.value} default) = {rate:.2f} requests/s; "
            "state requests_per_second to change it."
        )
        return rate
    if requirements.user_population is not None:
        share, per_min = defaults.peak_active_share, defaults.requests_per_user_per_min
        active = max(1.0, requirements.user_population * share)
        rate = active * per_min / 60.0
        notes.append(
            f"Peak load: {requirements.user_population:,} people × {share:.0%} active at the peak "
            f"= {active:,.0f} at once × {per_min:g} requests per minute each "
            f"({defaults.task.value} defaults) = {rate:.2f} requests/s; "
            "state concurrent_users or requests_per_second to change it."
        )
        return rate
    if requirements.requests_per_day is not None:
        mean = requirements.requests_per_day / _SECONDS_PER_DAY
        rate = mean * defaults.peak_factor
        notes.append(
            f"Peak load: {requirements.requests_per_day:,} requests/day = {mean:.2f} requests/s "
            f"on average × peak factor {defaults.peak_factor:g} ({defaults.task.value} default) "
            f"= {rate:.2f} requests/s at peak; state requests_per_second to change it."
        )
        return rate
    notes.append(
        f"No load stated: sized for {DEFAULT_PEAK_RPS:g} request/s at peak; "
        "state concurrent_users or requests_per_second to change it."
    )
    return DEFAULT_PEAK_RPS


def _shapes(
    requirements: Requirements, defaults: TaskDefaults, notes: list[str]
) -> tuple[int, int]:
    input_tokens = requirements.input_tokens or defaults.input_tokens
    output_tokens = requirements.output_tokens or defaults.output_tokens
    if requirements.input_tokens is None:
        notes.append(
            f"Prompts of ~{input_tokens} tokens assumed ({defaults.task.value} default); "
            "state input_tokens to change it."
        )
    if requirements.output_tokens is None:
        notes.append(
            f"Answers of ~{output_tokens} tokens assumed ({defaults.task.value} default); "
            "state output_tokens to change it."
        )
    return input_tokens, output_tokens


def plan_demand(requirements: Requirements, task_defaults: Mapping[Task, TaskDefaults]) -> Demand:
    """Resolve the requirements into the demand to size for, filling gaps from task defaults.

    Args:
        requirements: What the team stated.
        task_defaults: Defaults per task.

    Returns:
        The demand, with every assumption taken in words.

    Raises:
        InvalidInputError: When the task has no defaults to fill a gap with.
    """
    notes: list[str] = []
    task = requirements.task or DEFAULT_TASK
    if requirements.task is None:
        notes.append(f"Task not stated: {task.value} assumed for the defaults below.")
    defaults = task_defaults.get(task)
    if defaults is None:
        raise InvalidInputError(f"no defaults known for task {task.value!r}")
    input_tokens, output_tokens = _shapes(requirements, defaults, notes)
    slo = tuple(requirements.slo)
    if not slo:
        slo = tuple(defaults.slo)
        described = ", ".join(describe_slo(target) for target in slo) or "none"
        notes.append(
            f"No latency target stated: {described} assumed ({task.value} default); "
            "state an SLO to change it."
        )
    peak = _peak_rps(requirements, defaults, notes)
    if any("default" in note for note in notes):
        notes.append(f"Where the {task.value} defaults come from: {defaults.source}")
    context = max(requirements.min_context_tokens or 0, input_tokens + output_tokens)
    return Demand(task, input_tokens, output_tokens, slo, peak, context, tuple(notes))
