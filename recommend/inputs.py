"""Requirements from outside (a JSON file, a dict): names checked against the catalogs first.

An unknown GPU family or model becomes :class:`~domain.errors.UnknownNameError` naming the
closest known ones; any other malformed field becomes
:class:`~domain.errors.InvalidInputError` naming the field. This module never recommends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from domain.catalog import ModelSpec
from domain.errors import InvalidInputError, UnknownNameError
from domain.registry import ModelRef
from domain.requirements import GpuFamily, Requirements
from knowledge.catalog import closest_names, resolve_model


def _families(raw: object) -> object:
    if not isinstance(raw, list):
        return raw
    by_lower = {family.value.lower(): family.value for family in GpuFamily}
    known = [family.value for family in GpuFamily]
    result = []
    for name in raw:
        value = by_lower.get(str(name).strip().lower())
        if value is None:
            raise UnknownNameError("GPU family", str(name), closest_names(str(name), known))
        result.append(value)
    return result


def _model_id(name: str, models: Mapping[str, ModelSpec]) -> str:
    """The catalog id of a name; an unknown ``org/name[@rev]`` is kept for a registry lookup."""
    try:
        return resolve_model(name, models).hf_id
    except UnknownNameError:
        if ModelRef.maybe(name) is None:
            raise
        return name.strip()


def requirements_from_mapping(
    data: Mapping[str, object], models: Mapping[str, ModelSpec]
) -> Requirements:
    """Validate requirements given as a mapping (the evaluation schema).

    Args:
        data: Field → value.
        models: The model catalog, to check named models against.

    Returns:
        The requirements, with model ids spelled as in the catalog (a repository id the catalog
        lacks stays as given: the recommendation looks it up in a model registry).

    Raises:
        UnknownNameError: For an unknown GPU family or model (closest known names attached).
        InvalidInputError: For any other invalid field.
    """
    fields = dict(data)
    if "gpu_families" in fields:
        fields["gpu_families"] = _families(fields["gpu_families"])
    named = fields.get("models")
    if isinstance(named, list):
        fields["models"] = [_model_id(str(name), models) for name in named]
    try:
        return Requirements.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "requirements"
        raise InvalidInputError(
            f"invalid requirements: {where}: {first['msg']}",
            hint="fields follow the schema of shared/eval/README.md",
        ) from exc


def read_requirements(path: Path, models: Mapping[str, ModelSpec]) -> Requirements:
    """Read requirements from a JSON file.

    Args:
        path: The file (one JSON object in the evaluation schema).
        models: The model catalog.

    Returns:
        The requirements.

    Raises:
        InvalidInputError: When the file is unreadable, not JSON, or not an object.
        UnknownNameError: For an unknown GPU family or model.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path} must hold one JSON object of requirements")
    return requirements_from_mapping(data, models)
