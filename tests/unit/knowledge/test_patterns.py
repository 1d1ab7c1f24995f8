"""Deployment patterns: the shipped set is complete and valid; a bad document is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import InvalidInputError
from domain.requirements import Task
from knowledge.catalog import gpu_family_of, load_models
from knowledge.patterns import load_patterns
from knowledge.records import load_records


def test_at_least_25_patterns_cover_every_task() -> None:
    patterns = load_patterns()
    assert len(patterns) >= 25
    assert {pattern.task for pattern in patterns} == set(Task)


def test_patterns_cover_the_main_gpu_families_and_sizes() -> None:
    patterns = load_patterns()
    families = {gpu_family_of(pattern.gpu).value for pattern in patterns}
    assert {"H100", "A100", "L4", "L40S", "H200", "MI300X", "A10G", "T4"} <= families
    models = load_models()
    sizes = [models[pattern.model].params_b for pattern in patterns]
    assert min(sizes) < 2 and max(sizes) > 400


def test_rests_on_names_existing_records_or_documents() -> None:
    ids = {record.id for record in load_records()}
    for pattern in load_patterns():
        assert pattern.rests_on, pattern.id
        for ref in pattern.rests_on:
            assert ref in ids or ref.startswith("doc: "), (pattern.id, ref)


GOOD = """---
id: {id}
title: A pattern
task: chatbot
scale: small
model: meta-llama/Llama-3.1-8B-Instruct
gpu: L4
precision: fp8
serving_args: {{max_num_seqs: 32, enable_prefix_caching: true}}
---

Body text.
"""


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("no front matter", "no YAML front matter", id="no-front-matter"),
        pytest.param(GOOD.replace("task: chatbot", "task: poetry"), "task", id="bad-task"),
        pytest.param(GOOD.replace("gpu: L4", "gpu: Z9000"), "unknown GPU", id="bad-gpu"),
        pytest.param(GOOD.replace("title: A pattern\n", ""), "title", id="missing-title"),
    ],
)
def test_a_bad_document_is_reported_with_file_and_reason(
    tmp_path: Path, text: str, reason: str
) -> None:
    (tmp_path / "p-1.md").write_text(
        text.replace("{id}", "p-1").replace("{{", "{").replace("}}", "}")
    )
    with pytest.raises(InvalidInputError) as info:
        load_patterns(tmp_path)
    assert "p-1.md" in info.value.message
    assert reason in info.value.message


def test_a_good_document_loads_with_string_serving_args(tmp_path: Path) -> None:
    (tmp_path / "p-1.md").write_text(GOOD.format(id="p-1"))
    (pattern,) = load_patterns(tmp_path)
    assert pattern.serving_args == {"max_num_seqs": "32", "enable_prefix_caching": "true"}
    assert pattern.body == "Body text."
