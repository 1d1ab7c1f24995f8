"""What the deployment must carry: token shapes, SLOs and the peak request rate, with assumptions.

Anything the requirements leave out is taken from the task's defaults and said so in plain
words, so a person can change it. This module does arithmetic only; it never predicts latency.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.errors import InvalidInputError
from domain.requirements import Requirements, SloTarget, Task, TaskDefaults
from recommend.pins import NO_PINS, Pins

DEFAULT_TASK = Task.CHATBOT
DEFAULT_PEAK_RPS = 1.0
_SECONDS_PER_DAY = 86_400
HOURS_PER_MONTH = 730.0  # 8,760 h a year / 12
DAYS_PER_MONTH = HOURS_PER_MONTH / 24.0
# People of an organisation use a tool in working hours: 10 busy hours on 22 working days a
# month (team assumption); outside them an autoscaled service falls to its floor.
BUSY_HOURS_PER_MONTH = 10.0 * 22.0


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
    load_from: str = "stated"  # stated, concurrency, population, daily, window, default
    hours_per_month: float = HOURS_PER_MONTH  # hours the deployment runs (a batch: its window)
    slo_assumed: tuple[SloTarget, ...] = ()  # task defaults added for metrics not stated
    pins: Pins = NO_PINS  # what-if pins the search honours (precision, replicas, GPU)
    busy_hours_per_month: float | None = None  # peak hours when autoscaled to a floor off-peak


def describe_slo(target: SloTarget) -> str:
    """One SLO target in words, in the cards' units: ``TTFT p95 ≤ 500 ms``, ``TTFT p95 ≤ 2 s``.

    Args:
        target: The target.

    Returns:
        Its description: milliseconds below a second, seconds (at most one decimal) from one on.
    """
    ms = target.ms
    value = f"{ms:g} ms" if ms < 1000 else f"{ms / 1000:.1f}".removesuffix(".0") + " s"
    return f"{target.metric.value.upper()} p{target.percentile} ≤ {value}"


def _peak_rps(
    requirements: Requirements, defaults: TaskDefaults, notes: list[str]
) -> tuple[float, str]:
    """The peak request rate and where it comes from (stated, or derived and said so)."""
    if requirements.requests_per_second is not None:
        return requirements.requests_per_second, "stated"
    if requirements.requests_per_day is not None and requirements.window_hours is not None:
        return _window_rate(requirements.requests_per_day, requirements.window_hours, notes)
    if requirements.concurrent_users is not None:
        per_min = defaults.requests_per_user_per_min
        rate = requirements.concurrent_users * per_min / 60.0
        notes.append(
            f"Peak load: {requirements.concurrent_users:,} active at once, each sending a request "
            f"every {60.0 / per_min:g} s ({defaults.task.value} assumption) = {rate:.2f} "
            "requests/s; state requests_per_second to change it."
        )
        return rate, "concurrency"
    if requirements.user_population is not None:
        return _population_rate(requirements.user_population, defaults, notes), "population"
    if requirements.requests_per_day is not None:
        mean = requirements.requests_per_day / _SECONDS_PER_DAY
        rate = mean * defaults.peak_factor
        notes.append(
            f"Peak load: {requirements.requests_per_day:,} requests/day = {mean:.2f} requests/s "
            f"on average × peak factor {defaults.peak_factor:g} ({defaults.task.value} default) "
            f"= {rate:.2f} requests/s at peak; state requests_per_second to change it."
        )
        return rate, "daily"
    notes.append(
        f"No load stated: sized for {DEFAULT_PEAK_RPS:g} request/s at peak; "
        "state concurrent_users or requests_per_second to change it."
    )
    return DEFAULT_PEAK_RPS, "default"


def _population_rate(population: int, defaults: TaskDefaults, notes: list[str]) -> float:
    share, per_min = defaults.peak_active_share, defaults.requests_per_user_per_min
    active = max(1.0, population * share)
    rate = active * per_min / 60.0
    notes.append(
        f"Peak load: {population:,} people × {share:.0%} active at the busiest moment = "
        f"{active:,.0f} at once, each sending a request every {60.0 / per_min:g} s = "
        f"{rate:.2f} requests/s ({defaults.task.value} assumptions, sources below; the share "
        "is already the peak, so no peak factor is applied again); state concurrent_users or "
        "requests_per_second to change it."
    )
    return rate


def _window_rate(per_day: int, window_hours: float, notes: list[str]) -> tuple[float, str]:
    rate = per_day / (window_hours * 3600.0)
    notes.append(
        f"Batch load: {per_day:,} requests must finish within {window_hours:g} h, so it is "
        f"sized for {rate:.2f} requests/s while it runs and costed for {window_hours:g} h a day "
        f"({window_hours * DAYS_PER_MONTH:,.0f} h a month), not 24/7."
    )
    return rate, "window"


def _targets(
    requirements: Requirements, defaults: TaskDefaults, notes: list[str]
) -> tuple[tuple[SloTarget, ...], tuple[SloTarget, ...]]:
    """The stated targets, plus the task's defaults for every metric left unstated."""
    stated = tuple(requirements.slo)
    named = {target.metric for target in stated}
    added = tuple(target for target in defaults.slo if target.metric not in named)
    if added:
        described = ", ".join(describe_slo(target) for target in added)
        lead = "No latency target stated" if not stated else "Targets not stated"
        notes.append(
            f"{lead}: {described} assumed ({defaults.task.value} default); "
            "state an SLO to change it."
        )
    return stated + added, added


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


def plan_demand(
    requirements: Requirements,
    task_defaults: Mapping[Task, TaskDefaults],
    pins: Pins = NO_PINS,
) -> Demand:
    """Resolve the requirements into the demand to size for, filling gaps from task defaults.

    Args:
        requirements: What the team stated.
        task_defaults: Defaults per task.
        pins: What-if pins the search honours.

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
    slo, assumed = _targets(requirements, defaults, notes)
    peak, load_from = _peak_rps(requirements, defaults, notes)
    if any("default" in note or "assumptions" in note for note in notes):
        load = f" Load: {defaults.load_source}" if load_from == "population" else ""
        notes.append(f"Where the {task.value} defaults come from: {defaults.source}{load}")
    context = max(requirements.min_context_tokens or 0, input_tokens + output_tokens)
    hours = HOURS_PER_MONTH
    if load_from == "window" and requirements.window_hours is not None:
        hours = min(HOURS_PER_MONTH, requirements.window_hours * DAYS_PER_MONTH)
    busy = BUSY_HOURS_PER_MONTH if load_from == "population" else None
    if busy is not None:
        notes.append(
            f"Autoscaled: the peak's replicas run {busy:g} h a month (10 busy hours on 22 "
            "working days, a team assumption for people of one organisation) and one replica, "
            f"the off-peak floor, the other {HOURS_PER_MONTH - busy:g} h; the cost counts both."
        )
    return Demand(
        task,
        input_tokens,
        output_tokens,
        slo,
        peak,
        context,
        tuple(notes),
        load_from=load_from,
        hours_per_month=hours,
        slo_assumed=assumed,
        pins=pins,
        busy_hours_per_month=busy,
    )
