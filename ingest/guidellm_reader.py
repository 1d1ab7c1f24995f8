"""Read GuideLLM benchmark reports (``benchmarks.json``) into benchmark records.

A report holds ``benchmarks``: one per load level. Each has its scheduling strategy
(``config.strategy`` in current GuideLLM, ``args.strategy`` in older reports: synchronous,
concurrent with ``streams``, constant/poisson with ``rate``, throughput) and ``metrics`` whose
entries are status distributions (``successful`` → mean, median, percentiles p50/p95/p99).
Times named ``*_ms`` are ms; ``request_latency`` is in seconds and is converted. Reads files only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from domain.benchmarks import LoadType
from domain.errors import InvalidInputError
from ingest.json_reports import add_entry, deployment_fields, read_json_entries
from ingest.result import BadRow, ReadResult, RunContext


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _stat(metrics: Mapping[str, Any], name: str, stat: str, scale: float = 1.0) -> float | None:
    successful = _dig(metrics, name, "successful")
    if not isinstance(successful, Mapping):
        return None
    value = successful.get(stat)
    if value is None and stat.startswith("p"):
        value = _dig(successful, "percentiles", stat)
    if value is None and stat == "p50":
        value = successful.get("median")
    return float(value) * scale if isinstance(value, int | float) else None


def _strategy(benchmark: Mapping[str, Any]) -> tuple[LoadType, float | None]:
    strategy = _dig(benchmark, "config", "strategy") or _dig(benchmark, "args", "strategy") or {}
    kind = str(strategy.get("type_", strategy.get("type", ""))).lower()
    if kind == "synchronous":
        return LoadType.CONCURRENCY, 1.0
    if kind == "concurrent":
        return LoadType.CONCURRENCY, float(strategy["streams"])
    if kind in ("constant", "poisson", "async_constant", "async_poisson"):
        return LoadType.RATE, float(strategy["rate"])
    if kind == "throughput":
        return LoadType.OFFLINE, None
    raise InvalidInputError(f"unknown GuideLLM strategy {kind or '(none)'!r}")


def _model(benchmark: Mapping[str, Any], report: Mapping[str, Any], context: RunContext) -> str:
    model = (
        context.model
        or _dig(benchmark, "config", "backend", "model")
        or _dig(benchmark, "worker", "backend_model")
        or _dig(report, "args", "model")
    )
    if not model:
        raise InvalidInputError("the report does not name its model", hint="pass --model")
    return str(model)


def benchmark_fields(
    benchmark: Mapping[str, Any], report: Mapping[str, Any], context: RunContext
) -> dict[str, object]:
    """Record fields of one GuideLLM benchmark (one load level).

    Args:
        benchmark: One element of the report's ``benchmarks``.
        report: The whole report (for run-level arguments).
        context: What the report does not say.

    Returns:
        Normalised fields.

    Raises:
        InvalidInputError: When the strategy, model, metrics or GPU are missing.
    """
    metrics = benchmark.get("metrics")
    if not isinstance(metrics, Mapping):
        raise InvalidInputError("benchmark has no metrics")
    load_type, load_value = _strategy(benchmark)
    fields: dict[str, object] = {
        "model": _model(benchmark, report, context),
        "input_tokens": _stat(metrics, "prompt_token_count", "mean"),
        "output_tokens": _stat(metrics, "output_token_count", "mean"),
        "load_type": load_type,
        "load_value": load_value,
        "output_tok_per_s": _stat(metrics, "output_tokens_per_second", "mean"),
        "total_tok_per_s": _stat(metrics, "tokens_per_second", "mean"),
        "req_per_s": _stat(metrics, "requests_per_second", "mean"),
    }
    for ours, theirs, scale in (
        ("ttft", "time_to_first_token_ms", 1.0),
        ("itl", "inter_token_latency_ms", 1.0),
        ("e2e", "request_latency", 1000.0),  # seconds in GuideLLM
    ):
        for stat in ("mean", "p50", "p95"):
            fields[f"{ours}_ms_{stat}"] = _stat(metrics, theirs, stat, scale)
    fields["ttft_ms_p99"] = _stat(metrics, "time_to_first_token_ms", "p99")
    extras = benchmark.get("extras") or _dig(benchmark, "config", "environment") or {}
    fields |= deployment_fields(extras if isinstance(extras, Mapping) else {}, context)
    return fields


def read_guidellm(path: Path, context: RunContext) -> ReadResult:
    """Read a GuideLLM report.

    Args:
        path: The report (JSON with ``benchmarks``).
        context: GPU, parallelism and precision the report does not state.

    Returns:
        Records and bad benchmarks (numbered from 1).

    Raises:
        InvalidInputError: When the file is not JSON.
    """
    entries = read_json_entries(path, list_key="benchmarks")
    report = read_json_entries(path)[0] if entries else {}
    result, seen = ReadResult(), set[str]()
    for entry, benchmark in enumerate(entries, start=1):
        try:
            if not isinstance(benchmark, Mapping):
                raise InvalidInputError("benchmark is not a JSON object")
            fields = benchmark_fields(
                benchmark, report if isinstance(report, Mapping) else {}, context
            )
        except (InvalidInputError, KeyError, TypeError, ValueError) as exc:
            reason = exc.message if isinstance(exc, InvalidInputError) else f"malformed: {exc}"
            result.bad_rows.append(BadRow(str(path), entry, reason))
            continue
        add_entry(result, seen, path=path, entry=entry, fields=fields, context=context)
    return result
