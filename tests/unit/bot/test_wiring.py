"""Wiring picks the implementations the settings ask for; the embedded defaults need nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.adapters.memory_store import InMemoryStateStore
from bot.adapters.redis_store import RedisStateStore
from bot.deploy_wiring import deployment_service
from bot.settings import AuditSettings, ClusterSettings, Settings, StateSettings
from bot.wiring import build_store
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
