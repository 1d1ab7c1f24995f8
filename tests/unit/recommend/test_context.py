"""Tests of recommend.context: the packaged knowledge loads, inventories are validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import InvalidInputError, UnknownNameError
from recommend.context import RecommendContext, default_context, load_inventory


def test_default_context_holds_the_packaged_knowledge(context: RecommendContext) -> None:
    assert "meta-llama/Llama-3.1-8B" in context.models
    assert "H100-SXM-80GB" in context.gpus
    assert len(context.records) > 6000
    assert context.task_defaults
    assert context.inventory is None


@pytest.mark.parametrize(
    ("name", "text"),
    [
        pytest.param("inv.yaml", "L4: 8\nA100-SXM-80GB: 2\nh100: 1\n", id="yaml"),
        pytest.param("inv.csv", "gpu,count\nL4,8\nA100-SXM-80GB,2\nH100,1\n", id="csv"),
    ],
)
def test_inventory_by_gpu_name_or_family(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    context = default_context(inventory_file=path)
    assert context.inventory == {"L4": 8, "A100-SXM-80GB": 2, "H100": 1}


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        pytest.param("H900: 2\n", UnknownNameError, "H900", id="unknown-gpu"),
        pytest.param("L4: two\n", InvalidInputError, "whole number", id="bad-count"),
        pytest.param("L4: -1\n", InvalidInputError, "negative", id="negative"),
        pytest.param("- L4\n", InvalidInputError, "mapping", id="not-a-mapping"),
    ],
)
def test_bad_inventory_is_a_clear_error(
    context: RecommendContext, tmp_path: Path, text: str, error: type[Exception], words: str
) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(error, match=words):
        load_inventory(path, context.gpus)


def test_missing_inventory_file_is_a_clear_error(context: RecommendContext, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read inventory"):
        load_inventory(tmp_path / "absent.yaml", context.gpus)
