"""What GuideLLM and vLLM JSON readers share: opening the file, the deployment fields, the record.

Both readers turn one measured run into the same normalised fields; this module fills in the
deployment (GPU, tensor-parallel size, precision, engine) from the report's metadata or the
:class:`~ingest.result.RunContext`, validates the record and reports a bad entry with its file
and entry number. It reads files only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.catalog import Provenance
from domain.errors import InvalidInputError, UnknownNameError
from ingest.result import BadRow, ReadResult, RunContext
from knowledge.catalog import load_gpus, resolve_gpu
from simulate.benchmark_rows import build_record, normalise_engine, normalise_precision


def read_json_entries(path: Path, list_key: str | None = None) -> list[Any]:
    """The entries of a JSON report: an object, a list of objects, or JSON lines.

    Args:
        path: The file.
        list_key: Key of the list of runs inside a top-level object (e.g. "benchmarks").

    Returns:
        The entries.

    Raises:
        InvalidInputError: When the file is unreadable or not JSON.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read {path}: {exc}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        try:
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{path}: not JSON or JSON lines: {exc}") from exc
    if list_key and isinstance(document, dict) and isinstance(document.get(list_key), list):
        return list(document[list_key])
    return document if isinstance(document, list) else [document]


def _meta(meta: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if meta.get(key) not in (None, ""):
            return meta[key]
    return None


def deployment_fields(meta: Mapping[str, Any], context: RunContext) -> dict[str, object]:
    """GPU, counts, precision and engine from report metadata, else from the context.

    Args:
        meta: Free-form metadata of the run (vLLM ``--metadata``; GuideLLM extras).
        context: What the person ingesting said.

    Returns:
        Record fields.

    Raises:
        InvalidInputError: When no GPU is known or it is not in the catalog.
    """
    gpu_name = _meta(meta, "gpu", "accelerator") or context.gpu
    if not gpu_name:
        raise InvalidInputError("the report does not name its GPU", hint="pass --gpu")
    try:
        gpu = resolve_gpu(str(gpu_name), load_gpus()).name
    except UnknownNameError as exc:
        raise InvalidInputError(str(exc)) from exc
    tp = _meta(meta, "tensor_parallel_size", "tensor_parallel", "tp") or context.tensor_parallel
    count = _meta(meta, "gpu_count", "num_gpus") or context.gpu_count or tp or 1
    precision = str(_meta(meta, "precision", "quantization", "dtype") or context.precision)
    engine = str(_meta(meta, "engine") or context.engine)
    return {
        "gpu": gpu,
        "gpu_count": int(count),
        "tensor_parallel": int(tp) if tp else None,
        "precision": normalise_precision(precision),
        "precision_raw": precision,
        "engine": normalise_engine(engine),
        "engine_version": str(
            _meta(meta, "engine_version", "vllm_version") or context.engine_version
        ),
    }


def add_entry(
    result: ReadResult,
    seen: set[str],
    *,
    path: Path,
    entry: int,
    fields: dict[str, object],
    context: RunContext,
) -> None:
    """Validate one run's fields into a record and keep it, or report it as bad.

    Args:
        result: Where records and bad entries go.
        seen: Ids kept so far.
        path: The report file.
        entry: 1-based entry number in the file.
        fields: Record fields without id/provenance.
        context: The run context (source id).
    """
    source = context.source_id or ("observed" if context.observed else path.stem)
    fields.setdefault("notes", f"src={path.name} (entry {entry})")
    where = f"observed: {context.observed}" if context.observed else path.name
    provenance = Provenance(source_id=source, source_path=where, commit=None)
    try:
        result.add(build_record(fields, source_id=source, provenance=provenance), seen)
    except InvalidInputError as exc:
        result.bad_rows.append(BadRow(str(path), entry, exc.message))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        result.bad_rows.append(BadRow(str(path), entry, f"{where}: {first['msg']}"))
