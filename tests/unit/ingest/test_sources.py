"""Commits per source read from SOURCES.md."""

from __future__ import annotations

from ingest.sources import parse_source_commits, read_source_commits
from knowledge.catalog import data_path

TEXT = """
## first_src — A source
* repo `org/one` @ `0123456789abcdef0123`, license MIT.
## second_src — Same place
* same repo/commit, other file.
## third_src — No commit
* repo `org/three`, file `x.md`.
"""


def test_parse_sections() -> None:
    assert parse_source_commits(TEXT) == {
        "first_src": "org/one@0123456789abcdef0123",
        "second_src": "org/one@0123456789abcdef0123",
        "third_src": "org/three",
    }


def test_shipped_sources_name_every_benchmark_source() -> None:
    commits = read_source_commits(data_path("SOURCES.md"))
    assert set(commits) >= {
        "mlperf_inf_v4.1",
        "trtllm_perf_overview",
        "nvidia_dli_nim_genaiperf",
        "nvidia_dli_trtllm_0_9",
        "argonne_llm_inference_bench",
    }
