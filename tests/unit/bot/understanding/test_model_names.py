"""Model names as people write them → catalog ids of the base architecture."""

from __future__ import annotations

import pytest

from bot.understanding.model_names import base_of, find_models, resolve_name
from knowledge.catalog import load_models

MODELS = load_models()


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        pytest.param("Llama 3.3 70B Instruct", ["meta-llama/Llama-3.1-70B"], id="same-arch"),
        pytest.param("llama-3.1-8b-instruct-fp8", ["meta-llama/Llama-3.1-8B"], id="quantized"),
        pytest.param("Meta-Llama-3-70B", ["meta-llama/Llama-3.1-70B"], id="llama3"),
        pytest.param(
            "Llama 4 Maverick", ["meta-llama/Llama-4-Maverick-17B-128E-Instruct"], id="named"
        ),
        pytest.param("Qwen 2.5 14B", ["Qwen/Qwen2.5-14B-Instruct"], id="own-config"),
        pytest.param(
            "DeepSeek-R1 and deepseek v3",
            ["deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-V3"],
            id="deepseek",
        ),
        pytest.param("Mixtral 8x22B", ["mistralai/Mixtral-8x22B-v0.1"], id="moe"),
        pytest.param("Phi 3 medium", ["microsoft/Phi-3-medium-4k-instruct"], id="phi-medium"),
        pytest.param("qwen3-30b-a3b-fp8", ["Qwen/Qwen3-30B-A3B"], id="moe-fp8"),
        pytest.param("gpt-oss and Llama 3.1 and Qwen3", [], id="families"),
        pytest.param(
            "Llama 3.3 70B; FP8 is fine", ["meta-llama/Llama-3.1-70B"], id="stops-at-punct"
        ),
    ],
)
def test_find_models(text: str, ids: list[str]) -> None:
    found = [m.model_id for m in find_models(text.lower(), MODELS) if m.model_id]

    assert found == ids


def test_a_family_is_masked_without_a_model() -> None:
    mentions = find_models("we like llama 3.1 a lot", MODELS)

    assert [(m.start, m.end, m.model_id) for m in mentions] == [(8, 17, None)]


@pytest.mark.parametrize(
    ("hf_id", "base"),
    [
        pytest.param("meta-llama/Llama-3.3-70B-Instruct", "meta-llama/Llama-3.1-70B", id="derived"),
        pytest.param("deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1", id="own-config"),
        pytest.param("Qwen/Qwen3-8B", "Qwen/Qwen3-8B", id="base"),
    ],
)
def test_base_of(hf_id: str, base: str) -> None:
    assert base_of(MODELS[hf_id], MODELS) == base


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("nvidia/Llama-3.3-70B-Instruct-FP8", "meta-llama/Llama-3.1-70B", id="id"),
        pytest.param("Gemma 3 27B", "google/gemma-3-27b-it", id="written"),
        pytest.param("GPT-4o", None, id="unknown"),
    ],
)
def test_resolve_name(name: str, expected: str | None) -> None:
    assert resolve_name(name, MODELS) == expected
