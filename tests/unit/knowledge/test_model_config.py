"""config.json → architecture figures: the sizes match the curated catalog's rows for every model in
both, precisions come from quantization configs, unknown architectures are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from domain.errors import UnsupportedArchitectureError
from knowledge.catalog import load_models
from knowledge.model_config import (
    ARCHITECTURE_FIELDS,
    derive_architecture,
    native_precision,
    weight_format,
)

CONFIGS = Path(__file__).resolve().parents[2] / "data" / "hub_configs"
_DERIVED = ("params_b", "active_params_b", "attention")  # compared with tolerance or parsed
_EXACT = tuple(field for field in ARCHITECTURE_FIELDS if field not in _DERIVED)
IN_CATALOG = sorted(
    "/".join(path.parts[-3:-1])
    for path in CONFIGS.glob("*/*/config.json")
    if "/".join(path.parts[-3:-1]) in load_models()
)


def _config(repo_id: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CONFIGS / repo_id / "config.json").read_text("utf-8"))
    return loaded


def test_the_configs_cover_dense_moe_mxfp4_and_fp8_models_of_the_catalog() -> None:
    kinds = {native_precision(_config(repo_id))[0] for repo_id in IN_CATALOG}
    moe = [repo_id for repo_id in IN_CATALOG if load_models()[repo_id].is_moe]
    assert {"bf16", "fp8", "fp4"} <= kinds
    assert len(moe) >= 4 and len(IN_CATALOG) - len(moe) >= 4


@pytest.mark.parametrize("repo_id", [pytest.param(r, id=r) for r in IN_CATALOG])
def test_derived_sizes_match_the_curated_row(repo_id: str) -> None:
    curated = load_models()[repo_id]
    arch = derive_architecture(_config(repo_id), repo_id)

    for field in _EXACT:
        assert arch.fields.get(field) == getattr(curated, field), field
    assert arch.fields["attention"].split(" (")[0] == curated.attention
    assert arch.fields["params_b"] == pytest.approx(curated.params_b, rel=0.005)


@pytest.mark.parametrize("repo_id", [pytest.param(r, id=r) for r in IN_CATALOG])
def test_active_parameters_match_the_model_cards(repo_id: str) -> None:
    curated = load_models()[repo_id]
    arch = derive_architecture(_config(repo_id), repo_id)
    active = arch.fields.get("active_params_b")
    if curated.active_params_b is None:
        assert active is None
        return
    if repo_id.startswith("openai/gpt-oss"):
        # OpenAI's card counts the unembedding but not the input embedding (vocab × hidden).
        active -= arch.fields["vocab"] * arch.fields["hidden"] / 1e9
    assert active == pytest.approx(curated.active_params_b, rel=0.02)


def test_every_derived_figure_names_its_source() -> None:
    arch = derive_architecture(_config("deepseek-ai/DeepSeek-V3"), "deepseek-ai/DeepSeek-V3")

    assert set(arch.sources) == set(arch.fields)
    assert arch.sources["kv_lora_rank"] == "config.json kv_lora_rank"
    assert arch.sources["head_dim"] == "config.json qk_nope_head_dim + qk_rope_head_dim"
    assert "58 MoE layers" in arch.sources["params_b"]
    assert "deepseek_v2.py" in arch.sources["params_b"]


@pytest.mark.parametrize(
    ("repo_id", "precision", "says", "released"),
    [
        pytest.param("openai/gpt-oss-20b", "fp4", "mxfp4", "mxfp4", id="mxfp4"),
        pytest.param("deepseek-ai/DeepSeek-V3", "fp8", "fp8", "fp8", id="fp8-block"),
        pytest.param("Qwen/Qwen3-30B-A3B-FP8", "fp8", "fp8", "fp8", id="fp8-qwen"),
        pytest.param("meta-llama/Llama-3.1-8B", "bf16", "bfloat16", "", id="bf16"),
    ],
)
def test_native_precision_comes_from_the_quantization_config(
    repo_id: str, precision: str, says: str, released: str
) -> None:
    found, source = native_precision(_config(repo_id))

    assert found == precision
    assert says in source
    assert weight_format(_config(repo_id)) == released


def test_gpt_oss_read_from_a_registry_matches_the_curated_precision() -> None:
    curated = load_models()["openai/gpt-oss-20b"]

    assert native_precision(_config("openai/gpt-oss-20b"))[0] == curated.native_precision
    assert weight_format(_config("openai/gpt-oss-20b")) == curated.weight_format


@pytest.mark.parametrize(
    ("quant", "precision"),
    [
        pytest.param({"quant_method": "awq", "bits": 4}, "int4", id="awq"),
        pytest.param({"quant_method": "gptq", "bits": 8}, "int8", id="gptq-8"),
        pytest.param(
            {
                "quant_method": "compressed-tensors",
                "config_groups": {"group_0": {"weights": {"num_bits": 8, "type": "float"}}},
            },
            "fp8",
            id="compressed-tensors-fp8",
        ),
        pytest.param({"quant_method": "bitsandbytes", "load_in_4bit": True}, "int4", id="bnb"),
    ],
)
def test_other_quantization_methods(quant: dict[str, Any], precision: str) -> None:
    config = {**_config("meta-llama/Llama-3.1-8B"), "quantization_config": quant}

    assert native_precision(config)[0] == precision


def test_a_modelopt_quant_file_sets_the_precision() -> None:
    extra = {"producer": {"name": "modelopt"}, "quantization": {"quant_algo": "NVFP4"}}

    found, source = native_precision(_config("meta-llama/Llama-3.1-8B"), extra)

    assert found == "fp4"
    assert source.startswith("hf_quant_config.json")


def test_a_model_outside_the_catalog_is_sized_from_its_config() -> None:
    arch = derive_architecture(
        _config("Qwen/Qwen3-Coder-480B-A35B-Instruct"), "Qwen/Qwen3-Coder-480B-A35B-Instruct"
    )

    assert arch.fields["params_b"] == pytest.approx(480, rel=0.01)  # "480B" in its name
    assert arch.fields["active_params_b"] == pytest.approx(35, rel=0.02)  # "A35B"


def test_an_unknown_architecture_says_what_to_do() -> None:
    with pytest.raises(UnsupportedArchitectureError) as caught:
        derive_architecture(_config("nvidia/Nemotron-H-56B-Base-8K"), "nvidia/Nemotron-H@abc")

    assert "NemotronHForCausalLM" in caught.value.message
    assert "nemotron_h" in caught.value.message
    assert "models.csv" in caught.value.hint


def test_a_missing_key_is_named() -> None:
    config = {k: v for k, v in _config("Qwen/Qwen3-8B").items() if k != "num_hidden_layers"}

    with pytest.raises(UnsupportedArchitectureError, match="num_hidden_layers"):
        derive_architecture(config, "Qwen/Qwen3-8B")
