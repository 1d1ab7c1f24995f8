"""Normalisation of precision, engine, flags, provenance and content ids."""

from __future__ import annotations

import pytest

from simulate.benchmark_rows import (
    content_id,
    is_flagged,
    normalise_engine,
    normalise_precision,
    provenance_from_notes,
)


@pytest.mark.parametrize(
    ("raw", "notes", "expected"),
    [
        pytest.param("fp16 (mixed)", "", "fp16", id="mixed"),
        pytest.param("bf16/fp16 (not stated)", "", "fp16", id="not-stated"),
        pytest.param("BF16", "", "bf16", id="upper"),
        pytest.param("bfloat16", "", "bf16", id="torch-name"),
        pytest.param("nvfp4", "", "fp4", id="nvfp4"),
        pytest.param("awq", "", "int4", id="awq"),
        pytest.param("", "system=x (4x H100-SXM-80GB, vLLM, FP8); y", "fp8", id="from-notes"),
        pytest.param("", "system=x (4x H100, vLLM, GPTQ); y", "int4", id="gptq-notes"),
        pytest.param("", "nothing here", "unknown", id="unknown"),
    ],
)
def test_precision(raw: str, notes: str, expected: str) -> None:
    assert normalise_precision(raw, notes) == expected


@pytest.mark.parametrize(
    ("raw", "notes", "expected"),
    [
        pytest.param("TensorRT-LLM", "", "trtllm", id="trt"),
        pytest.param("vLLM", "", "vllm", id="vllm"),
        pytest.param("", "src=open/NVIDIA/results/H200x1_TRT_Sparse/x", "trtllm", id="mlperf-trt"),
        pytest.param("", "", "unknown", id="unknown"),
    ],
)
def test_engine(raw: str, notes: str, expected: str) -> None:
    assert normalise_engine(raw, notes) == expected


@pytest.mark.parametrize(
    ("notes", "flagged"),
    [
        pytest.param("WARNING: saturated; src=a", True, id="warning"),
        pytest.param("SUSPECT: typo; src=a", True, id="suspect"),
        pytest.param("CHECK this", True, id="check"),
        pytest.param("src=a; NOTE: WARNING later", False, id="later"),
    ],
)
def test_flags(notes: str, flagged: bool) -> None:
    assert is_flagged(notes) is flagged


def test_provenance_takes_repo_commit_from_src_when_given() -> None:
    notes = "SUSPECT: x; src=NVIDIA/TensorRT-LLM@00f37686aa85 docs/perf.md (table 3); more"
    prov = provenance_from_notes(notes, source_id="t", commits={"t": "other"}, fallback_path="f")
    assert (prov.commit, prov.source_path) == ("NVIDIA/TensorRT-LLM@00f37686aa85", "docs/perf.md")


def test_provenance_falls_back_to_the_file_and_the_sources_commit() -> None:
    prov = provenance_from_notes(
        "", source_id="s", commits={"s": "o/r@abc1234"}, fallback_path="f.csv"
    )
    assert (prov.source_path, prov.commit) == ("f.csv", "o/r@abc1234")


def test_content_id_ignores_notes_but_not_measurements() -> None:
    fields = {"model": "m", "gpu": "L4", "ttft_ms_p50": 10.0, "notes": "a"}
    assert content_id("s", fields) == content_id("s", fields | {"notes": "b"})
    assert content_id("s", fields) != content_id("s", fields | {"ttft_ms_p50": 11.0})
    assert content_id("s", fields) != content_id("t", fields)
