"""Repository ids the catalog lacks are kept as named; slashes in prose are not ids."""

from __future__ import annotations

import pytest

from bot.understanding.model_names import find_repo_ids
from bot.understanding.reader import understand
from knowledge.catalog import load_models


@pytest.mark.parametrize(
    ("text", "models"),
    [
        pytest.param(
            "a support chatbot with acme/support-llm-8b on H100s", ["acme/support-llm-8b"], id="id"
        ),
        pytest.param("serve org/some-new-model please", ["org/some-new-model"], id="no-digits"),
        pytest.param(
            "try XiaomiMiMo/MiMo-7B-Base@main.", ["XiaomiMiMo/MiMo-7B-Base@main"], id="revision"
        ),
        pytest.param(
            "https://huggingface.co/XiaomiMiMo/MiMo-7B-Base for chat",
            ["XiaomiMiMo/MiMo-7B-Base"],
            id="hub-url",
        ),
        pytest.param(
            "Llama 3.1 8B or acme/llama-3.1-8b-support",
            ["meta-llama/Llama-3.1-8B", "acme/llama-3.1-8b-support"],
            id="fine-tune-of-a-catalog-model",
        ),
        pytest.param(
            "meta-llama/Llama-3.1-8B-Instruct", ["meta-llama/Llama-3.1-8B"], id="catalog-id"
        ),
    ],
)
def test_repository_ids_are_kept_as_written(text: str, models: list[str]) -> None:
    assert understand(text).models == models


@pytest.mark.parametrize(
    "text",
    [
        "5k requests/day, 300 tokens/s, Apache/MIT only, int4/AWQ is fine",
        "p95/p99.9 under a second on A100/H100 or L40S/H100-80GB",
        "an input/output-heavy batch, 8k-in/1k-out, 24/7",
    ],
)
def test_slashes_in_prose_are_no_model(text: str) -> None:
    assert find_repo_ids(text, load_models()) == []
    assert understand(text).models == []
