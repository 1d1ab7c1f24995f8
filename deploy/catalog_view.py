"""The packaged catalogs as the deploy side reads them: loaded once per process.

Deploy needs a GPU's vendor, family and architecture and a model's heads and weight format —
packaged data that never changes while Preflight runs, and no prices. ``knowledge.catalog``
builds fresh (priced) copies on every call, which the pre-flight check, run over every option a
recommendation offers, cannot afford per rule. Callers must not mutate what is returned.

This module must not render, read settings or talk to a cluster.
"""

from __future__ import annotations

from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING

from knowledge.catalog import load_gpus, load_models

if TYPE_CHECKING:
    from collections.abc import Mapping

    from domain.catalog import GpuSpec, ModelSpec


@cache
def catalog_gpus() -> Mapping[str, GpuSpec]:
    """GPU name → spec, read once (read-only)."""
    return MappingProxyType(load_gpus())


@cache
def catalog_models() -> Mapping[str, ModelSpec]:
    """Hugging Face id → spec of the curated catalog, read once (read-only)."""
    return MappingProxyType(load_models())
