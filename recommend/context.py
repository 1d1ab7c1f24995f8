"""Everything a recommendation reads, loaded once: catalogs, calibration, records, patterns.

:func:`default_context` builds it from the packaged knowledge (plus the operator's price and
inventory files, and the records and calibration of the data directory) without embeddings,
Qdrant or torch, so ``preflight recommend`` starts fast; a knowledge-base retriever is handed in.
The inventory file says how many GPUs the operator has, by GPU name or family::

    # inventory.yaml                      # or inventory.csv
    L4: 8                                 # gpu,count
    A100-SXM-80GB: 4                      # L4,8

This module reads files only when asked; it never reads the environment.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from domain.benchmarks import DeploymentPattern
from domain.catalog import GpuSpec, ModelSpec
from domain.errors import InvalidInputError, UnknownNameError
from domain.recommendation import DeployScreen, RecommendationBasis, RecommendedOption
from domain.requirements import GpuFamily, Task, TaskDefaults
from knowledge.catalog import closest_names, load_gpus, load_models
from knowledge.model_registry import ModelLookup
from knowledge.patterns import load_patterns
from knowledge.prices import describe_basis, parse_price_basis
from knowledge.records import ingested_path, load_records, records_version
from knowledge.records_index import RecordIndex
from knowledge.task_defaults import task_defaults
from recommend.memo import Memo
from recommend.retrieval import Retriever
from recommend.techniques import WITHOUT_LLM_D
from simulate.calibration import Calibration
from simulate.calibration_store import CURRENT, current
from simulate.calibration_store import folder as calibration_folder

DeployCheck = Callable[[RecommendedOption], DeployScreen]


@dataclass(frozen=True)
class RecommendContext:
    """What the engine reads; built once per process and shared by every recommendation.

    ``memo`` remembers simulator answers across recommendations (keyed on immutable inputs);
    it is never passed in, so a copy made with :func:`dataclasses.replace` starts empty.
    ``model_lookup`` finds a named ``org/name`` the catalog lacks (a model registry), if any.
    ``engine_versions`` names, per GPU vendor, the vLLM version of the image options deploy
    ("NVIDIA" → "0.11.0"): predictions use that version's calibration band, or the nearest
    measured one, saying so and widening their intervals
    (:func:`recommend.predictions.engine_basis`).
    ``deploy_check`` screens each option against the cluster it would be deployed to (the deploy
    side's pre-flight check, handed in by the entry point: recommend never imports deploy), so no
    option is offered that the cluster would refuse; None offers every option unscreened.
    ``serving_techniques`` names the techniques options may add (:mod:`recommend.techniques`):
    expert parallelism and speculative decoding by default; disaggregated prefill/decode only
    where the entry point's cluster settings serve an LLMInferenceService with a prefill pool.
    """

    models: Mapping[str, ModelSpec]
    gpus: Mapping[str, GpuSpec]
    calibration: Calibration
    records: RecordIndex
    patterns: Sequence[DeploymentPattern]
    task_defaults: Mapping[Task, TaskDefaults]
    inventory: Mapping[str, int] | None = None
    allowed_gpus: frozenset[str] | None = None  # GPU names or families allowed here; None = any
    price_basis: str = "aws on-demand list prices"
    basis: RecommendationBasis | None = None
    retriever: Retriever | None = None
    model_lookup: ModelLookup | None = None
    deploy_check: DeployCheck | None = None
    engine_versions: Mapping[str, str] = field(default_factory=dict)
    serving_techniques: frozenset[str] = WITHOUT_LLM_D
    memo: Memo = field(default_factory=Memo, init=False, repr=False, compare=False)


def _inventory_rows(path: Path) -> list[tuple[str, object]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        if rows and not {"gpu", "count"} <= set(rows[0]):
            raise InvalidInputError(
                f"{path}: expected columns gpu,count", hint="one row per GPU name or family"
            )
        return [(row["gpu"].strip(), row["count"]) for row in rows]
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict):
        raise InvalidInputError(
            f"{path}: expected a mapping of GPU name or family to count", hint="e.g. 'L4: 8'"
        )
    return [(str(name).strip(), count) for name, count in document.items()]


def load_inventory(path: Path, gpus: Mapping[str, GpuSpec]) -> dict[str, int]:
    """Read an operator's GPU inventory (YAML mapping or CSV ``gpu,count``).

    Args:
        path: The file.
        gpus: The GPU catalog, to check names against.

    Returns:
        GPU catalog name or family value → count.

    Raises:
        InvalidInputError: When the file is unreadable or a count is not a whole number ≥ 0.
        UnknownNameError: When a GPU name is neither a catalog GPU nor a family.
    """
    try:
        rows = _inventory_rows(path)
    except OSError as exc:
        raise InvalidInputError(f"cannot read inventory file {path}: {exc.strerror}") from exc
    families = {family.value.lower(): family.value for family in GpuFamily}
    names = {name.lower(): name for name in gpus}
    inventory: dict[str, int] = {}
    for name, raw in rows:
        key = names.get(name.lower()) or families.get(name.lower())
        if key is None:
            raise UnknownNameError("GPU", name, closest_names(name, [*gpus, *families.values()]))
        try:
            count = int(str(raw))
        except ValueError as exc:
            raise InvalidInputError(f"{path}: count for {name} is not a whole number") from exc
        if count < 0:
            raise InvalidInputError(f"{path}: count for {name} is negative")
        inventory[key] = count
    return inventory


def default_context(
    *,
    price_file: Path | None = None,
    inventory_file: Path | None = None,
    price_basis: str = "",
    data_dir: Path | None = None,
    retriever: Retriever | None = None,
    model_lookup: ModelLookup | None = None,
    deploy_check: DeployCheck | None = None,
    engine_versions: Mapping[str, str] | None = None,
    serving_techniques: frozenset[str] = WITHOUT_LLM_D,
) -> RecommendContext:
    """Load the packaged knowledge (and the operator's files and data) into a context.

    Args:
        price_file: An operator's GPU price CSV; when given it is the whole price basis.
        inventory_file: An operator's GPU inventory (YAML or CSV).
        price_basis: Shipped price providers, one or a comma-separated set ("" = aws).
        data_dir: Preflight's data directory: records ingested there are read with the shipped
            ones, and its current calibration replaces the shipped one.
        retriever: The knowledge-base search each recommendation consults (None: none).
        model_lookup: Where named models outside the catalog are looked up (none when None).
        deploy_check: The deploy side's screen of each option (none when None).
        engine_versions: GPU vendor → vLLM version of the image deployed there.
        serving_techniques: Techniques options may add (:mod:`recommend.techniques`).

    Returns:
        The context.

    Raises:
        InvalidInputError: When an operator file is malformed (named with the line).
        UnknownNameError: When the price basis names no shipped provider.
    """
    models = load_models()
    basis = parse_price_basis(price_basis)
    gpus = load_gpus(price_file, basis)
    inventory = load_inventory(inventory_file, gpus) if inventory_file is not None else None
    records = load_records(data_dir)
    calibration = current(data_dir)
    return RecommendContext(
        models=models,
        gpus=gpus,
        calibration=calibration.calibration,
        records=RecordIndex(records, models),
        patterns=tuple(load_patterns()),
        task_defaults=task_defaults(),
        inventory=inventory,
        price_basis=describe_basis(price_file, basis),
        basis=RecommendationBasis(
            calibration_version=calibration.version,
            knowledge_version=records_version(records),
            measured_records=len(records),
        ),
        retriever=retriever,
        model_lookup=model_lookup,
        deploy_check=deploy_check,
        engine_versions=dict(engine_versions or {}),
        serving_techniques=serving_techniques,
    )


def data_stamp(data_dir: Path | None) -> str:
    """What a context read from the data directory, cheaply: ingested records and calibration.

    Two stamps differ when ``preflight ingest`` added records (the file's size and time) or
    ``simulate calibrate`` made another calibration current, so a long-running process can tell
    when to load its data again without reading it.

    Args:
        data_dir: Preflight's data directory (None: shipped data only).

    Returns:
        A short string; equal for unchanged data.
    """
    if data_dir is None:
        return "shipped"
    parts = []
    for path in (ingested_path(data_dir), calibration_folder(data_dir) / CURRENT):
        try:
            stat = path.stat()
        except FileNotFoundError:
            parts.append("-")
            continue
        parts.append(f"{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts)
