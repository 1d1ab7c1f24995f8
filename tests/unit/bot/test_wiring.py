"""Wiring picks the implementations the settings ask for; the embedded defaults need nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.redis_store import RedisStateStore
from bot.deploy_wiring import deployment_service
from bot.settings import AuditSettings, ClusterSettings, Settings, StateSettings
from bot.wiring import build_store, engine_versions
from deploy.dryrun_cluster import DryRunCluster
from deploy.file_records import FileRecords
from deploy.redis_records import RedisRecords


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        pytest.param(None, InMemoryStateStore, id="embedded"),
        pytest.param("redis://127.0.0.1:6379/15", RedisStateStore, id="redis"),
    ],
)
def test_state_store_follows_the_redis_url(url: str | None, kind: type) -> None:
    settings = Settings(state=StateSettings(redis_url=SecretStr(url) if url else None))
    assert isinstance(build_store(settings), kind)


@pytest.mark.parametrize(
    ("url", "records"),
    [
        pytest.param(None, FileRecords, id="embedded"),
        pytest.param("redis://127.0.0.1:6379/15", RedisRecords, id="redis"),
    ],
)
def test_deployment_service_is_a_dry_run_folder_by_default(
    tmp_path: Path, url: str | None, records: type
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        state=StateSettings(redis_url=SecretStr(url) if url else None),
        cluster=ClusterSettings(output_dir=tmp_path / "out"),
        audit=AuditSettings(path=tmp_path / "audit.jsonl"),
    )
    service = deployment_service(settings)
    assert isinstance(service.cluster, DryRunCluster)
    assert service.cluster.directory == tmp_path / "out"
    assert isinstance(service.records, records)


@pytest.mark.parametrize(
    ("mode", "screen", "excludes"),
    [
        pytest.param("dry-run", "auto", False, id="dry-run-notes"),
        pytest.param("api", "auto", True, id="api-excludes"),
        pytest.param("dry-run", "exclude", True, id="asked-to-exclude"),
        pytest.param("api", "note", False, id="asked-to-note"),
    ],
)
def test_the_option_gate_follows_the_cluster_settings(
    mode: str, screen: str, excludes: bool
) -> None:
    from bot.deploy_wiring import deploy_check
    from deploy.plan import Target

    cluster = ClusterSettings(
        mode=mode,
        option_screen=screen,
        target="llminferenceservice",
        kserve_version="0.18",
        hf_token_secret="hf-token",
    )
    gate = deploy_check(Settings(cluster=cluster))
    assert gate.exclude_setup is excludes
    assert gate.target is Target.LLM_INFERENCE_SERVICE
    assert gate.hf_token_secret == "hf-token"
    assert gate.profile.kserve_version == "0.18"


def test_an_unknown_option_screen_stops_start_up() -> None:
    from bot.deploy_wiring import deploy_check
    from domain.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="option_screen"):
        deploy_check(Settings(cluster=ClusterSettings(option_screen="sometimes")))


def test_predictions_are_for_the_vllm_version_of_each_platforms_image() -> None:
    assert engine_versions(Settings()) == {"NVIDIA": "0.11.0"}  # the default CUDA image
    cluster = ClusterSettings(
        image="vllm/vllm-openai:v0.12.0", images={"rocm": "rocm/vllm:0.9.1_20250715"}
    )
    assert engine_versions(Settings(cluster=cluster)) == {"NVIDIA": "0.12.0", "AMD": "0.9.1"}
