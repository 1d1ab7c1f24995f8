"""What-if edits: "double the traffic", "what about L40S", "fp8?", "p99 instead", "3 replicas" ….

:func:`interpret` turns one exploring message into new requirements plus pins (a precision or a
replica count to look at; "clear pins" clears them), and names each change in words for the
before/after card. Numbers,
GPUs, models and budgets come from understanding (the
:class:`~bot.conversation.ports.Understander`); this module adds only what a standalone message
cannot say: scaling the current load, moving the current SLOs to another percentile, and pins. It
must not recommend or talk to any service.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import Field

from bot.conversation.ports import Understander, Understanding
from bot.conversation.thread_state import Pin
from domain.base import Frozen
from domain.requirements import (
    GpuFamily,
    QuantizationStance,
    Requirements,
    SloTarget,
    Task,
    TaskDefaults,
)

LOAD_FIELDS = (
    "user_population",
    "concurrent_users",
    "requests_per_second",
    "requests_per_day",
)
_WORD_FACTORS = {
    "double": 2.0,
    "doubles": 2.0,
    "doubled": 2.0,
    "twice": 2.0,
    "triple": 3.0,
    "triples": 3.0,
    "tripled": 3.0,
    "quadruple": 4.0,
    "half": 0.5,
    "halve": 0.5,
    "halves": 0.5,
    "halved": 0.5,
}
_WORD_FACTOR = re.compile(r"\b(" + "|".join(_WORD_FACTORS) + r")\b", re.IGNORECASE)
_TIMES_FACTOR = re.compile(
    r"(?:\b(\d+(?:\.\d+)?)\s*(?:x|×|times)\b|[x×]\s*(\d+(?:\.\d+)?)\b)", re.I
)
_PERCENTILE = re.compile(
    r"\bp(50|90|95|99)\b|\b(50|90|95|99)(?:th)?\s*percentile\b|\b(median)\b", re.I
)
_REPLICAS = re.compile(r"\b(\d{1,3})\s*replicas?\b", re.IGNORECASE)
_PRECISION = re.compile(r"\b(fp8|fp4|int8|int4|bf16|fp16|awq|gptq|(?:4|8|16)[- ]?bit)\b", re.I)
_BARE_BUDGET = re.compile(r"\b(budget(?: of| is| to)?)\s+(\d[\d,.]*\s*[km]?)\b(?!\s*%)", re.I)
_RESET = re.compile(
    r"\bunpin\b|\b(?:clear|drop|remove|reset)\s+(?:the\s+|all\s+)?pins?\b", re.IGNORECASE
)
_ADDING = re.compile(r"\b(also|add|adding|plus|as well|too)\b", re.IGNORECASE)
_NEGATING = re.compile(r"\b(no|not|without|except|avoid|drop|remove)\b", re.IGNORECASE)
_PRECISIONS = {"awq": "int4", "gptq": "int4", "4bit": "int4", "8bit": "fp8", "16bit": "bf16"}
_FOUR_BIT = {"int4", "fp4"}

_LABELS = {
    "budget_usd_month": "budget",
    "gpu_families": "GPUs",
    "user_population": "people",
    "concurrent_users": "users at once",
    "requests_per_second": "requests/s",
    "requests_per_day": "requests/day",
    "max_gpus": "max GPUs",
    "min_context_tokens": "context",
    "input_tokens": "prompt tokens",
    "slo": "SLO",
}

DefaultsOf = Callable[[Task], TaskDefaults | None]


class WhatIf(Frozen):
    """The result of one what-if message."""

    requirements: Requirements
    pin: Pin
    changes: tuple[str, ...] = Field(description="Each change in words, for the comparison card.")
    stated: frozenset[str] = Field(default=frozenset(), description="Fields the message stated.")


def interpret(
    text: str,
    *,
    requirements: Requirements,
    pin: Pin,
    understander: Understander,
    defaults_of: DefaultsOf | None = None,
) -> WhatIf | None:
    """Read a what-if message against the current requirements.

    Args:
        text: The message.
        requirements: The requirements now.
        pin: The pins now.
        understander: Understanding, for numbers, GPUs, models and budgets in the text.
        defaults_of: Task defaults, so "p99 instead" works before any SLO was stated.

    Returns:
        The edited requirements, pins and changes; None when the message changes nothing.
    """
    understood = understander.message(_dollars(text))
    fields = requirements.model_dump()
    changes: list[str] = []
    _merge_stated(text, understood, fields, changes)
    if not set(LOAD_FIELDS) & understood.stated:
        _scale(text, fields, changes)
    if "slo" not in understood.stated:
        _move_percentile(text, fields, changes, requirements.task, defaults_of)
    new_pin = _pins(text, fields, pin, changes)
    if not changes:
        return None
    return WhatIf(
        requirements=Requirements.model_validate(fields), pin=new_pin, changes=tuple(changes)
    )


def _dollars(text: str) -> str:
    """ "budget 5k" means dollars: mark the amount so understanding reads it as money."""
    return _BARE_BUDGET.sub(lambda found: f"{found.group(1)} ${found.group(2)}", text)


def _merge_stated(
    text: str, understood: Understanding, fields: dict[str, Any], changes: list[str]
) -> None:
    said = understood.requirements.model_dump()
    for name in sorted(understood.stated):
        value = said[name]
        if name in LOAD_FIELDS:
            for other in LOAD_FIELDS:
                fields[other] = None
        if name == "slo":
            value = _merge_slo(fields["slo"], value)
        elif name in ("gpu_families", "models"):
            value = _merge_list(text, fields[name], value)
        if value != fields[name]:
            fields[name] = value
            label = _LABELS.get(name, name.replace("_", " "))
            shown = f"${value:,.0f}/month" if name == "budget_usd_month" else _describe(value)
            changes.append(f"{label} → {shown}")


def _merge_slo(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> list[Any]:
    """New targets replace old ones on the same metric; the others stay."""
    replaced = {target["metric"] for target in new}
    return [target for target in old if target["metric"] not in replaced] + list(new)


def _merge_list(text: str, old: list[Any], new: list[Any]) -> list[Any]:
    """ "also X" adds; "no X" narrows what was allowed; otherwise the new list replaces."""
    if old and _NEGATING.search(text):
        narrowed = [item for item in old if item in new]
        return narrowed or list(new)
    if _ADDING.search(text):
        return list(dict.fromkeys([*old, *new]))
    return list(new)


def _describe(value: Any) -> str:
    if isinstance(value, list):
        parts = [
            f"{item['metric'].upper()} p{item['percentile']} ≤ {item['ms']:g} ms"
            if isinstance(item, dict)
            else str(item.value if isinstance(item, GpuFamily) else item)
            for item in value
        ]
        return ", ".join(parts) or "any"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(getattr(value, "value", value))


def load_factor(text: str) -> float | None:
    """How much a message scales the load ("double" → 2, "3x" → 3, "half" → 0.5).

    Args:
        text: The message.

    Returns:
        The factor, or None when the message names none.
    """
    word = _WORD_FACTOR.search(text)
    if word:
        return _WORD_FACTORS[word.group(1).lower()]
    times = _TIMES_FACTOR.search(text)
    if times:
        factor = float(times.group(1) or times.group(2))
        return factor if 0 < factor <= 1000 and factor != 1 else None
    return None


def _scale(text: str, fields: dict[str, Any], changes: list[str]) -> None:
    factor = load_factor(text)
    if factor is None:
        return
    if "budget" in text.lower() and fields["budget_usd_month"]:
        fields["budget_usd_month"] = fields["budget_usd_month"] * factor
        changes.append(f"budget × {factor:g}")
        return
    scaled = False
    for name in LOAD_FIELDS:
        if fields[name]:
            value = fields[name] * factor
            fields[name] = max(1, round(value)) if name != "requests_per_second" else value
            scaled = True
    if scaled:
        changes.append(f"traffic × {factor:g}")


def _move_percentile(
    text: str,
    fields: dict[str, Any],
    changes: list[str],
    task: Task | None,
    defaults_of: DefaultsOf | None,
) -> None:
    found = _PERCENTILE.search(text)
    if not found:
        return
    percentile = 50 if found.group(3) else int(found.group(1) or found.group(2))
    targets = [SloTarget.model_validate(target) for target in fields["slo"]]
    if not targets and task is not None and defaults_of is not None:
        defaults = defaults_of(task)
        targets = list(defaults.slo) if defaults else []
    moved = [target.model_copy(update={"percentile": percentile}) for target in targets]
    if moved and (moved != targets or not fields["slo"]):
        fields["slo"] = [target.model_dump() for target in moved]
        changes.append(f"SLOs at p{percentile}")


def _pins(text: str, fields: dict[str, Any], pin: Pin, changes: list[str]) -> Pin:
    if _RESET.search(text) and pin != Pin():
        changes.append("pins cleared (" + ", ".join(_pin_words(pin)) + ")")
        return Pin()
    updates: dict[str, Any] = {}
    replicas = _REPLICAS.search(text)
    if replicas and 1 <= int(replicas.group(1)) <= 512:
        updates["replicas"] = int(replicas.group(1))
        changes.append(f"{int(replicas.group(1))} replicas")
    precision = _PRECISION.search(text)
    if precision:
        raw = precision.group(1).lower().replace("-", "").replace(" ", "")
        name = _PRECISIONS.get(raw, raw)
        updates["precision"] = name
        changes.append(f"precision {name}")
        _allow_precision(name, fields, changes)
    return pin.model_copy(update=updates) if updates else pin


def _pin_words(pin: Pin) -> list[str]:
    parts = [f"precision {pin.precision}"] if pin.precision else []
    parts += [f"{pin.replicas} replicas"] if pin.replicas else []
    return parts + ([f"GPU {pin.gpu}"] if pin.gpu else [])


def _allow_precision(name: str, fields: dict[str, Any], changes: list[str]) -> None:
    """Looking at a quantized precision lifts a stance that forbids it."""
    stance = fields["quantization"]
    if name in _FOUR_BIT and stance in (QuantizationStance.FORBIDDEN, QuantizationStance.EIGHT_BIT):
        fields["quantization"] = QuantizationStance.ALLOWED
    elif name in ("fp8", "int8") and stance == QuantizationStance.FORBIDDEN:
        fields["quantization"] = QuantizationStance.EIGHT_BIT
    else:
        return
    changes.append(f"quantization → {fields['quantization'].value}")
