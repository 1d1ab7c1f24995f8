"""What a team needs, exactly in the schema of the evaluation set (``shared/eval/README.md``).

Every field is optional: an absent field means "not stated". The field names and normal forms
are a public contract (``preflight understand --json`` prints this model), so they must not drift.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from domain.base import Frozen


class Task(StrEnum):
    """What the endpoint is for."""

    CHATBOT = "chatbot"
    RAG = "rag"
    SUMMARIZATION = "summarization"
    CODE_COMPLETION = "code_completion"
    CODE_GENERATION = "code_generation"
    EXTRACTION = "extraction"
    TRANSLATION = "translation"
    AGENTIC = "agentic"
    BATCH = "batch"


class SloMetric(StrEnum):
    """Which latency an SLO bounds."""

    TTFT = "ttft"
    ITL = "itl"
    E2E = "e2e"


class Priority(StrEnum):
    """What matters most when options are ranked."""

    LATENCY = "latency"
    COST = "cost"
    ACCURACY = "accuracy"
    BALANCED = "balanced"


class QuantizationStance(StrEnum):
    """How far the team lets weights be quantized."""

    ALLOWED = "allowed"
    EIGHT_BIT = "8bit"
    FORBIDDEN = "forbidden"


class LicenseStance(StrEnum):
    """Which model licenses are acceptable."""

    PERMISSIVE = "permissive"
    OPEN_WEIGHTS = "open-weights"


class GpuFamily(StrEnum):
    """GPU families Preflight knows. The first ten are the ones users name in requirements."""

    T4 = "T4"
    A10G = "A10G"
    L4 = "L4"
    L40S = "L40S"
    A100 = "A100"
    H100 = "H100"
    H200 = "H200"
    B200 = "B200"
    MI300X = "MI300X"
    GAUDI3 = "Gaudi3"
    A30 = "A30"
    L40 = "L40"
    B300 = "B300"
    GB200 = "GB200"
    GB300 = "GB300"
    GH200 = "GH200"
    RTX_PRO_6000 = "RTX-PRO-6000"
    RTX_4090 = "RTX-4090"
    MI250 = "MI250"
    MI325X = "MI325X"
    MI355X = "MI355X"
    GAUDI2 = "Gaudi2"
    INTEL_MAX_1550 = "Intel-Max-1550"


Percentile = Literal[50, 90, 95, 99]


class SloTarget(Frozen):
    """One latency target: ``metric`` at ``percentile`` must not exceed ``ms``."""

    metric: SloMetric = Field(description="ttft, itl (time per output token) or e2e.")
    ms: float = Field(gt=0, description="The ceiling in milliseconds.")
    percentile: Percentile = Field(default=95, description="50, 90, 95 or 99; 95 when unstated.")


class Requirements(Frozen):
    """A team's requirements. Field names and normal forms follow the evaluation schema."""

    task: Task | None = Field(default=None, description="What the endpoint is for.")
    user_population: int | None = Field(
        default=None,
        ge=1,
        description="People who may use it; not all of them are active at once.",
    )
    concurrent_users: int | None = Field(
        default=None, ge=1, description="People, sessions or clients active at the same time."
    )
    requests_per_second: float | None = Field(default=None, gt=0, description="Peak request rate.")
    requests_per_day: int | None = Field(default=None, ge=1, description="Daily request volume.")
    window_hours: float | None = Field(
        default=None, gt=0, description="Hours a batch of work must be finished in."
    )
    input_tokens: int | None = Field(
        default=None, ge=1, description="Typical prompt length, tokens."
    )
    output_tokens: int | None = Field(
        default=None, ge=1, description="Typical response length, tokens."
    )
    slo: list[SloTarget] = Field(default_factory=list, description="Latency targets.")
    priority: Priority | None = Field(default=None, description="What matters most, if ranked.")
    budget_usd_month: float | None = Field(default=None, gt=0, description="Monthly USD ceiling.")
    gpu_families: list[GpuFamily] = Field(
        default_factory=list, description="GPU families they have or allow."
    )
    gpus: list[str] = Field(
        default_factory=list,
        description=(
            "Exact GPU models (catalog ids such as A100-SXM-80GB) when the text pins a memory "
            "size or form factor; within their family only these are allowed."
        ),
    )
    max_gpus: int | None = Field(default=None, ge=1, description="Ceiling on GPUs in total.")
    models: list[str] = Field(
        default_factory=list, description="Catalog ids of the base architectures they name."
    )
    min_context_tokens: int | None = Field(
        default=None, ge=1, description="Longest context a request needs."
    )
    min_params_b: float | None = Field(default=None, gt=0, description="Smallest model, billions.")
    max_params_b: float | None = Field(default=None, gt=0, description="Largest model, billions.")
    quantization: QuantizationStance | None = Field(
        default=None, description="allowed, 8bit or forbidden; only when stated."
    )
    license: LicenseStance | None = Field(
        default=None, description="permissive or open-weights; only when stated."
    )

    @field_validator("slo", "gpu_families", "gpus", "models", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value


class TaskDefaults(Frozen):
    """What Preflight assumes for a task when the team does not say, and where it comes from."""

    task: Task
    input_tokens: int = Field(ge=1, description="Typical prompt tokens.")
    output_tokens: int = Field(ge=1, description="Typical output tokens.")
    slo: list[SloTarget] = Field(default_factory=list, description="Default latency targets.")
    requests_per_user_per_min: float = Field(
        gt=0, description="Requests one concurrent user sends per minute at peak."
    )
    peak_active_share: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="Share of a user population active at once at the peak (team assumption).",
    )
    load_source: str = Field(
        default="", description="Where the active share and request rate per user come from."
    )
    peak_factor: float = Field(
        default=3.0, ge=1, description="Peak rate / mean rate when only a daily volume is given."
    )
    min_context_tokens: int | None = Field(default=None, description="Context the task needs.")
    source: str = Field(description="Where these defaults come from.")
