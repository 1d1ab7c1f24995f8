"""Exact GPU models from the words around a family name ("A100 80GB", "H100 PCIe", "H200 NVL").

:func:`bot.understanding.lexicon.find_gpus` finds a family; the memory size and form factor
written with it pin catalog models (the ids of ``knowledge/data/gpus.csv``): "A100 80GB" is
``A100-SXM-80GB`` and ``A100-PCIe-80GB``, "H100 SXM" is ``H100-SXM-80GB``, as
``shared/eval/README.md`` defines the ``gpus`` field. A pin no catalog model matches ("A100
32GB") is returned as not understood, with the closest models, so it is never dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from domain.errors import UnknownNameError
from domain.requirements import GpuFamily
from knowledge.catalog import closest_names, gpu_family_of, load_gpus

_FORM = re.compile(r"\b(sxm\d?|pcie|nvl)\b")
_MEMORY = re.compile(r"(\d{2,3})\s?gb\b")
_FORM_IN_ID = {"sxm": "-SXM", "pcie": "-PCIE", "nvl": "-NVL"}


@dataclass(frozen=True)
class Pinned:
    """The exact models one mention pins.

    Attributes:
        models: Catalog ids (empty when the mention pins nothing or nothing matches).
        unknown: The mention as written when it pins a model the catalog lacks, else "".
        closest: The closest catalog models for an unknown pin.
    """

    models: tuple[str, ...] = ()
    unknown: str = ""
    closest: tuple[str, ...] = ()


@cache
def _catalog() -> dict[GpuFamily, tuple[tuple[str, float], ...]]:
    """Catalog GPU ids and memory sizes per family."""
    by_family: dict[GpuFamily, list[tuple[str, float]]] = {}
    for name, spec in load_gpus().items():
        try:
            family = gpu_family_of(name)
        except UnknownNameError:
            continue
        by_family.setdefault(family, []).append((name, spec.memory_gb))
    return {family: tuple(rows) for family, rows in by_family.items()}


def pinned_models(family: GpuFamily, written: str) -> Pinned:
    """The catalog models a mention such as "a100 80gb" or "h100 pcie" pins.

    Args:
        family: The family found in the mention.
        written: The mention's lower-cased text (family name, form factor, memory).

    Returns:
        The pinned models; nothing when the mention names only the family.
    """
    form = _FORM.search(written)
    memory = _MEMORY.search(written)
    if form is None and memory is None:
        return Pinned()
    rows = _catalog().get(family, ())
    chosen = [
        name
        for name, memory_gb in rows
        if (form is None or _FORM_IN_ID[form.group(1)[:4].rstrip("0123456789")] in name.upper())
        and (memory is None or round(memory_gb) == int(memory.group(1)))
    ]
    if chosen:
        return Pinned(tuple(chosen))
    known = [name for name, _ in rows] or [name for rows in _catalog().values() for name, _ in rows]
    return Pinned(unknown=written.strip(), closest=tuple(closest_names(written, known, 2)))
