"""Models in an OCI registry (the real distribution registry of ``oci_server``): a KServe modelcar
image and an OCI artifact sized from their config.json; unknown tags, repositories and configs
answered; the OCI registry asked before the Hub."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import BackendUnavailableError, ModelNotFoundError, UnsupportedArchitectureError
from domain.registry import ModelRef
from knowledge.catalog import load_models
from knowledge.hf_registry import HubRegistry
from knowledge.model_registry import RegistryCatalog, RegistryChain
from knowledge.oci_registry import OciRegistry
from tests.unit.knowledge.hub_server import (
    HubStandIn,
    hub_online,
    hub_stand_in,
    repo_from_configs,
)
from tests.unit.knowledge.oci_server import free_port, registry_url

__all__ = ["hub_online", "registry_url"]  # fixtures, used by name


def _registry(url: str) -> OciRegistry:
    return OciRegistry(base=f"{url}/models", timeout_s=5)


def test_a_modelcar_image_is_sized_from_models_config_json(
    registry_url: str, tmp_path: Path
) -> None:
    catalog = RegistryCatalog(registry=_registry(registry_url), cache_dir=tmp_path)

    spec = catalog.lookup(name="acme/MiMo-7B-support@v1")

    assert (spec.params_b, spec.layers, spec.kv_heads, spec.head_dim) == (7.62, 36, 8, 128)
    assert spec.license == "mit"
    assert spec.origin is not None
    assert spec.origin.commit.startswith("sha256:")
    assert spec.origin.registry == f"oci://{registry_url.split('://')[1]}/models"


def test_an_oci_artifact_is_read_by_its_config_layer(registry_url: str, tmp_path: Path) -> None:
    catalog = RegistryCatalog(registry=_registry(registry_url), cache_dir=tmp_path)

    spec = catalog.lookup(name="acme/gpt-oss-20b-tuned")

    curated = load_models()["openai/gpt-oss-20b"]
    assert (spec.params_b, spec.layers, spec.moe_experts) == (20.91, 24, curated.moe_experts)
    assert spec.native_precision == "fp4"
    assert spec.origin is not None and spec.origin.registry.startswith("oci://")


@pytest.mark.parametrize(
    ("name", "error"),
    [
        pytest.param("acme/mimo-7b-support@v9", ModelNotFoundError, id="unknown-tag"),
        pytest.param("acme/nothing-here", ModelNotFoundError, id="unknown-repository"),
        pytest.param("acme/no-config", UnsupportedArchitectureError, id="no-config"),
    ],
)
def test_what_the_registry_cannot_give_is_said(
    registry_url: str, name: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        _registry(registry_url).fetch(ref=ModelRef.parse(name))


@pytest.mark.usefixtures("hub_online")
def test_the_oci_registry_is_asked_before_the_hub(registry_url: str, tmp_path: Path) -> None:
    repos = {"Qwen/Qwen3-8B": repo_from_configs("Qwen/Qwen3-8B")}
    with hub_stand_in(HubStandIn(repos=repos)) as hub:
        chain = RegistryChain(
            [_registry(registry_url), HubRegistry(endpoint=hub.url, token=None, cache_dir=tmp_path)]
        )
        from_oci = chain.fetch(ref=ModelRef.parse("acme/mimo-7b-support@v1"))
        from_hub = chain.fetch(ref=ModelRef.parse("Qwen/Qwen3-8B"))

    assert from_oci.registry.startswith("oci://") and from_hub.registry == hub.url
    assert not any("mimo" in request.lower() for request in hub.requests)


def test_an_unreachable_oci_registry_is_unavailable() -> None:
    registry = OciRegistry(base=f"http://127.0.0.1:{free_port()}/models", timeout_s=2)

    with pytest.raises(BackendUnavailableError):
        registry.fetch(ref=ModelRef.parse("acme/mimo-7b-support@v1"))
