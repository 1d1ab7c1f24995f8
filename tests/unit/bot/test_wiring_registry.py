"""Settings → the model lookup: an OCI registry named in the settings is where models are read."""

from __future__ import annotations

from pathlib import Path

from bot.settings import KnowledgeSettings, Settings
from bot.wiring import build_model_lookup
from tests.unit.knowledge.oci_server import registry_url

__all__ = ["registry_url"]  # the fixture, used by name


def test_no_registry_configured_answers_from_the_cache_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, knowledge=KnowledgeSettings(hf_endpoint=""))

    assert build_model_lookup(settings).cached() == []


def test_settings_that_name_an_oci_registry_look_models_up_there(
    registry_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        knowledge=KnowledgeSettings(hf_endpoint="", oci_registry=f"{registry_url}/models"),
    )

    spec = build_model_lookup(settings).lookup(name="acme/mimo-7b-support@v1")

    assert spec.origin is not None and spec.origin.registry.startswith("oci://")
    assert (tmp_path / "models" / "acme--mimo-7b-support@v1.json").is_file()
