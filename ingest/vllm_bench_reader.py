"""Read vLLM ``benchmark_serving`` (``vllm bench serve``) result JSON into benchmark records.

A result holds one run: ``model_id``, the offered load (``request_rate``, ``max_concurrency``),
totals (``completed``, ``total_input_tokens``, ``total_output_tokens``), throughputs
(``request_throughput``, ``output_throughput``, ``total_token_throughput``) and latency
summaries in ms (``mean_ttft_ms``, ``median_ttft_ms``, ``p99_ttft_ms``, ``p95_itl_ms`` ...).
The GPU and parallelism come from ``--metadata`` keys or the run context. Reads files only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from domain.benchmarks import LoadType
from domain.errors import InvalidInputError
from ingest.json_reports import add_entry, deployment_fields, read_json_entries
from ingest.result import BadRow, ReadResult, RunContext

_METRICS = {"ttft": "ttft", "itl": "itl", "e2e": "e2el"}


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _load(run: Mapping[str, Any]) -> tuple[LoadType, float | None]:
    concurrency = _number(run.get("max_concurrency"))
    rate = _number(run.get("request_rate"))
    if concurrency:
        return LoadType.CONCURRENCY, concurrency
    if rate:
        return LoadType.RATE, rate
    return LoadType.OFFLINE, None  # all prompts sent at once (request_rate=inf)


def run_fields(run: Mapping[str, Any], context: RunContext) -> dict[str, object]:
    """Record fields of one vLLM result.

    Args:
        run: The result object.
        context: What the file does not say.

    Returns:
        Normalised fields (times in ms, throughputs for the deployment).

    Raises:
        InvalidInputError: When the model, the completed count or the GPU is missing.
    """
    model = context.model or run.get("model_id") or run.get("model")
    completed = _number(run.get("completed"))
    if not model or not completed:
        raise InvalidInputError("not a vLLM benchmark result (no model_id or completed requests)")
    load_type, load_value = _load(run)
    fields: dict[str, object] = {
        "model": str(model),
        "input_tokens": (_number(run.get("total_input_tokens")) or 0) / completed or None,
        "output_tokens": (_number(run.get("total_output_tokens")) or 0) / completed or None,
        "load_type": load_type,
        "load_value": load_value,
        "output_tok_per_s": _number(run.get("output_throughput")),
        "total_tok_per_s": _number(run.get("total_token_throughput")),
        "req_per_s": _number(run.get("request_throughput")),
    }
    for ours, theirs in _METRICS.items():
        fields[f"{ours}_ms_mean"] = _number(run.get(f"mean_{theirs}_ms"))
        fields[f"{ours}_ms_p50"] = _number(
            run.get(f"median_{theirs}_ms", run.get(f"p50_{theirs}_ms"))
        )
        fields[f"{ours}_ms_p95"] = _number(run.get(f"p95_{theirs}_ms"))
    fields["ttft_ms_p99"] = _number(run.get("p99_ttft_ms"))
    if fields["itl_ms_p50"] is None:  # older results report only TPOT
        fields["itl_ms_p50"] = _number(run.get("median_tpot_ms"))
        fields["itl_ms_mean"] = _number(run.get("mean_tpot_ms"))
    metadata = {k: v for k, v in run.items() if isinstance(v, str | int | float)}
    fields |= deployment_fields(metadata, context)
    return fields


def read_vllm_bench(path: Path, context: RunContext) -> ReadResult:
    """Read a vLLM benchmark result file (one object, a list, or JSON lines).

    Args:
        path: The file.
        context: GPU, parallelism and precision the file does not state.

    Returns:
        Records and bad entries (numbered from 1).

    Raises:
        InvalidInputError: When the file is not JSON.
    """
    result, seen = ReadResult(), set[str]()
    for entry, run in enumerate(read_json_entries(path), start=1):
        try:
            if not isinstance(run, dict):
                raise InvalidInputError("entry is not a JSON object")
            fields = run_fields(run, context)
        except InvalidInputError as exc:
            result.bad_rows.append(BadRow(str(path), entry, exc.message))
            continue
        add_entry(result, seen, path=path, entry=entry, fields=fields, context=context)
    return result
