"""Fixtures of the recommend tests: the real packaged knowledge, loaded once per session."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from bot.wiring import engine_versions
from recommend.context import RecommendContext, default_context


@pytest.fixture(scope="session")
def context() -> RecommendContext:
    """The context ``preflight recommend`` uses: real catalogs, records, calibration, and the
    vLLM version of the default settings' image (predictions for the engine it deploys)."""
    return default_context(engine_versions=engine_versions(Settings()))
