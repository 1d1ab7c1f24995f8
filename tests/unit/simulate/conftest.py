"""Fixtures for the simulator tests: the real catalogs and the shipped calibration."""

from __future__ import annotations

import pytest

from domain.catalog import GpuSpec, ModelSpec
from knowledge.catalog import load_gpus, load_models
from simulate.calibration import Calibration, load_calibration


@pytest.fixture(scope="session")
def models() -> dict[str, ModelSpec]:
    """The model catalog."""
    return load_models()


@pytest.fixture(scope="session")
def gpus() -> dict[str, GpuSpec]:
    """The GPU catalog."""
    return load_gpus()


@pytest.fixture(scope="session")
def calibration() -> Calibration:
    """The shipped calibration."""
    return load_calibration()
