"""What a measured run's deployment did beyond one engine on ``tensor_parallel`` GPUs.

Current engines serve with speculative decoding (MTP, EAGLE, n-gram), prefill/decode
disaggregation (separate prefill and decode pools, KV shipped between them), expert parallelism
(EP) and data-parallel attention (DPA), and benchmark harnesses differ in how they offer load
(random lengths below a nominal one, bursts of every prompt at once). :func:`features_of` reads
these from a record's notes and engine version, in the wording of the shipped sources
(``knowledge/data/README.md``: InferenceX ``spec=``/``disagg=``/``prefill tpN/epN/dpa=…xK +
decode …`` fields, GPUStack "burst" and ``--speculative-config``), and :func:`version_band`
names the engine-version band calibration is kept per. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.benchmarks import BenchmarkRecord
from domain.catalog import GpuSpec

# Version bands per engine, oldest first: (label, lowest (major, minor) of the band).
# vLLM 0.6 brought the multi-step scheduler and 0.10 the V1 engine by default; TensorRT-LLM
# 1.0 made the PyTorch backend the default (their release notes); other engines have one band.
VERSION_BANDS: dict[str, tuple[tuple[str, tuple[int, int]], ...]] = {
    "vllm": (("", (0, 0)), ("0.6-0.9", (0, 6)), ("0.10+", (0, 10))),
    "trtllm": (("", (0, 0)), ("1.x", (1, 0))),
}
# A run that names no version but its date ran the newest band when it was measured after that
# band's first release was out for a month (GitHub releases: vLLM v0.10.0 2025-07-24,
# TensorRT-LLM v1.0.0 2025-09); InferenceX records no image before 2025-12-08.
NEWEST_BAND_AFTER = {"vllm": "2025-08", "trtllm": "2025-10"}
_DATE = re.compile(r"date=(\d{4}-\d{2})")
# InferenceX draws each prompt's input and output length below the stated one; the shipped
# data README (knowledge/data/README.md) measures the mean output at 0.87x nominal by Little's law.
NOMINAL_LENGTH_SHARE = 0.87
# Share of drafted tokens accepted: DeepSeek-V3's MTP module predicts the second token with
# 85-90 % acceptance (DeepSeek-V3 Technical Report, arXiv:2412.19437, section 5.4.3); the low
# end is the default input where a run does not report its accepted length.
DRAFT_ACCEPTANCE = 0.85
_VARIED_LENGTHS = ("random prompts", "ShareGPT")
# vLLM's OpenAI server limits when the user sets none (vllm/engine/arg_utils.py, EngineArgs batch
# defaults of the V1 engine, v0.9 on): a GPU reporting at least 70 GiB that is not an A100 runs
# up to 1,024 sequences and 8,192 batched tokens per step; any other GPU 256 and 2,048 (the A100
# exception: vLLM PR #17885, "large max_num_batched_tokens on A100 reduces throughput").
VLLM_V1_FROM = (0, 9)
VLLM_LARGE_GPU_GIB = 70.0
VLLM_LIMITS_LARGE = (1024, 8192)
VLLM_LIMITS_OTHER = (256, 2048)
_VERSION = re.compile(r"(\d+)\.(\d+)")
_IMAGE_TAG = re.compile(r"image=[^;]*?:v?(\d+\.\d+[^;\s-]*)")
_DISAGG = re.compile(
    r"prefill tp(\d+)/ep(\d+)/dpa=(\w+)x(\d+) \+ decode tp(\d+)/ep(\d+)/dpa=(\w+)x(\d+)"
)
_AGG = re.compile(r"tp(\d+) ep(\d+) dp_attention=(\w+)")
_DRAFT = re.compile(r'"num_speculative_tokens":\s*(\d+)')
_MAX_SEQS = re.compile(r"max[-_]num[-_]seqs[ =](\d+)")
_MAX_BATCHED = re.compile(r"max[-_]num[-_]batched[-_]tokens[ =](\d+)")


@dataclass(frozen=True)
class ServingFeatures:
    """Serving techniques of one measured deployment (defaults: plain aggregated serving)."""

    speculative: str = ""  # "mtp", "eagle", "ngram" or "" for plain decoding
    draft_tokens: int = 1  # tokens drafted per step (1 for one MTP module)
    disaggregated: bool = False
    prefill_tp: int = 0  # GPUs per prefill worker (0 when aggregated)
    prefill_workers: int = 0
    decode_workers: int = 0  # decode replicas (0: gpu_count // tensor_parallel)
    expert_parallel: int = 1
    dp_attention: bool = False
    length_share: float = 1.0  # mean / stated token lengths
    varied_lengths: bool = False  # requests' lengths differ (random or ShareGPT prompts)
    burst: bool = False  # every prompt sent at once
    load_per_replica: bool = False  # the stated concurrency is each replica's, not the total
    max_num_seqs: int = 0  # the run's stated --max-num-seqs (0: not stated)
    max_batched_tokens: int = 0  # the run's stated --max-num-batched-tokens (0: not stated)


def accepted_tokens(features: ServingFeatures, acceptance: float = DRAFT_ACCEPTANCE) -> float:
    """Mean tokens emitted per sequence per step: 1 plus the expected accepted drafts.

    Drafts are accepted in order until the first rejection, each with probability
    ``acceptance``: ``1 + a + a² + … + a^d`` for ``d`` drafted tokens; 1 without speculation.

    Args:
        features: The serving features (speculative method and drafted tokens).
        acceptance: Probability that one drafted token is accepted.

    Returns:
        Accepted length (≥ 1).
    """
    if not features.speculative:
        return 1.0
    return float(sum(acceptance**k for k in range(features.draft_tokens + 1)))


def features_of(record: BenchmarkRecord) -> ServingFeatures:
    """The serving techniques a record's notes state.

    Args:
        record: The measured run.

    Returns:
        Its features (plain aggregated serving when the notes state none).
    """
    notes = record.notes
    spec = re.search(r"spec=(\w+)", notes)
    method = re.search(r'"method":\s*"(\w+)"', notes)
    speculative = spec.group(1) if spec and spec.group(1) != "none" else ""
    if not speculative and "speculative decoding" in notes:
        speculative = method.group(1).lower() if method else "mtp"
    draft = _DRAFT.search(notes)
    fields: dict[str, object] = {
        "speculative": speculative,
        "draft_tokens": int(draft.group(1)) if draft else 1,
        "length_share": NOMINAL_LENGTH_SHARE if "random prompts" in notes else 1.0,
        # InferenceX's random prompts and ShareGPT conversations differ in length request by
        # request (knowledge/data/README.md); GenAI-Perf's synthetic prompts (stdev 0) do not.
        "varied_lengths": any(word in notes for word in _VARIED_LENGTHS),
        "burst": "burst" in notes,
        # InferenceX states an aggregated run's concurrency per engine replica: over the shipped
        # rows its output tokens/s is replicas x concurrency / end-to-end x output tokens
        # (Little's law; median ratio 1.0 for one replica, 4.0 for four, 8.0 for eight).
        "load_per_replica": "InferenceX" in notes and "disagg=True" not in notes,
        # vLLM scheduler limits a run states (GPUStack's serve commands, inference-sim's args)
        "max_num_seqs": _stated(_MAX_SEQS, notes),
        "max_batched_tokens": _stated(_MAX_BATCHED, notes),
    }
    split = _DISAGG.search(notes) if "disagg=True" in notes else None
    if split:
        fields |= {
            "disaggregated": True,
            "prefill_tp": int(split.group(1)),
            "prefill_workers": int(split.group(4)),
            "decode_workers": int(split.group(8)),
            "expert_parallel": int(split.group(6)),
            "dp_attention": split.group(7) == "True",
        }
    aggregated = _AGG.search(notes)
    if aggregated and not split:
        fields |= {
            "expert_parallel": int(aggregated.group(2)),
            "dp_attention": aggregated.group(3) == "True",
        }
    return ServingFeatures(**fields)  # type: ignore[arg-type]


def _stated(pattern: re.Pattern[str], notes: str) -> int:
    found = pattern.search(notes)
    return int(found.group(1)) if found else 0


def engine_version(record: BenchmarkRecord) -> str:
    """The engine version a record states, else the one its container image tag names.

    Args:
        record: The measured run.

    Returns:
        A version such as "0.5.12", or "" when none is stated.
    """
    stated = record.engine_version.strip()
    if stated:
        return stated.removeprefix("dynamo ").removeprefix("atom ").split(" ")[0]
    tag = _IMAGE_TAG.search(record.notes)
    return tag.group(1) if tag else ""


def image_version(image: str) -> str:
    """The engine version an image reference's tag names ("vllm/vllm-openai:v0.11.0" → "0.11.0").

    Args:
        image: An image reference.

    Returns:
        The version, or "" when the tag names none (no tag, "latest", a digest).
    """
    _, _, tag = image.rpartition(":")
    found = re.match(r"v?(\d+\.\d+(?:\.\d+)?)", tag) if "/" not in tag else None
    return found.group(1) if found else ""


def measured_on(record: BenchmarkRecord) -> str:
    """The month a record was measured, when its notes say (``date=YYYY-MM-DD``).

    Args:
        record: The measured run.

    Returns:
        "YYYY-MM" or "".
    """
    found = _DATE.search(record.notes)
    return found.group(1) if found else ""


def version_band(engine: str, version: str, month: str = "") -> str:
    """The calibration key of an engine at a version: the engine, plus its band when it has one.

    The oldest band keeps the bare engine name (the 2023–2024 calibration), so an estimate that
    names no version rests on the engine's longest-measured band. A run with no version but a
    date after :data:`NEWEST_BAND_AFTER` belongs to the newest band.

    Args:
        engine: Normalised engine name.
        version: Version text ("0.11.0", "1.2.0rc6.post2"); "" for unknown.
        month: "YYYY-MM" the run was measured in, "" when unknown.

    Returns:
        For example "vllm 0.10+", "trtllm 1.x" or "sglang".
    """
    bands = VERSION_BANDS.get(engine)
    found = _VERSION.search(version)
    if bands and not found and month and month > NEWEST_BAND_AFTER.get(engine, "9999"):
        return f"{engine} {bands[-1][0]}"
    if not bands or not found:
        return engine
    wanted = (int(found.group(1)), int(found.group(2)))
    label = ""
    for name, lowest in bands:
        if wanted >= lowest:
            label = name
    return f"{engine} {label}" if label else engine


def default_batch_limits(engine: str, version: str, gpu: GpuSpec) -> tuple[int, int] | None:
    """(max_num_seqs, max_num_batched_tokens) an engine runs with when the user sets neither.

    Known for vLLM from :data:`VLLM_V1_FROM` on (:data:`VLLM_LIMITS_LARGE` on GPUs reporting
    at least :data:`VLLM_LARGE_GPU_GIB` GiB other than A100s, else :data:`VLLM_LIMITS_OTHER`);
    ``None`` for older vLLM and other engines, whose defaults the rows leave unstated.

    Args:
        engine: Normalised engine name.
        version: Engine version ("0.11.0"); "" when unknown.
        gpu: The GPU.

    Returns:
        The two limits, or None.
    """
    found = _VERSION.search(version)
    if engine != "vllm" or not found:
        return None
    if (int(found.group(1)), int(found.group(2))) < VLLM_V1_FROM:
        return None
    gib = gpu.memory_gib or gpu.memory_gb * 1e9 / 2**30
    large = gib >= VLLM_LARGE_GPU_GIB and "A100" not in gpu.name.upper()
    return VLLM_LIMITS_LARGE if large else VLLM_LIMITS_OTHER
