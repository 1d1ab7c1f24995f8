"""Calibration: fallback chain, file round trip, the shipped file."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.catalog import GpuSpec
from domain.errors import ConfigurationError
from domain.serving import CalibrationBasis
from simulate.calibration import (
    Calibration,
    Efficiencies,
    ScopeFit,
    load_calibration,
    save_calibration,
)


def _scope(kind: str, key: str, memory: float) -> ScopeFit:
    return ScopeFit(
        kind=kind,
        engine="vllm",
        key=key,
        efficiencies=Efficiencies(memory=memory),
        records=10,
    )


@pytest.fixture
def chain() -> Calibration:
    return Calibration(
        scopes=(
            _scope("gpu", "H100-SXM-80GB", 0.9),
            _scope("family", "H100", 0.8),
            _scope("vendor", "NVIDIA", 0.7),
            _scope("engine", "", 0.6),
        )
    )


@pytest.mark.parametrize(
    ("gpu", "engine", "basis", "memory"),
    [
        pytest.param("H100-SXM-80GB", "vllm", CalibrationBasis.MEASURED_GPU, 0.9, id="gpu"),
        pytest.param("H100-PCIe-80GB", "vllm", CalibrationBasis.FAMILY, 0.8, id="family"),
        pytest.param("L4", "vllm", CalibrationBasis.ENGINE, 0.7, id="vendor"),
        pytest.param("MI300X", "vllm", CalibrationBasis.ENGINE, 0.6, id="engine"),
        pytest.param("MI300X", "sglang", CalibrationBasis.SPEC_SHEET, 0.7, id="spec-sheet"),
    ],
)
def test_lookup_walks_the_fallback_chain(
    chain: Calibration,
    gpus: dict[str, GpuSpec],
    gpu: str,
    engine: str,
    basis: CalibrationBasis,
    memory: float,
) -> None:
    effs, got_basis, detail = chain.lookup(engine, gpus[gpu])
    assert got_basis == basis
    assert effs.memory == memory
    assert detail


def test_a_vendor_scope_of_one_group_lends_its_efficiencies_but_not_its_fabric(
    gpus: dict[str, GpuSpec],
) -> None:
    def scope(kind: str, key: str, groups: int, allreduce_us: float) -> ScopeFit:
        effs = Efficiencies(memory=0.5 if kind == "vendor" else 0.7, allreduce_us=allreduce_us)
        return ScopeFit(
            kind=kind, engine="sglang", key=key, efficiencies=effs, records=50, groups=groups
        )

    engine = scope("engine", "", 4, 40.0)
    narrow = Calibration(scopes=(scope("vendor", "AMD", 1, 140.0), engine))
    effs, _, _ = narrow.lookup("sglang", gpus["MI355X"])
    assert (effs.memory, effs.allreduce_us) == (0.5, 40.0)
    wide = Calibration(scopes=(scope("vendor", "AMD", 2, 140.0), engine))
    assert wide.lookup("sglang", gpus["MI355X"])[0].allreduce_us == 140.0


def test_save_and_load_round_trip(chain: Calibration, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "calibration.json"
    save_calibration(chain, path)
    assert load_calibration(path) == chain


def test_malformed_file_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"scopes": 3}')
    with pytest.raises(ConfigurationError, match="malformed"):
        load_calibration(path)


def test_missing_explicit_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_calibration(tmp_path / "absent.json")


def test_shipped_calibration_names_its_records(
    calibration: Calibration, gpus: dict[str, GpuSpec]
) -> None:
    assert len(calibration.record_ids) > 5000
    assert sum(group.count for group in calibration.groups) == len(calibration.record_ids)
    assert calibration.lookup("vllm", gpus["A100-SXM-40GB"])[1] == CalibrationBasis.MEASURED_GPU
    assert calibration.lookup("vllm", gpus["L4"])[1] == CalibrationBasis.ENGINE
