"""Fixtures shared by every test: where the evaluation sets live, and test isolation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]


def shared_root() -> Path:
    """The ``shared/`` folder beside the checkout (``PREFLIGHT_SHARED_DIR`` overrides)."""
    override = os.environ.get("PREFLIGHT_SHARED_DIR")
    if override:
        return Path(override)
    for candidate in (REPO.parent / "shared", REPO / "shared"):
        if candidate.is_dir():
            return candidate
    raise RuntimeError("shared/ not found beside the checkout; set PREFLIGHT_SHARED_DIR")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared data and evaluation folder."""
    return shared_root()


@pytest.fixture(scope="session")
def eval_dir(shared_dir: Path) -> Path:
    """``shared/eval`` — intents and scenarios."""
    return shared_dir / "eval"
