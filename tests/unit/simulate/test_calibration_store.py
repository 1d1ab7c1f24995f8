"""Versioned calibrations under the data directory: saved, made current, merged, never shipped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.errors import ConfigurationError
from simulate.calibration import Calibration, Efficiencies, ScopeFit, ScopeKind, load_calibration
from simulate.calibration_store import (
    CURRENT,
    current,
    folder,
    merge,
    save_version,
    shipped,
    versions,
)


def _scope(key: str, memory: float, kind: ScopeKind = "gpu") -> ScopeFit:
    return ScopeFit(
        kind=kind,
        engine="vllm",
        key=key,
        efficiencies=Efficiencies(memory=memory),
        records=3,
    )


def test_without_a_fit_here_the_shipped_calibration_is_current(tmp_path: Path) -> None:
    found = current(tmp_path)
    assert found.version == shipped().version and found.version.startswith("shipped-")
    assert found.calibration == load_calibration()
    assert current(None).version == found.version


def test_each_fit_is_kept_and_the_latest_is_current(tmp_path: Path) -> None:
    first = save_version(
        Calibration(scopes=(_scope("L40S", 0.5),)), tmp_path, now=datetime(2026, 1, 1, tzinfo=UTC)
    )
    second = save_version(
        Calibration(scopes=(_scope("L40S", 0.6),)), tmp_path, now=datetime(2026, 1, 2, tzinfo=UTC)
    )
    assert first.version.startswith("20260101T000000Z-") and first.version != second.version
    assert versions(tmp_path) == [first.version, second.version]
    assert current(tmp_path).version == second.version
    assert current(tmp_path).calibration.scopes[0].efficiencies.memory == 0.6
    assert (folder(tmp_path) / CURRENT).read_text().strip() == second.version


def test_a_current_pointer_to_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    folder(tmp_path).mkdir(parents=True)
    (folder(tmp_path) / CURRENT).write_text("20260101T000000Z-deadbeef0000\n")
    with pytest.raises(ConfigurationError, match="missing"):
        current(tmp_path)


def test_merge_replaces_refitted_scopes_and_keeps_the_rest() -> None:
    base = Calibration(
        scopes=(_scope("L40S", 0.5), _scope("H100-SXM-80GB", 0.8), _scope("", 0.7, "engine")),
        record_ids=("a",),
    )
    refit = Calibration(scopes=(_scope("L40S", 0.3), _scope("", 0.65, "engine")), record_ids=("b",))
    merged = merge(base, refit)
    by_key = {(s.kind, s.key): s.efficiencies.memory for s in merged.scopes}
    assert by_key == {("gpu", "L40S"): 0.3, ("gpu", "H100-SXM-80GB"): 0.8, ("engine", ""): 0.65}
    assert merged.record_ids == ("a", "b")
