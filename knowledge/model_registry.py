"""Models a team names that the curated catalog lacks: read from a registry, sized, remembered.

:class:`ModelRegistry` is the port (the Hub over ``huggingface_hub`` is
:class:`knowledge.hf_registry.HubRegistry`); :func:`spec_from_record` turns what a registry
returns into the same :class:`~domain.catalog.ModelSpec` the curated catalog holds, with every
derived figure's source in :attr:`~domain.catalog.ModelSpec.origin`. :class:`RegistryCatalog`
is what recommendations are handed (:class:`ModelLookup`): it answers from a cache of looked-up
models in the data directory first (one JSON file per id and revision, so a restart or an
offline cluster keeps them), asks the registry otherwise, and refreshes on demand.

This module never imports a registry client; it reads and writes its cache folder only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from pydantic import ValidationError

from domain.catalog import ModelSpec, Provenance
from domain.errors import BackendUnavailableError, ModelNotFoundError, UnknownNameError
from domain.registry import FieldSource, ModelRef, RegistryOrigin
from knowledge.catalog import closest_names, license_class, resolve_model
from knowledge.model_config import derive_architecture, native_precision, weight_format

CATALOG_NOTE = "not in the curated catalog: no published quality score; architecture read from {}"
GATED_NOTE = (
    "{} is gated: the deployment needs a Hugging Face token of an account with access "
    "(PREFLIGHT_CLUSTER__HF_TOKEN_SECRET names the Secret holding it)"
)


@dataclass(frozen=True)
class RegistryRecord:
    """What a registry holds for one model.

    Attributes:
        registry: The registry's endpoint (no credentials).
        repo_id: ``org/name``.
        revision: The revision asked for, if any.
        commit: The commit the files were read at.
        config: The parsed ``config.json``.
        quant_config: A separate quantization file (``hf_quant_config.json``), if any.
        license: The licence the repository states, if any.
        gated: Whether the repository asks users to accept terms before download.
    """

    registry: str
    repo_id: str
    revision: str | None
    commit: str
    config: Mapping[str, Any]
    quant_config: Mapping[str, Any] | None
    license: str | None
    gated: bool


class ModelRegistry(Protocol):
    """A model registry: the Hub, a Hub-compatible mirror, a company registry."""

    endpoint: str

    def fetch(self, *, ref: ModelRef) -> RegistryRecord:
        """Read one model's metadata and config.

        Args:
            ref: The model id.

        Returns:
            What the registry holds.

        Raises:
            ModelNotFoundError: Unknown id or revision.
            ModelAccessError: Private or gated, and the credentials do not open it.
            UnsupportedArchitectureError: No readable config.
            BackendUnavailableError: The registry did not answer.
        """
        ...


class RegistryChain:
    """Several registries asked in order: the first that knows the model answers.

    Args:
        registries: The registries, most specific first (a company registry before the Hub).
    """

    def __init__(self, registries: Sequence[ModelRegistry]) -> None:
        self._registries = list(registries)
        self.endpoint = ", ".join(registry.endpoint for registry in self._registries)

    def fetch(self, *, ref: ModelRef) -> RegistryRecord:
        """Read the model from the first registry that has it.

        Args:
            ref: The model id.

        Returns:
            What that registry holds.

        Raises:
            ModelNotFoundError: When none has it (the last registry's answer).
            ModelAccessError: When one has it but refuses the credentials.
            UnsupportedArchitectureError: When the one that has it holds no readable config.
            BackendUnavailableError: When one did not answer (never read as "not there").
        """
        missing: ModelNotFoundError | None = None
        for registry in self._registries:
            try:
                return registry.fetch(ref=ref)
            except ModelNotFoundError as exc:
                missing = exc
        raise missing or ModelNotFoundError(f"no model registry to look {ref.text} up in")


class ModelLookup(Protocol):
    """Finds a model that is not in the curated catalog (what recommendations are handed)."""

    def lookup(self, *, name: str) -> ModelSpec:
        """The spec of a model named ``org/name[@revision]``.

        Args:
            name: The id as named.

        Returns:
            Its spec, with :attr:`ModelSpec.origin` set.

        Raises:
            InvalidInputError: Not an id, unknown, or an architecture Preflight cannot size.
            ModelAccessError: Private or gated without credentials.
            BackendUnavailableError: The registry did not answer and nothing is cached.
        """
        ...


def find_model(name: str, models: Mapping[str, ModelSpec], lookup: ModelLookup | None) -> ModelSpec:
    """A model by catalog id, else a repository id the catalog lacks, looked up.

    Args:
        name: The model as named (a catalog id or ``org/name[@revision]``).
        models: The curated catalog.
        lookup: Where models outside the catalog are looked up; None: nowhere.

    Returns:
        The spec.

    Raises:
        UnknownNameError: For a name that is neither in the catalog nor a repository id, or any
            unknown name without a lookup (closest catalog ids attached).
        ModelNotFoundError: When the registry has no such model (closest catalog ids in the hint).
        InvalidInputError: When the registry cannot size the model.
        ModelAccessError: When the model is private or gated and no credentials open it.
        BackendUnavailableError: When the registry did not answer and nothing is cached.
    """
    try:
        return resolve_model(name, models)
    except UnknownNameError:
        if lookup is None or ModelRef.maybe(name) is None:
            raise
    try:
        return lookup.lookup(name=name)
    except ModelNotFoundError as exc:
        closest = ", ".join(closest_names(name, models))
        raise ModelNotFoundError(
            exc.message, hint=f"{exc.hint}; closest in the curated catalog: {closest}"
        ) from exc


def spec_from_record(record: RegistryRecord, *, now: datetime | None = None) -> ModelSpec:
    """The catalog-shaped spec of a registry model, each derived figure with its source.

    Args:
        record: What the registry returned.
        now: When it was read (now when None).

    Returns:
        The spec: no task tags and no quality scores (a registry publishes none we can cite).

    Raises:
        UnsupportedArchitectureError: When the config cannot be sized.
    """
    label = f"{record.repo_id}@{record.commit[:12]}"
    arch = derive_architecture(record.config, label)
    precision, precision_source = native_precision(record.config, record.quant_config)
    arch.put("native_precision", precision, precision_source)
    released = weight_format(record.config, record.quant_config)
    if released:
        arch.put("weight_format", released, precision_source)
    licence = record.license or "unknown (not stated in the repository)"
    arch.put("license", licence, "repository card metadata (license)")
    origin = RegistryOrigin(
        registry=record.registry,
        repo_id=record.repo_id,
        revision=record.revision,
        commit=record.commit,
        gated=record.gated,
        fetched_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        fields=tuple(FieldSource(field=k, source=v) for k, v in arch.sources.items()),
    )
    name = record.repo_id.split("/")[-1].lower()
    return ModelSpec(
        hf_id=record.repo_id,
        license_class=license_class(licence),
        instruct="instruct" in name or name.endswith("-it") or "chat" in name,
        source=Provenance(
            source_id="model_registry",
            source_path=f"{record.registry}/{record.repo_id}/blob/{record.commit}/config.json",
            commit=f"{record.repo_id}@{record.commit}",
        ),
        origin=origin,
        **arch.fields,
    )


def registry_notes(spec: ModelSpec) -> list[str]:
    """What a card says about a model read from a registry (nothing for curated ones).

    Args:
        spec: The model.

    Returns:
        The "not in the curated catalog" line, and the token line for a gated model.
    """
    if spec.origin is None:
        return []
    notes = [CATALOG_NOTE.format(spec.origin.label)]
    if spec.origin.gated:
        notes.append(GATED_NOTE.format(spec.hf_id))
    return notes


class RegistryCatalog:
    """Looked-up models: the cache in the data directory first, then the registry.

    Args:
        registry: The registry to ask; None answers from the cache only (offline).
        cache_dir: The folder of cached specs (``<data_dir>/models``).
        connect: Builds the registry on first need instead (its client library is imported
            only when a model is looked up); used when ``registry`` is None.
        clock: Now, for the time a spec was read.
    """

    def __init__(
        self,
        *,
        registry: ModelRegistry | None,
        cache_dir: Path,
        connect: Callable[[], ModelRegistry] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._registry = registry
        self._connect = connect
        self._dir = cache_dir
        self._clock = clock

    def lookup(self, *, name: str) -> ModelSpec:
        """The spec of ``org/name[@revision]``, from the cache or else the registry.

        Args:
            name: The id as named.

        Returns:
            Its spec.

        Raises:
            InvalidInputError: Not an id, unknown, or not sizeable.
            ModelAccessError: Private or gated without credentials.
            BackendUnavailableError: The registry did not answer and nothing is cached.
        """
        ref = ModelRef.parse(name)
        cached = self._read(self._path(ref))
        return cached if cached is not None else self._fetched(ref)

    def refresh(self, *, names: Sequence[str] = ()) -> list[ModelSpec]:
        """Read models again from the registry and replace their cached specs.

        Args:
            names: Ids to refresh; every cached one when empty.

        Returns:
            The fresh specs, in the order asked.

        Raises:
            PreflightError: The first model that could not be read (the others stay cached).
        """
        refs = [ModelRef.parse(name) for name in names] or [_ref_of(spec) for spec in self.cached()]
        return [self._fetched(ref) for ref in refs]

    def cached(self) -> list[ModelSpec]:
        """Every cached spec, by file name.

        Returns:
            The specs.
        """
        if not self._dir.is_dir():
            return []
        specs = (self._read(path) for path in sorted(self._dir.glob("*.json")))
        return [spec for spec in specs if spec is not None]

    def _fetched(self, ref: ModelRef) -> ModelSpec:
        if self._registry is None and self._connect is not None:
            self._registry = self._connect()
        if self._registry is None:
            raise ModelNotFoundError(
                f"unknown model {ref.text!r}: not in the curated catalog, and no model registry "
                "is configured to look it up",
                hint="set PREFLIGHT_KNOWLEDGE__HF_ENDPOINT to the Hub or a Hub-compatible registry",
            )
        spec = spec_from_record(self._registry.fetch(ref=ref), now=self._clock())
        self._write(self._path(ref), spec)
        return spec

    def _path(self, ref: ModelRef) -> Path:
        name = f"{ref.org}--{ref.name}"
        if ref.revision:
            name += "@" + quote(ref.revision, safe="")
        return self._dir / f"{name}.json"

    @staticmethod
    def _read(path: Path) -> ModelSpec | None:
        try:
            return ModelSpec.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValidationError, UnicodeDecodeError):
            return None  # a damaged cache entry is read again from the registry

    def _write(self, path: Path, spec: ModelSpec) -> None:
        try:
            self._dir.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".json.part")
            partial.write_text(json.dumps(spec.model_dump(mode="json"), indent=1), "utf-8")
            os.replace(partial, path)
        except OSError as exc:
            raise BackendUnavailableError(
                "model cache", f"cannot write {path}: {exc.strerror}"
            ) from exc


def _ref_of(spec: ModelSpec) -> ModelRef:
    origin = spec.origin
    revision = origin.revision if origin is not None else None
    return ModelRef.parse(f"{spec.hf_id}@{revision}" if revision else spec.hf_id)
