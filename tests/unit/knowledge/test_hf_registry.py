"""The real ``huggingface_hub`` client against a Hub-compatible server on 127.0.0.1: models read,
sized and cached; 404, 401, gated and unknown architectures answered with what to do next."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.errors import (
    BackendUnavailableError,
    ModelAccessError,
    ModelNotFoundError,
    UnsupportedArchitectureError,
)
from knowledge.catalog import load_models
from knowledge.hf_registry import HubRegistry
from knowledge.model_registry import RegistryCatalog, registry_notes
from tests.unit.knowledge.hub_server import (
    HubRepo,
    HubStandIn,
    hub_online,
    hub_stand_in,
    repo_from_configs,
)

__all__ = ["hub_online"]  # the fixture, used by name

pytestmark = pytest.mark.usefixtures("hub_online")
TOKEN = "hf_test_token"


def _repos() -> dict[str, HubRepo]:
    return {
        "Qwen/Qwen3-8B": repo_from_configs("Qwen/Qwen3-8B"),
        "Qwen/Qwen3-30B-A3B": repo_from_configs("Qwen/Qwen3-30B-A3B"),
        "openai/gpt-oss-20b": repo_from_configs("openai/gpt-oss-20b"),
        "deepseek-ai/DeepSeek-V3": repo_from_configs(
            "deepseek-ai/DeepSeek-V3", license="other", license_name="deepseek"
        ),
        "meta-llama/Llama-3.1-8B": repo_from_configs(
            "meta-llama/Llama-3.1-8B", license="other", license_name="llama3.1", gated="manual"
        ),
        "acme/private-llm-8b": repo_from_configs(
            "meta-llama/Llama-3.1-8B", license=None, private=True
        ),
        "nvidia/Nemotron-H-56B-Base-8K": repo_from_configs("nvidia/Nemotron-H-56B-Base-8K"),
        "acme/weights-only": HubRepo(files={"model.safetensors": b"\0"}),
    }


@pytest.fixture
def hub() -> Iterator[HubStandIn]:
    with hub_stand_in(HubStandIn(repos=_repos(), token=TOKEN)) as stand_in:
        yield stand_in


def _catalog(hub: HubStandIn, data: Path, token: str | None = None) -> RegistryCatalog:
    registry = HubRegistry(endpoint=hub.url, token=token, cache_dir=data / "hub-cache")
    return RegistryCatalog(registry=registry, cache_dir=data / "models")


@pytest.mark.parametrize(
    ("repo_id", "precision"),
    [
        pytest.param("Qwen/Qwen3-8B", "bf16", id="dense"),
        pytest.param("Qwen/Qwen3-30B-A3B", "bf16", id="moe"),
        pytest.param("openai/gpt-oss-20b", "fp4", id="mxfp4"),
        pytest.param("deepseek-ai/DeepSeek-V3", "fp8", id="fp8-mla"),
    ],
)
def test_a_hub_model_is_sized_like_its_curated_row(
    hub: HubStandIn, tmp_path: Path, repo_id: str, precision: str
) -> None:
    spec = _catalog(hub, tmp_path).lookup(name=repo_id)
    curated = load_models()[repo_id]

    assert spec.hf_id == repo_id
    assert spec.native_precision == precision
    for field in ("layers", "hidden", "heads", "kv_heads", "head_dim", "moe_experts", "vocab"):
        assert getattr(spec, field) == getattr(curated, field), field
    assert spec.params_b == pytest.approx(curated.params_b, rel=0.005)
    assert spec.max_context == curated.max_context
    assert spec.origin is not None
    assert spec.origin.registry == hub.url
    assert spec.origin.commit == hub.repos[repo_id].sha
    assert spec.origin.source_of("layers") == "config.json num_hidden_layers"
    assert spec.quality == () and spec.tasks == ()


def test_the_card_notes_say_where_the_architecture_came_from(
    hub: HubStandIn, tmp_path: Path
) -> None:
    spec = _catalog(hub, tmp_path).lookup(name="Qwen/Qwen3-8B")

    sha = hub.repos["Qwen/Qwen3-8B"].sha[:12]
    assert registry_notes(spec) == [
        "not in the curated catalog: no published quality score; architecture read from "
        f"Qwen/Qwen3-8B@{sha}"
    ]


def test_a_gated_model_without_a_token_says_to_accept_the_terms(
    hub: HubStandIn, tmp_path: Path
) -> None:
    with pytest.raises(ModelAccessError) as caught:
        _catalog(hub, tmp_path).lookup(name="meta-llama/Llama-3.1-8B")

    assert "gated" in caught.value.message
    assert "PREFLIGHT_KNOWLEDGE__HF_TOKEN" in caught.value.hint
    assert f"{hub.url}/meta-llama/Llama-3.1-8B" in caught.value.hint


def test_a_gated_model_with_a_token_is_read_and_noted(hub: HubStandIn, tmp_path: Path) -> None:
    spec = _catalog(hub, tmp_path, token=TOKEN).lookup(name="meta-llama/Llama-3.1-8B")

    assert spec.params_b == load_models()["meta-llama/Llama-3.1-8B"].params_b
    assert spec.license == "llama3.1" and spec.license_class.value == "open-weights"
    assert spec.origin is not None and spec.origin.gated
    assert any("needs a Hugging Face token" in note for note in registry_notes(spec))


def test_an_unknown_id_is_not_found(hub: HubStandIn, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        _catalog(hub, tmp_path, token=TOKEN).lookup(name="acme/no-such-model")

    assert "acme/no-such-model" in caught.value.message
    assert "check the id" in caught.value.hint
    assert any(r.endswith("/api/models/acme/no-such-model") for r in hub.requests)


def test_a_private_model_without_credentials_asks_for_a_token(
    hub: HubStandIn, tmp_path: Path
) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        _catalog(hub, tmp_path).lookup(name="acme/private-llm-8b")

    assert "PREFLIGHT_KNOWLEDGE__HF_TOKEN" in caught.value.hint
    spec = _catalog(hub, tmp_path, token=TOKEN).lookup(name="acme/private-llm-8b")
    assert spec.license.startswith("unknown")


def test_a_wrong_revision_is_named(hub: HubStandIn, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no revision 'v9'"):
        _catalog(hub, tmp_path).lookup(name="Qwen/Qwen3-8B@v9")


def test_a_pinned_revision_is_read_at_that_commit(hub: HubStandIn, tmp_path: Path) -> None:
    sha = hub.repos["Qwen/Qwen3-8B"].sha
    spec = _catalog(hub, tmp_path).lookup(name=f"Qwen/Qwen3-8B@{sha}")

    assert spec.origin is not None and spec.origin.revision == sha
    assert f"GET /api/models/Qwen/Qwen3-8B/revision/{sha}" in hub.requests


@pytest.mark.parametrize(
    ("repo_id", "says"),
    [
        pytest.param("nvidia/Nemotron-H-56B-Base-8K", "NemotronHForCausalLM", id="hybrid-mamba"),
        pytest.param("acme/weights-only", "no config.json", id="no-config"),
    ],
)
def test_a_config_preflight_cannot_size_says_what_to_do(
    hub: HubStandIn, tmp_path: Path, repo_id: str, says: str
) -> None:
    with pytest.raises(UnsupportedArchitectureError) as caught:
        _catalog(hub, tmp_path).lookup(name=repo_id)

    assert says in caught.value.message
    assert caught.value.hint


def test_a_looked_up_model_survives_a_restart_without_the_registry(
    hub: HubStandIn, tmp_path: Path
) -> None:
    first = _catalog(hub, tmp_path).lookup(name="openai/gpt-oss-20b")
    offline = RegistryCatalog(registry=None, cache_dir=tmp_path / "models")

    assert offline.lookup(name="openai/gpt-oss-20b") == first
    assert [spec.hf_id for spec in offline.cached()] == ["openai/gpt-oss-20b"]


def test_a_cached_model_is_not_fetched_again_until_refreshed(
    hub: HubStandIn, tmp_path: Path
) -> None:
    catalog = _catalog(hub, tmp_path)
    catalog.lookup(name="Qwen/Qwen3-8B")
    fetched = len(hub.requests)
    hub.repos["Qwen/Qwen3-8B"] = repo_from_configs("Qwen/Qwen3-32B")  # a new commit

    assert catalog.lookup(name="Qwen/Qwen3-8B").layers == 36
    assert len(hub.requests) == fetched
    (fresh,) = catalog.refresh()
    assert fresh.layers == 64
    assert fresh.origin is not None and fresh.origin.commit == hub.repos["Qwen/Qwen3-8B"].sha
    assert catalog.lookup(name="Qwen/Qwen3-8B").layers == 64


def test_an_unreachable_registry_is_unavailable(tmp_path: Path) -> None:
    with hub_stand_in(HubStandIn(repos={})) as gone:
        url = gone.url
    registry = HubRegistry(endpoint=url, token=None, cache_dir=tmp_path, timeout_s=2)

    with pytest.raises(BackendUnavailableError, match="did not answer"):
        RegistryCatalog(registry=registry, cache_dir=tmp_path / "m").lookup(name="Qwen/Qwen3-8B")


def test_no_registry_and_no_cache_says_how_to_configure_one(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        RegistryCatalog(registry=None, cache_dir=tmp_path).lookup(name="acme/new-model-7b")

    assert "PREFLIGHT_KNOWLEDGE__HF_ENDPOINT" in caught.value.hint
