"""Tests of recommend.inputs: requirements files and unknown names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.errors import InvalidInputError, UnknownNameError
from domain.requirements import GpuFamily
from recommend.context import RecommendContext
from recommend.inputs import read_requirements, requirements_from_mapping


def test_names_are_normalised(context: RecommendContext) -> None:
    requirements = requirements_from_mapping(
        {"gpu_families": ["h100", "L4"], "models": ["META-LLAMA/llama-3.1-8b"]}, context.models
    )
    assert requirements.gpu_families == [GpuFamily.H100, GpuFamily.L4]
    assert requirements.models == ["meta-llama/Llama-3.1-8B"]


@pytest.mark.parametrize(
    ("data", "closest"),
    [
        pytest.param({"gpu_families": ["H1000"]}, "H100", id="gpu-family"),
        # A repository id (org/name) the catalog lacks is kept for a registry lookup (issue 17).
        pytest.param({"models": ["Llama-3.1-9B"]}, "meta-llama/Llama-3.1-8B", id="model"),
    ],
)
def test_unknown_names_carry_the_closest_known(
    context: RecommendContext, data: dict[str, object], closest: str
) -> None:
    with pytest.raises(UnknownNameError) as caught:
        requirements_from_mapping(data, context.models)
    assert closest in caught.value.closest


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param("{not json", "not valid JSON", id="not-json"),
        pytest.param("[1, 2]", "one JSON object", id="not-object"),
        pytest.param(json.dumps({"max_gpus": 0}), "max_gpus", id="bad-field"),
        pytest.param(json.dumps({"colour": "blue"}), "colour", id="unknown-field"),
    ],
)
def test_bad_files_are_invalid_input(
    context: RecommendContext, tmp_path: Path, content: str, words: str
) -> None:
    path = tmp_path / "req.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=words):
        read_requirements(path, context.models)
