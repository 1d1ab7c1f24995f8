"""Versioned calibrations under the data directory: every refit is kept, one is current.

``preflight simulate calibrate`` writes ``<data dir>/calibrations/<version>.json`` and points
``<data dir>/calibrations/CURRENT`` at it; recommendations and ``simulate`` read the current one,
and fall back to the calibration shipped in the package (version ``shipped-<digest>``) when none
was fitted here. A version is ``<UTC time>-<digest of the content>``, so a recommendation can
name exactly what it was predicted with. Nothing is ever written inside the installed package.
The folder comes from the caller (the settings' data directory); this module never reads the
environment.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from domain.errors import ConfigurationError
from simulate.calibration import Calibration, default_path, load_calibration, save_calibration

FOLDER = "calibrations"
CURRENT = "CURRENT"


@dataclass(frozen=True)
class VersionedCalibration:
    """A calibration with the version that names it."""

    calibration: Calibration
    version: str
    path: Path | None


def digest(calibration: Calibration) -> str:
    """A short digest of a calibration's content.

    Args:
        calibration: The calibration.

    Returns:
        12 hex digits.
    """
    return hashlib.sha256(calibration.model_dump_json().encode()).hexdigest()[:12]


def folder(data_dir: Path) -> Path:
    """Where versioned calibrations live.

    Args:
        data_dir: Preflight's data directory.

    Returns:
        ``<data_dir>/calibrations``.
    """
    return data_dir / FOLDER


def save_version(
    calibration: Calibration, data_dir: Path, *, now: datetime | None = None
) -> VersionedCalibration:
    """Keep a new calibration and make it the current one.

    Args:
        calibration: The fitted calibration.
        data_dir: Preflight's data directory.
        now: The fitting time (UTC); the clock when None.

    Returns:
        The saved calibration with its version and file.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    version = f"{stamp}-{digest(calibration)}"
    path = folder(data_dir) / f"{version}.json"
    save_calibration(calibration, path)
    pointer = folder(data_dir) / CURRENT
    staged = pointer.with_suffix(".tmp")
    staged.write_text(version + "\n", encoding="utf-8")
    staged.replace(pointer)  # atomic: a reader sees the old version or the new one
    return VersionedCalibration(calibration, version, path)


def shipped() -> VersionedCalibration:
    """The calibration shipped in the package.

    Returns:
        It, versioned ``shipped-<digest>``.
    """
    calibration = load_calibration()
    path = default_path()
    return VersionedCalibration(
        calibration, f"shipped-{digest(calibration)}", path if path.exists() else None
    )


def current(data_dir: Path | None) -> VersionedCalibration:
    """The calibration to predict with: the data directory's current one, else the shipped one.

    Args:
        data_dir: Preflight's data directory; None reads the shipped calibration.

    Returns:
        The calibration and its version.

    Raises:
        ConfigurationError: When CURRENT names a file that is missing or malformed.
    """
    if data_dir is None or not (folder(data_dir) / CURRENT).exists():
        return shipped()
    version = (folder(data_dir) / CURRENT).read_text(encoding="utf-8").strip()
    path = folder(data_dir) / f"{version}.json"
    if not path.exists():
        raise ConfigurationError(
            f"{folder(data_dir) / CURRENT} names calibration {version!r}, but {path} is missing; "
            "run `preflight simulate calibrate` again"
        )
    return VersionedCalibration(load_calibration(path), version, path)


def versions(data_dir: Path) -> list[str]:
    """Every calibration version kept in the data directory, oldest first.

    Args:
        data_dir: Preflight's data directory.

    Returns:
        The versions.
    """
    return sorted(path.stem for path in folder(data_dir).glob("*.json"))


def merge(base: Calibration, refit: Calibration) -> Calibration:
    """``base`` with the scopes ``refit`` holds replaced by their new fits.

    Used by ``calibrate --only ENGINE:GPU``: one GPU's fallback chain is refitted (seconds, not
    minutes) and every other scope is kept as it was.

    Args:
        base: The current calibration.
        refit: A calibration of a few scopes.

    Returns:
        The merged calibration; groups and record ids are the union of both.
    """
    replaced = {(s.kind, s.engine, s.key) for s in refit.scopes}
    kept = tuple(s for s in base.scopes if (s.kind, s.engine, s.key) not in replaced)
    groups = {(g.source, g.gpu, g.engine): g for g in base.groups}
    groups |= {(g.source, g.gpu, g.engine): g for g in refit.groups}
    return base.model_copy(
        update={
            "scopes": kept + refit.scopes,
            "groups": tuple(groups[key] for key in sorted(groups)),
            "record_ids": tuple(sorted(set(base.record_ids) | set(refit.record_ids))),
        }
    )
