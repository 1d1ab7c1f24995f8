"""Day-2 watch: notice when a running deployment drifts past its SLO, say why, once.

Each poll hands :meth:`DriftWatch.observe` a :class:`Snapshot` of the deployment's own metrics
(p95 TTFT and inter-token latency, queue time, KV-cache use, request rate, prompt size; read by
:mod:`deploy.prometheus_metrics`). A p95 above the SLO or above the predicted band (prediction
× (1 + band)) for ``sustain`` polls in a row is drift: ONE message is posted, naming the likely
cause (load above plan, prompts longer than planned, KV-cache pressure) and a what-if that
fixes it; nothing more is posted until the deployment has recovered for ``sustain`` polls.
Pure logic: no I/O besides the ``post`` callable it is handed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from pydantic import Field

from domain.base import Frozen

LOAD_MARGIN = 1.2  # 20 % over the planned peak is "above plan" (the plan keeps headroom)
PROMPT_MARGIN = 1.5
KV_PRESSURE = 0.9  # vLLM preempts and queues once the KV cache is nearly full


class Snapshot(Frozen):
    """A deployment's metrics at one poll (None where Prometheus has no data)."""

    ttft_ms_p95: float | None = None
    itl_ms_p95: float | None = None
    queue_ms_p95: float | None = None
    kv_cache_usage: float | None = Field(default=None, description="0-1.")
    requests_per_s: float | None = None
    prompt_tokens_mean: float | None = None


class WatchPlan(Frozen):
    """What the deployment was recommended and sized for."""

    deployment: str
    replicas: int = Field(ge=1)
    gpu: str
    precision: str
    planned_rps: float = Field(gt=0)
    planned_input_tokens: int = Field(ge=1)
    slo_ttft_ms_p95: float | None = None
    slo_itl_ms_p95: float | None = None
    predicted_ttft_ms_p95: float | None = None
    predicted_itl_ms_p95: float | None = None
    band: float = Field(default=0.25, ge=0, description="Relative width of the predicted band.")


class Breach(Frozen):
    """One p95 over its SLO or above its predicted band."""

    metric: str
    value_ms: float
    slo_ms: float | None = Field(default=None, description="The SLO, when this p95 is over it.")
    band_ms: float | None = Field(
        default=None, description="The predicted band's top, when this p95 is above it."
    )

    def describe(self) -> str:
        """The breach in words, e.g. "TTFT p95 2,417 ms: over the SLO (1,000 ms)".

        Returns:
            One phrase.
        """
        parts = [f"over the SLO ({self.slo_ms:,.0f} ms)"] if self.slo_ms is not None else []
        if self.band_ms is not None:
            parts.append(f"above the predicted band (≤ {self.band_ms:,.0f} ms)")
        return f"{self.metric} {self.value_ms:,.0f} ms: " + ", ".join(parts)


class Drift(Frozen):
    """What was posted: the breaches, the likely cause and the what-if that fixes it."""

    breaches: tuple[Breach, ...]
    cause: str
    what_if: str
    message: str


def breaches(plan: WatchPlan, snapshot: Snapshot) -> list[Breach]:
    """The p95s of a snapshot above the SLO or the predicted band.

    Args:
        plan: What was planned.
        snapshot: What is measured.

    Returns:
        One breach per metric over its SLO or above its predicted band (both named when both).
    """
    out = []
    pairs = (
        ("TTFT p95", snapshot.ttft_ms_p95, plan.slo_ttft_ms_p95, plan.predicted_ttft_ms_p95),
        ("ITL p95", snapshot.itl_ms_p95, plan.slo_itl_ms_p95, plan.predicted_itl_ms_p95),
    )
    for metric, value, slo, predicted in pairs:
        if value is None:
            continue
        top = None if predicted is None else predicted * (1 + plan.band)
        over_slo = slo if slo is not None and value > slo else None
        above_band = top if top is not None and value > top else None
        if over_slo is not None or above_band is not None:
            out.append(Breach(metric=metric, value_ms=value, slo_ms=over_slo, band_ms=above_band))
    return out


def diagnose(plan: WatchPlan, snapshot: Snapshot) -> tuple[str, str]:
    """The likely cause of drift and the what-if that would fix it.

    Args:
        plan: What was planned.
        snapshot: What is measured.

    Returns:
        (cause, what-if), in words a person reads in the thread.
    """
    rps, prompt, kv = snapshot.requests_per_s, snapshot.prompt_tokens_mean, snapshot.kv_cache_usage
    if rps is not None and rps > plan.planned_rps * LOAD_MARGIN:
        replicas = math.ceil(plan.replicas * rps / plan.planned_rps)
        return (
            f"load above plan: {rps:.1f} requests/s against {plan.planned_rps:.1f} planned",
            f"what if {replicas} replicas (now {plan.replicas})",
        )
    if prompt is not None and prompt > plan.planned_input_tokens * PROMPT_MARGIN:
        return (
            f"prompts longer than planned: {prompt:,.0f} tokens on average against "
            f"{plan.planned_input_tokens:,}",
            f"what if input_tokens {prompt:,.0f} on a larger GPU than {plan.gpu}",
        )
    if kv is not None and kv >= KV_PRESSURE:
        fix = "fp8" if plan.precision not in ("fp8", "int4", "awq", "gptq") else "a larger GPU"
        return (
            f"KV-cache pressure: {kv:.0%} of the cache in use, requests queue for room",
            f"what if {fix} (more room for the KV cache)",
        )
    return (
        "not clear from vLLM's metrics (load, prompt size and KV cache are as planned)",
        "measure it again with GuideLLM and compare with the prediction",
    )


class DriftWatch:
    """Watches one deployment poll by poll and posts once per drift.

    Args:
        plan: What the deployment was sized for.
        post: Sends a message to the deployment's thread.
        sustain: Polls in a row a breach (or a recovery) must last.
    """

    def __init__(self, plan: WatchPlan, *, post: Callable[[str], None], sustain: int = 3) -> None:
        self._plan = plan
        self._post = post
        self._sustain = max(1, sustain)
        self._breached = 0
        self._healthy = 0
        self._alerted = False

    @property
    def alerted(self) -> bool:
        """Whether a drift message is standing (posted, not yet recovered)."""
        return self._alerted

    def observe(self, snapshot: Snapshot) -> Drift | None:
        """Take one poll's metrics; post when drift has lasted ``sustain`` polls.

        Args:
            snapshot: The deployment's metrics now.

        Returns:
            The drift when this poll posted it, else None.
        """
        found = breaches(self._plan, snapshot)
        if not found:
            self._breached = 0
            self._healthy += 1
            if self._alerted and self._healthy >= self._sustain:
                self._alerted = False
            return None
        self._healthy = 0
        self._breached += 1
        if self._alerted or self._breached < self._sustain:
            return None
        cause, what_if = diagnose(self._plan, snapshot)
        over = "; ".join(b.describe() for b in found)
        message = (
            f"{self._plan.deployment}: {over} for {self._breached} polls in a row. "
            f"Likely cause: {cause}. Fix: {what_if}."
        )
        self._alerted = True
        self._post(message)
        return Drift(breaches=tuple(found), cause=cause, what_if=what_if, message=message)
