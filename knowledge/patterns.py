"""Deployment patterns: Markdown documents with YAML front matter in ``knowledge/data/patterns``.

Each document is a deployment the team has written up (task, scale, model, GPU, serving
arguments, autoscaling, what to watch, pitfalls, and the measured records or documents it rests
on). Loading validates every document against the catalogs; a bad document is reported with its
file and the reason. This module reads files only; indexing them for search is the KB's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from domain.benchmarks import DeploymentPattern
from domain.catalog import GpuSpec, ModelSpec
from domain.errors import InvalidInputError, UnknownNameError
from knowledge.catalog import (
    YAML_LOADER,
    data_path,
    load_gpus,
    load_models,
    resolve_gpu,
    resolve_model,
)

PATTERN_DIR = "patterns"


def _split_front_matter(text: str, path: Path) -> tuple[dict[str, object], str]:
    if not text.startswith("---\n"):
        raise InvalidInputError(f"{path}: no YAML front matter (the file must start with '---')")
    head, separator, body = text[4:].partition("\n---\n")
    if not separator:
        raise InvalidInputError(f"{path}: front matter is not closed with '---'")
    try:
        meta = yaml.load(head, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{path}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise InvalidInputError(f"{path}: front matter must be a mapping")
    return meta, body.strip()


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_pattern(
    text: str,
    path: Path,
    *,
    models: Mapping[str, ModelSpec],
    gpus: Mapping[str, GpuSpec],
) -> DeploymentPattern:
    """Validate one pattern document.

    Args:
        text: The document (front matter and Markdown body).
        path: Where it comes from, for messages.
        models: The model catalog (the ``model`` field must name one).
        gpus: The GPU catalog (the ``gpu`` field must name one).

    Returns:
        The pattern, with the Markdown body in ``body``.

    Raises:
        InvalidInputError: With the file and the reason.
    """
    meta, body = _split_front_matter(text, path)
    args = meta.get("serving_args") or {}
    if not isinstance(args, dict):
        raise InvalidInputError(f"{path}: serving_args must be a mapping")
    meta["serving_args"] = {str(key): _as_text(value) for key, value in args.items()}
    try:
        pattern = DeploymentPattern.model_validate({**meta, "body": body})
        resolve_model(pattern.model, models)
        resolve_gpu(pattern.gpu, gpus)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInputError(f"{path}: {where}: {first['msg']}") from exc
    except UnknownNameError as exc:
        raise InvalidInputError(f"{path}: {exc}") from exc
    if path.stem != pattern.id:
        raise InvalidInputError(f"{path}: id {pattern.id!r} differs from the file name")
    return pattern


def load_patterns(directory: Path | None = None) -> list[DeploymentPattern]:
    """All deployment patterns, validated, sorted by id.

    Args:
        directory: A folder of ``*.md`` documents; None reads the shipped ones.

    Returns:
        The patterns.

    Raises:
        InvalidInputError: Naming every bad document and why.
    """
    if directory is None:
        return list(_shipped())
    return _load(directory)


@cache
def _shipped() -> tuple[DeploymentPattern, ...]:
    return tuple(_load(data_path(PATTERN_DIR)))


def _load(directory: Path) -> list[DeploymentPattern]:
    models, gpus = load_models(), load_gpus()
    patterns: list[DeploymentPattern] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.md")):
        try:
            text = path.read_text(encoding="utf-8")
            patterns.append(parse_pattern(text, path, models=models, gpus=gpus))
        except InvalidInputError as exc:
            problems.append(exc.message)
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot read: {exc}")
    if problems:
        raise InvalidInputError("bad deployment pattern(s): " + "; ".join(problems))
    return patterns
