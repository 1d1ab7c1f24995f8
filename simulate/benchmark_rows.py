"""The one reader of benchmark rows: measured values → :class:`~domain.benchmarks.BenchmarkRecord`.

``preflight simulate predict/validate`` and ``preflight ingest`` (and the shipped records built
by ``python -m ingest.shipped``) all parse rows of the ``benchmarks.csv`` format through
:func:`record_from_row`, so the error the simulator publishes is measured on the records its
calibration uses. Precision and engine names are mapped to one spelling, the content id is
computed from the measured fields (so re-ingesting the same measurement gives the same id),
provenance is taken from ``src=`` in the notes, and rows whose notes start
WARNING/SUSPECT/CHECK are flagged. This module does no I/O and never guesses a number; it lives
in ``simulate`` because both ``ingest`` and the simulator's CLI may import it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping

from domain.benchmarks import BenchmarkRecord, LoadType
from domain.catalog import Provenance
from domain.errors import InvalidInputError

_PRECISIONS: dict[str, str] = {
    "fp16": "fp16",
    "float16": "fp16",
    "half": "fp16",
    "fp16 (mixed)": "fp16",
    "mixed": "fp16",
    "bf16/fp16 (not stated)": "fp16",
    "bf16": "bf16",
    "bfloat16": "bf16",
    "fp8": "fp8",
    "fp8_e4m3": "fp8",
    "fp8-dynamic": "fp8",
    "w8a8-fp8": "fp8",
    "fp4": "fp4",
    "nvfp4": "fp4",
    "mxfp4": "fp4",
    "int8": "int8",
    "w8a8": "int8",
    "int4": "int4",
    "w4a16": "int4",
    "awq": "int4",
    "gptq": "int4",
}
_ENGINES: dict[str, str] = {
    "tensorrt-llm": "trtllm",
    "trt-llm": "trtllm",
    "trt_llm": "trtllm",
    "tensorrt_llm": "trtllm",
    "nim": "trtllm",
    "mii": "deepspeed-mii",
}
_FLAG_PREFIXES = ("WARNING", "SUSPECT", "CHECK")
# Fields that identify a measurement; notes and provenance do not change what was measured.
_ID_FIELDS = (
    "model",
    "precision",
    "engine",
    "engine_version",
    "gpu",
    "gpu_count",
    "tensor_parallel",
    "input_tokens",
    "output_tokens",
    "load_type",
    "load_value",
    "ttft_ms_p50",
    "ttft_ms_p95",
    "ttft_ms_p99",
    "ttft_ms_mean",
    "itl_ms_p50",
    "itl_ms_p95",
    "itl_ms_mean",
    "e2e_ms_p50",
    "e2e_ms_p95",
    "e2e_ms_mean",
    "output_tok_per_s",
    "total_tok_per_s",
    "req_per_s",
)


def normalise_precision(raw: str, notes: str = "") -> str:
    """One spelling for a precision ("fp16 (mixed)" → fp16, "bf16/fp16 (not stated)" → fp16).

    An empty precision is read from the system description in the notes when it names one
    (e.g. "(4x H100-SXM-80GB, vLLM, FP8)"); otherwise it is "unknown".

    Args:
        raw: The precision as the source wrote it.
        notes: The row's notes.

    Returns:
        fp16, bf16, fp8, fp4, int8, int4, or "unknown".
    """
    key = raw.strip().lower()
    if key in _PRECISIONS:
        return _PRECISIONS[key]
    if not key:
        named = re.search(r"\b(FP8|FP4|INT8|INT4|GPTQ|AWQ)\b\)", notes)
        return _PRECISIONS[named.group(1).lower()] if named else "unknown"
    for token, precision in _PRECISIONS.items():
        if token in key:
            return precision
    return "unknown"


def normalise_engine(raw: str, notes: str = "") -> str:
    """One spelling for a serving engine ("TensorRT-LLM" → trtllm, "vLLM" → vllm).

    Args:
        raw: The engine as the source wrote it.
        notes: The row's notes (an empty engine is read from an MLPerf "_TRT_" system name).

    Returns:
        The engine name, or "unknown".
    """
    key = raw.strip().lower()
    if not key:
        return "trtllm" if "_TRT_" in notes else "unknown"
    return _ENGINES.get(key, key)


def is_flagged(notes: str) -> bool:
    """Whether the notes flag figures that disagree with each other (keep out of calibration).

    Args:
        notes: The row's notes.

    Returns:
        True when the notes start with WARNING, SUSPECT or CHECK.
    """
    return notes.lstrip().upper().startswith(_FLAG_PREFIXES)


def provenance_from_notes(
    notes: str, *, source_id: str, commits: Mapping[str, str], fallback_path: str
) -> Provenance:
    """Provenance of a row: ``src=`` in its notes, and the commit its source was read at.

    Args:
        notes: The row's notes (``src=<path>`` anywhere, usually first).
        source_id: The row's source id.
        commits: Source id → "repo@commit" (from SOURCES.md).
        fallback_path: Path to use when the notes name none (the ingested file).

    Returns:
        The provenance.
    """
    match = re.search(r"src=([^;]+)", notes)
    path = match.group(1).strip() if match else fallback_path
    commit = commits.get(source_id)
    repo_at = re.match(r"(\S+@[0-9a-f]{7,40})\s+(.+)", path)
    if repo_at:
        commit, path = repo_at.group(1), repo_at.group(2)
    path = re.sub(r"\s*\(.*\)\s*$", "", path) or path
    return Provenance(source_id=source_id, source_path=path, commit=commit)


def content_id(source_id: str, fields: Mapping[str, object]) -> str:
    """Content hash of the measured fields of a record (stable across re-ingests).

    Args:
        source_id: The source the measurement belongs to.
        fields: Record fields (at least the measured ones).

    Returns:
        "bm-" and 16 hex digits.
    """
    payload = {"source_id": source_id} | {name: fields.get(name) for name in _ID_FIELDS}
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode())
    return "bm-" + digest.hexdigest()[:16]


def build_record(
    fields: dict[str, object], *, source_id: str, provenance: Provenance
) -> BenchmarkRecord:
    """Validate normalised fields into a record with its content id.

    Args:
        fields: Record fields without ``id`` and ``provenance``.
        source_id: The source id.
        provenance: Where it comes from.

    Returns:
        The validated record.

    Raises:
        InvalidInputError: When a measured value is negative or not finite.
        pydantic.ValidationError: When a field is out of range or of the wrong type.
    """
    for name in _ID_FIELDS:
        value = fields.get(name)
        if isinstance(value, float) and (value < 0 or not math.isfinite(value)):
            raise InvalidInputError(f"{name}: must be a finite number >= 0, got {value}")
    notes = str(fields.get("notes", ""))
    return BenchmarkRecord.model_validate(
        fields
        | {
            "id": content_id(source_id, fields),
            "provenance": provenance,
            "flagged": is_flagged(notes),
        }
    )


REQUIRED_COLUMNS = ("model", "gpu", "gpu_count", "load_type")
_FLOAT_COLUMNS = (
    "params_b",
    "input_tokens",
    "output_tokens",
    "ttft_ms_p50",
    "ttft_ms_p95",
    "ttft_ms_p99",
    "ttft_ms_mean",
    "itl_ms_p50",
    "itl_ms_p95",
    "itl_ms_mean",
    "e2e_ms_p50",
    "e2e_ms_p95",
    "e2e_ms_mean",
    "output_tok_per_s",
    "total_tok_per_s",
    "req_per_s",
)
_UNBOUNDED = {"", "max", "max (infinite rate)", "inf", "infinite"}


def _number(row: Mapping[str, str], column: str) -> float | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidInputError(f"column {column}: not a number: {text!r}") from exc


def _whole(row: Mapping[str, str], column: str) -> int | None:
    value = _number(row, column)
    if value is not None and value != int(value):
        raise InvalidInputError(f"column {column}: not a whole number: {value}")
    return int(value) if value is not None else None


def _load_value(text: str) -> float | None:
    if text.strip().lower() in _UNBOUNDED:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise InvalidInputError(f"column load_value: not a number or 'max': {text!r}") from exc


def row_fields(row: Mapping[str, str], resolve_gpu: Callable[[str], str]) -> dict[str, object]:
    """Normalised record fields of one row (without id and provenance).

    Args:
        row: The row, column → cell text.
        resolve_gpu: GPU cell → catalog name (raises ``UnknownNameError`` for an unknown GPU).

    Returns:
        Fields ready for :func:`build_record`.

    Raises:
        InvalidInputError: For a missing or malformed cell.
    """
    missing = [column for column in REQUIRED_COLUMNS if not (row.get(column) or "").strip()]
    if missing:
        raise InvalidInputError(f"missing {', '.join(missing)}")
    notes = (row.get("notes") or "").strip()
    try:
        load_type = LoadType(row["load_type"].strip().lower())
    except ValueError as exc:
        raise InvalidInputError(
            f"load_type must be offline, concurrency or rate: {row['load_type']!r}"
        ) from exc
    fields: dict[str, object] = {name: _number(row, name) for name in _FLOAT_COLUMNS}
    fields |= {
        "model": row["model"].strip(),
        "precision": normalise_precision(row.get("precision") or "", notes),
        "precision_raw": (row.get("precision") or "").strip(),
        "engine": normalise_engine(row.get("engine") or "", notes),
        "engine_version": (row.get("engine_version") or "").strip(),
        "gpu": resolve_gpu(row["gpu"]),
        "gpu_count": _whole(row, "gpu_count"),
        "tensor_parallel": _whole(row, "tensor_parallel"),
        "load_type": load_type,
        "load_value": _load_value(row.get("load_value") or ""),
        "notes": notes,
    }
    return fields


def record_from_row(
    row: Mapping[str, str],
    resolve_gpu: Callable[[str], str],
    *,
    source_id: str,
    commits: Mapping[str, str] | None = None,
    fallback_path: str = "",
) -> BenchmarkRecord:
    """Parse one row of the ``benchmarks.csv`` format into a validated record.

    Args:
        row: Column → cell text.
        resolve_gpu: GPU cell → catalog name.
        source_id: Source id when the row's ``source_id`` cell is empty.
        commits: Source id → "repo@commit" (from SOURCES.md).
        fallback_path: Provenance path when the notes name none (the file read).

    Returns:
        The record.

    Raises:
        InvalidInputError: For a missing or malformed cell or a negative measurement.
        pydantic.ValidationError: When a field is out of range.
    """
    source = (row.get("source_id") or "").strip() or source_id
    fields = row_fields(row, resolve_gpu)
    provenance = provenance_from_notes(
        str(fields["notes"]), source_id=source, commits=commits or {}, fallback_path=fallback_path
    )
    return build_record(fields, source_id=source, provenance=provenance)
