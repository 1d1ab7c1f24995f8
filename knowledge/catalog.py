"""The model and GPU catalogs, read from the facts shipped in ``knowledge/data``.

Every entry keeps where its figures come from. Operators override GPU prices with their own
price file. This module reads packaged files only; it never touches the network or Qdrant.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import yaml

from domain.catalog import GpuSpec, LicenseClass, ModelSpec, Provenance, QualityScore
from domain.errors import UnknownNameError
from domain.requirements import GpuFamily, Task
from knowledge.prices import DEFAULT_PRICE_BASIS, price_on, read_price_file

_PERMISSIVE = {"apache-2.0", "mit"}
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
_ARCH_KEYS = ("params_b", "layers", "hidden", "heads", "kv_heads", "head_dim", "vocab")


def data_path(name: str) -> Path:
    """Path of a file shipped in ``knowledge/data``.

    Args:
        name: File name inside the data folder.

    Returns:
        Its path on disk.
    """
    return Path(str(resources.files("knowledge") / "data" / name))


def _read_csv(name: str) -> list[dict[str, str]]:
    with data_path(name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _float(text: str) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


def _int(text: str) -> int | None:
    value = _float(text)
    return int(value) if value is not None else None


def gpu_family_of(name: str) -> GpuFamily:
    """The family a GPU catalog name belongs to ("H100-SXM-80GB" → H100).

    Args:
        name: GPU catalog name.

    Returns:
        Its family.

    Raises:
        UnknownNameError: When no family matches.
    """
    return _family_by_name(name.upper())


def family_label(name: str) -> str:
    """The family of a GPU name for labels and filters, or the name itself when none matches.

    Args:
        name: GPU catalog name (measured rows may name GPUs the catalog does not know).

    Returns:
        The family name (e.g. "H100"), else ``name``.
    """
    try:
        return gpu_family_of(name).value
    except UnknownNameError:
        return name


@lru_cache(maxsize=1024)
def _family_by_name(upper: str) -> GpuFamily:
    """The family of an upper-cased GPU name, longest family name first (remembered)."""
    by_length = sorted(GpuFamily, key=lambda family: len(family.value), reverse=True)
    for family in by_length:
        if upper == family.value.upper() or upper.startswith(family.value.upper() + "-"):
            return family
    raise UnknownNameError("GPU family", upper, [f.value for f in by_length][:3])


def _interconnect_gbps(text: str) -> float:
    """Per-direction GPU-to-GPU bandwidth in GB/s from the published interconnect text."""
    lowered = text.lower()
    per_dir = re.search(r"([\d.]+)\s*gb/s/dir", lowered)
    if per_dir:
        return float(per_dir.group(1))
    bidir = re.search(r"([\d.]+)\s*(tb|gb)/s bidir", lowered)
    if bidir:
        value = float(bidir.group(1)) * (1000 if bidir.group(2) == "tb" else 1)
        return value / 2
    if "nvlink5" in lowered:
        return 900.0
    if "nvlink bridge" in lowered and "optional" not in lowered:
        peer = re.search(r"([\d.]+)\s*gb/s", lowered)
        return float(peer.group(1)) / 2 if peer else 300.0
    if "infinity fabric" in lowered:
        peer = re.search(r"([\d.]+)\s*gb/s", lowered)
        return float(peer.group(1)) / 2 if peer else 448.0
    if "roce" in lowered or "200gbe" in lowered:
        return 300.0  # 24 x 200 GbE = 600 GB/s bidirectional
    if "gen5" in lowered:
        return 64.0
    if "gen4" in lowered:
        return 32.0
    if "gen3" in lowered:
        return 16.0
    return 32.0


_DEVICE_GIB = re.compile(r"mem_capacity=([\d.]+) GiB")


def _device_gib(row: Mapping[str, str]) -> float | None:
    """Device memory in GiB where a source states it: ``memory_gib``, or the notes' figure
    copied from AIConfigurator's system files (``aiconfigurator mem_capacity=80 GiB``)."""
    stated = _float(row.get("memory_gib", ""))
    if stated is not None:
        return stated
    found = _DEVICE_GIB.search(row.get("notes", ""))
    return float(found.group(1)) if found else None


def _gpu_from_row(row: Mapping[str, str]) -> GpuSpec:
    return GpuSpec(
        name=row["gpu"],
        family=gpu_family_of(row["gpu"]),
        vendor=row["vendor"],
        memory_gb=float(row["memory_gb"]),
        memory_gib=_device_gib(row),
        memory_type=row.get("memory_type", ""),
        mem_bandwidth_gbps=float(row["mem_bandwidth_gbps"]),
        bf16_tflops=float(row["bf16_dense_tflops"]),
        fp8_tflops=_float(row.get("fp8_dense_tflops", "")),
        fp4_tflops=_float(row.get("fp4_dense_tflops", "")),
        int8_tops=_float(row.get("int8_dense_tops", "")),
        tdp_w=_float(row.get("tdp_w", "")),
        interconnect=row.get("interconnect", ""),
        interconnect_gbps=_float(row.get("interconnect_gbps", ""))
        or _interconnect_gbps(row.get("interconnect", "")),
        price_usd_per_gpu_hr=_float(row.get("price_usd_per_gpu_hr", "")),
        price_basis=row.get("price_basis", ""),
        price_source=row.get("price_source", ""),
        spec_source=row["spec_source"],
    )


def _unpriced(gpu: GpuSpec) -> GpuSpec:
    return gpu.model_copy(
        update={"price_usd_per_gpu_hr": None, "price_basis": "", "price_source": ""}
    )


def _priced_on(gpu: GpuSpec, basis: tuple[str, ...]) -> GpuSpec:
    """The GPU at the first price the basis has for it, or with no price at all."""
    found = price_on(gpu.name, basis)
    if found is None:
        return _unpriced(gpu)
    return gpu.model_copy(
        update={
            "price_usd_per_gpu_hr": found.usd_per_gpu_hr,
            "price_basis": found.basis,
            "price_source": found.source,
        }
    )


@cache
def _base_gpus() -> tuple[GpuSpec, ...]:
    rows = _read_csv("gpus.csv")
    extra = data_path("gpus_extra.csv")
    if extra.exists():
        rows += _read_csv("gpus_extra.csv")
    return tuple(_gpu_from_row(row) for row in rows)


def load_gpus(
    price_file: Path | None = None, basis: tuple[str, ...] = DEFAULT_PRICE_BASIS
) -> dict[str, GpuSpec]:
    """All GPUs of the catalog, by name, priced on one basis.

    Prices come from one provider (or a named set, first listed first) of ``prices.csv``, so
    that options are never ranked on prices from different clouds without saying so. An
    operator price file replaces the shipped basis entirely: its GPUs carry its prices and
    every other GPU has none. A GPU without a price on the basis has ``None``, never 0.

    Args:
        price_file: An operator price file (the operator's own basis).
        basis: Providers of the shipped table when there is no price file.

    Returns:
        GPU name → spec.
    """
    gpus = {gpu.name: gpu for gpu in _base_gpus()}
    if price_file is None:
        return {name: _priced_on(gpu, basis) for name, gpu in gpus.items()}
    priced = read_price_file(price_file)
    for name in priced:
        if name not in gpus:
            raise UnknownNameError("GPU", name, closest_names(name, gpus))
    result = {}
    for name, gpu in gpus.items():
        if name not in priced:
            result[name] = _unpriced(gpu)
            continue
        price, what = priced[name]
        result[name] = gpu.model_copy(
            update={
                "price_usd_per_gpu_hr": price,
                "price_basis": what,
                "price_source": str(price_file),
            }
        )
    return result


def license_class(license_name: str) -> LicenseClass:
    """How a licence is classed: permissive, open weights (a custom licence) or restricted.

    Args:
        license_name: The licence as published (``apache-2.0``, ``llama3.1`` …).

    Returns:
        Its class; a licence that is neither permissive nor restricted counts as open weights.
    """
    lowered = license_name.lower()
    if lowered in _PERMISSIVE:
        return LicenseClass.PERMISSIVE
    if "research" in lowered or "non-commercial" in lowered:
        return LicenseClass.RESTRICTED
    return LicenseClass.OPEN_WEIGHTS


def _source_of(row: Mapping[str, str]) -> Provenance:
    source = row.get("source", "")
    repo, _, path = source.partition(":")
    return Provenance(
        source_id=f"models.csv:{row.get('source_kind', '')}",
        source_path=path or source,
        commit=repo or None,
    )


def _native_precision(hf_id: str) -> str:
    upper = hf_id.upper()
    if "FP4" in upper:
        return "fp4"
    if "FP8" in upper:
        return "fp8"
    return "bf16"


@cache
def _models() -> tuple[ModelSpec, ...]:
    rows = _read_csv("models.csv")
    arch_owner: dict[tuple[str, ...], str] = {}
    for row in rows:
        if row["source_kind"] != "same_as":
            arch_owner.setdefault(tuple(row[key] for key in _ARCH_KEYS), row["hf_id"])
    models = []
    for row in rows:
        attention = row["attention"]
        window = re.search(r"sliding window (\d+)", attention)
        lora = re.search(r"kv_lora_rank=(\d+)", attention)
        owner = arch_owner.get(tuple(row[key] for key in _ARCH_KEYS))
        models.append(
            ModelSpec(
                hf_id=row["hf_id"],
                params_b=float(row["params_b"]),
                active_params_b=_float(row["active_params_b"]),
                layers=int(row["layers"]),
                hidden=int(row["hidden"]),
                heads=int(row["heads"]),
                kv_heads=int(row["kv_heads"]),
                head_dim=int(row["head_dim"]),
                intermediate=_int(row["intermediate"]),
                vocab=int(row["vocab"]),
                max_context=int(row["max_context"]),
                moe_experts=_int(row["moe_experts"]),
                moe_top_k=_int(row["moe_top_k"]),
                attention=attention.split(" (")[0],
                kv_lora_rank=int(lora.group(1)) if lora else None,
                sliding_window=int(window.group(1)) if window else None,
                native_precision=_native_precision(row["hf_id"]),
                base_id=owner if owner and owner != row["hf_id"] else None,
                license=row["license"],
                license_class=license_class(row["license"]),
                instruct="instruct" in row["hf_id"].lower() or row["hf_id"].endswith("-it"),
                source=_source_of(row),
            )
        )
    return tuple(models)


@cache
def _model_facts() -> dict[str, dict[str, object]]:
    """Task tags and quality scores per model from ``model_facts.yaml`` (empty when absent)."""
    path = data_path("model_facts.yaml")
    if not path.exists():
        return {}
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    facts: dict[str, dict[str, object]] = {}
    for hf_id, entry in (document.get("models") or {}).items():
        fields: dict[str, object] = {"tasks": tuple(Task(task) for task in entry.get("tasks", ()))}
        fields["quality"] = tuple(
            QualityScore.model_validate(score) for score in entry.get("quality", ())
        )
        for key in ("native_precision", "weight_format"):
            if key in entry:
                fields[key] = str(entry[key])
        if "mtp_modules" in entry:
            fields["mtp_modules"] = int(entry["mtp_modules"])
        facts[hf_id] = fields
    return facts


def load_models(overlay: Mapping[str, Mapping[str, object]] | None = None) -> dict[str, ModelSpec]:
    """All models of the catalog, by Hugging Face id, with task tags and quality scores merged.

    Args:
        overlay: Extra fields per model id merged onto each spec after the shipped facts
            (task tags, quality scores from ``model_facts.yaml``).

    Returns:
        hf_id → spec.
    """
    models = {model.hf_id: model for model in _models()}
    for hf_id, facts in _model_facts().items():
        if hf_id in models:
            models[hf_id] = models[hf_id].model_copy(update=facts)
    for hf_id, fields in (overlay or {}).items():
        if hf_id in models:
            models[hf_id] = models[hf_id].model_copy(update=dict(fields))
    return models


def closest_names(name: str, known: Iterable[str], limit: int = 3) -> list[str]:
    """The known names closest to ``name`` (case-insensitive), best first.

    Args:
        name: What was asked for.
        known: The names that exist.
        limit: How many to return at most.

    Returns:
        Up to ``limit`` close names; the few first known names when nothing is close.
    """
    known = list(known)
    lowered = {item.lower(): item for item in known}
    matches = difflib.get_close_matches(name.lower(), list(lowered), n=limit, cutoff=0.3)
    contains = [item for item in known if name.lower() in item.lower()]
    ordered = list(dict.fromkeys(contains + [lowered[m] for m in matches]))
    return ordered[:limit] or known[:limit]


def resolve_model(name: str, models: Mapping[str, ModelSpec]) -> ModelSpec:
    """Find a model by id (case-insensitive).

    Args:
        name: A Hugging Face id.
        models: The catalog.

    Returns:
        Its spec.

    Raises:
        UnknownNameError: With the closest known ids.
    """
    for hf_id, spec in models.items():
        if hf_id.lower() == name.strip().lower():
            return spec
    raise UnknownNameError("model", name, closest_names(name, models))


def resolve_gpu(name: str, gpus: Mapping[str, GpuSpec]) -> GpuSpec:
    """Find a GPU by catalog name, or the default GPU of a family name ("H100").

    Args:
        name: A GPU catalog name or a family.
        gpus: The catalog.

    Returns:
        Its spec (for a family, its priced SXM/flagship member first).

    Raises:
        UnknownNameError: With the closest known names.
    """
    wanted = name.strip().lower()
    for gpu_name, spec in gpus.items():
        if gpu_name.lower() == wanted:
            return spec
    members = [spec for spec in gpus.values() if spec.family.value.lower() == wanted]
    if members:
        members.sort(key=lambda s: (s.price_usd_per_gpu_hr is None, -s.memory_gb))
        return members[0]
    names = list(gpus) + [family.value for family in GpuFamily]
    raise UnknownNameError("GPU", name, closest_names(name, names))
