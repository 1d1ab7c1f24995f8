"""Fixtures shared by every test: where the evaluation sets and shipped data live, test isolation.

Everything a test reads ships inside the repository, so a clone alone passes: the evaluation
sets are copies of ``shared/eval`` (with their README) under ``tests/data/eval``, and the
measured rows are the copies the product ships under ``knowledge/data``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# No test reaches the public Hub: one that needs a model registry names its loopback stand-in.
os.environ.setdefault("PREFLIGHT_KNOWLEDGE__HF_ENDPOINT", "")

REPO = Path(__file__).resolve().parents[1]
EVAL_DIR = REPO / "tests" / "data" / "eval"
DATA_DIR = REPO / "knowledge" / "data"


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    """The evaluation sets shipped with the tests (intents and scenarios)."""
    return EVAL_DIR
