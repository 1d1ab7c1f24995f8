"""Fixtures of the recommend tests: the real packaged knowledge, loaded once per session."""

from __future__ import annotations

import pytest

from recommend.context import RecommendContext, default_context


@pytest.fixture(scope="session")
def context() -> RecommendContext:
    """The context ``preflight recommend`` uses: real catalogs, records, calibration."""
    return default_context()
