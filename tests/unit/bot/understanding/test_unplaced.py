"""Names that cannot be placed are reported with the closest known names, never dropped."""

from __future__ import annotations

import pytest

from bot.understanding.model_names import find_models
from bot.understanding.unplaced import unknown_gpus, unknown_models
from knowledge.catalog import load_models


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "on rtx 9090s",
            "I don't know the GPU 'RTX 9090' (closest: RTX 4090, RTX PRO 6000)",
            id="rtx",
        ),
        pytest.param(
            "we still have v100 cards",
            "I don't know the GPU 'V100' (closest: H100, A100)",
            id="v100",
        ),
        pytest.param("a800 only", "I don't know the GPU 'A800' (closest: A100, A30)", id="a800"),
    ],
)
def test_unknown_gpus(text: str, message: str) -> None:
    assert [found.message for found in unknown_gpus(text)] == [message]


@pytest.mark.parametrize("text", ["gpu and gpu", "p95 under 2s", "70b params", "h100-free zone"])
def test_no_gpu_like_name_no_finding(text: str) -> None:
    assert unknown_gpus(text) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "llama 4 70b please",
            "'Llama 4 70B' is not a model I know: Llama-3.3-70B or Llama-4-Scout-17B-16E?",
            id="llama-4-70b",
        ),
        pytest.param(
            "qwen3 9b", "'Qwen3 9B' is not a model I know: Qwen3-8B or Qwen3-4B?", id="qwen"
        ),
    ],
)
def test_unknown_models(text: str, message: str) -> None:
    catalog = load_models()

    found = unknown_models(text, find_models(text, catalog), catalog)

    assert [item.message for item in found] == [message]
    assert text[found[0].start : found[0].end].endswith("b")


@pytest.mark.parametrize(
    "text", ["llama 3.3 70b", "qwen3 for rag", "mixtral 8x7b", "gpt-oss-120b", "nothing under 70b"]
)
def test_known_models_and_bare_families_are_no_finding(text: str) -> None:
    catalog = load_models()

    assert unknown_models(text, find_models(text, catalog), catalog) == []
