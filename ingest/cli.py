"""``preflight ingest``: read benchmark files into the knowledge base (registered by entry point).

Reads our CSV format, GuideLLM reports and vLLM ``benchmark_serving`` results; reports every bad
row with file, line and reason; adds the new records to the local record store
(``<data dir>/ingested_records.jsonl``) and indexes them in the knowledge base when it is built.
``ingest`` may not import ``bot``, so its settings come from the same ``PREFLIGHT_*`` variables
through Typer options. Heavy libraries are imported only when indexing.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from domain.errors import BackendUnavailableError, InvalidInputError
from ingest.csv_reader import read_benchmark_csv
from ingest.guidellm_reader import read_guidellm
from ingest.json_reports import read_json_entries
from ingest.result import ReadResult, RunContext
from ingest.sources import read_source_commits
from ingest.vllm_bench_reader import read_vllm_bench
from knowledge import kb_build
from knowledge.records import add_ingested

_err = Console(stderr=True)


class Format(StrEnum):
    """Input formats."""

    AUTO = "auto"
    CSV = "csv"
    GUIDELLM = "guidellm"
    VLLM = "vllm"


def detect_format(path: Path) -> Format:
    """Which reader a file needs, from its suffix and (for JSON) its top-level keys.

    Args:
        path: The file.

    Returns:
        csv, guidellm or vllm.
    """
    if path.suffix.lower() == ".csv":
        return Format.CSV
    entries = read_json_entries(path)
    first = entries[0] if entries else {}
    return Format.GUIDELLM if isinstance(first, dict) and "benchmarks" in first else Format.VLLM


def read_file(
    path: Path, fmt: Format, context: RunContext, progress: Progress | None
) -> ReadResult:
    """Read one file with the reader its format needs.

    Args:
        path: The file.
        fmt: Its format (auto-detected when AUTO).
        context: Deployment facts for JSON reports.
        progress: A rich progress display for CSV rows.

    Returns:
        Records and bad rows.
    """
    fmt = detect_format(path) if fmt is Format.AUTO else fmt
    if fmt is Format.CSV:
        commits = read_source_commits(path.parent / "SOURCES.md")
        task = progress.add_task(path.name, total=None) if progress else None
        advance = (lambda n: progress.advance(task, n)) if progress and task is not None else None
        return read_benchmark_csv(
            path, source_id=context.source_id, commits=commits, progress=advance
        )
    if fmt is Format.GUIDELLM:
        return read_guidellm(path, context)
    return read_vllm_bench(path, context)


def _index(records: ReadResult, data_dir: Path, url: str | None, key: str | None, name: str) -> int:
    """Upsert into the knowledge base when one is built (else the next `kb build` picks them up)."""
    if url is None and not kb_build.marker_path(data_dir, name).exists():
        return 0
    with kb_build.open_knowledge_base(
        data_dir=data_dir, url=url, api_key=key, collection=name
    ) as kb:
        written = kb.upsert_records(records.records)
    if url is None:
        kb_build.mark_built(data_dir, name)
    return written


def ingest(
    files: Annotated[
        list[Path], typer.Argument(help="Benchmark files (CSV, GuideLLM, vLLM JSON).")
    ],
    source_id: Annotated[str | None, typer.Option(help="Source id (default: file stem).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Input format.")] = Format.AUTO,
    gpu: Annotated[str | None, typer.Option(help="GPU of JSON reports (name or family).")] = None,
    gpu_count: Annotated[int | None, typer.Option(min=1, help="GPUs in the deployment.")] = None,
    tp: Annotated[int | None, typer.Option(min=1, help="Tensor-parallel size.")] = None,
    precision: Annotated[str, typer.Option(help="Weight precision of JSON reports.")] = "bf16",
    engine: Annotated[str, typer.Option(help="Serving engine of JSON reports.")] = "vllm",
    engine_version: Annotated[
        str,
        typer.Option(
            help="Engine version of JSON reports (the deployed image's, e.g. 0.11.0): decides "
            "the calibration band the records refit; the report's metadata wins."
        ),
    ] = "",
    model: Annotated[str | None, typer.Option(help="Model id overriding the report's.")] = None,
    observed: Annotated[
        str | None,
        typer.Option(help="A run of a live deployment: CLUSTER/NAMESPACE/DEPLOYMENT/TIME."),
    ] = None,
    data_dir: Annotated[Path, typer.Option(envvar="PREFLIGHT_DATA_DIR")] = Path(".preflight"),
    qdrant_url: Annotated[
        str | None, typer.Option(envvar="PREFLIGHT_KNOWLEDGE__QDRANT_URL")
    ] = None,
    qdrant_api_key: Annotated[
        str | None, typer.Option(envvar="PREFLIGHT_KNOWLEDGE__QDRANT_API_KEY", hidden=True)
    ] = None,
    collection: Annotated[
        str, typer.Option(envvar="PREFLIGHT_KNOWLEDGE__COLLECTION")
    ] = "preflight",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Read benchmark files, validate every row, and add the new records to the knowledge base."""
    context = RunContext(
        gpu=gpu,
        gpu_count=gpu_count,
        tensor_parallel=tp,
        precision=precision,
        engine=engine,
        engine_version=engine_version,
        model=model,
        source_id=source_id,
        observed=observed,
    )
    total = ReadResult()
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=_err,
            disable=as_json or not sys.stderr.isatty(),
        ) as progress:
            for path in files:
                total.extend(read_file(path, fmt, context, progress))
        new = add_ingested(data_dir, total.records)
        indexed = _index(total, data_dir, qdrant_url, qdrant_api_key, collection) if new else 0
    except (InvalidInputError, BackendUnavailableError) as exc:
        _err.print(f"[red]{exc}[/red]")
        # the same exit codes as every other preflight command: 2 bad input, 3 backend down
        raise typer.Exit(2 if isinstance(exc, InvalidInputError) else 3) from exc
    _report(total, new, indexed, as_json)


def _report(total: ReadResult, new: int, indexed: int, as_json: bool) -> None:
    bad = [{"file": b.file, "line": b.line, "reason": b.reason} for b in total.bad_rows]
    if as_json:
        summary = {
            "records": len(total.records),
            "new": new,
            "duplicates": total.duplicates,
            "indexed": indexed,
            "bad_rows": bad,
        }
        print(json.dumps(summary))
        return
    for row in total.bad_rows:
        _err.print(f"[yellow]skipped[/yellow] {row}")
    print(
        f"read {len(total.records)} records ({new} new, {total.duplicates} duplicates in the "
        f"input, {len(bad)} bad rows skipped); indexed {indexed}"
    )


def register(app: typer.Typer) -> None:
    """Add the ingest command to ``app``.

    Args:
        app: The root Typer app.
    """
    app.command("ingest")(ingest)
