"""Catalog facts: GPUs (datasheet additions, price overlay, interconnect) and model facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.errors import UnknownNameError
from domain.requirements import GpuFamily, Task
from knowledge.catalog import _interconnect_gbps, load_gpus, load_models


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("L40", id="l40"),
        pytest.param("MI250", id="mi250"),
        pytest.param("Gaudi2", id="gaudi2"),
        pytest.param("Intel-Max-1550", id="max1550"),
        pytest.param("RTX-4090", id="rtx4090"),
    ],
)
def test_measured_gpus_missing_from_gpus_csv_are_in_the_catalog(name: str) -> None:
    gpu = load_gpus()[name]
    assert gpu.family == GpuFamily(name)
    assert any(word in gpu.spec_source.lower() for word in ("datasheet", "whitepaper", "brief"))


def test_every_gpu_of_a_measured_record_is_in_the_catalog() -> None:
    from knowledge.records import load_records

    assert {record.gpu for record in load_records()} <= set(load_gpus())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("PCIe Gen4 x16 (NVLink bridge optional)", 32.0, id="bridge-optional-is-pcie"),
        pytest.param("PCIe Gen5 + NVLink bridge 600 GB/s", 300.0, id="nvl-bridge"),
        pytest.param("NVLink4 900 GB/s bidir", 450.0, id="nvlink4"),
        pytest.param("PCIe Gen3 x16", 16.0, id="gen3"),
    ],
)
def test_interconnect_bandwidth_is_per_direction(text: str, expected: float) -> None:
    assert _interconnect_gbps(text) == expected


def test_a100_pcie_uses_pcie_bandwidth() -> None:
    assert load_gpus()["A100-PCIe-80GB"].interconnect_gbps == 32.0


def test_default_basis_prices_every_gpu_on_aws_alone() -> None:
    gpus = load_gpus()
    assert gpus["H100-SXM-80GB"].price_usd_per_gpu_hr == 12.29
    priced = [gpu for gpu in gpus.values() if gpu.price_usd_per_gpu_hr is not None]
    assert priced and all(gpu.price_basis.startswith("AWS") for gpu in priced)
    assert gpus["H100-PCIe-80GB"].price_usd_per_gpu_hr is None  # Lambda's price is not mixed in
    assert gpus["GH200"].price_usd_per_gpu_hr is None


def test_a_named_set_takes_the_first_provider_that_prices_a_gpu() -> None:
    gpus = load_gpus(basis=("lambda", "aws"))
    assert gpus["H100-SXM-80GB"].price_usd_per_gpu_hr == 3.29
    assert "Lambda" in gpus["H100-SXM-80GB"].price_basis
    assert gpus["L4"].price_usd_per_gpu_hr == 0.8048  # Lambda has no L4; AWS, second, does
    assert "skypilot-catalog" in gpus["GH200"].price_source


def test_operator_price_file_is_the_whole_basis(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("gpu,price_usd_per_gpu_hr,basis\nL40,1.11,our reserved rate\n")
    gpus = load_gpus(price_file=prices)
    assert (gpus["L40"].price_usd_per_gpu_hr, gpus["L40"].price_basis) == (
        1.11,
        "our reserved rate",
    )
    assert gpus["H100-SXM-80GB"].price_usd_per_gpu_hr is None


def test_price_file_with_unknown_gpu_names_the_closest(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("gpu,price_usd_per_gpu_hr\nH100-SXM,2.0\n")
    with pytest.raises(UnknownNameError) as info:
        load_gpus(price_file=prices)
    assert "H100-SXM-80GB" in info.value.closest


def test_every_model_has_task_tags() -> None:
    models = load_models()
    assert len(models) >= 74
    assert all(spec.tasks for spec in models.values())


@pytest.mark.parametrize(
    ("hf_id", "task", "fit"),
    [
        pytest.param("meta-llama/Llama-3.1-8B-Instruct", Task.CHATBOT, True, id="instruct-chat"),
        pytest.param("meta-llama/Llama-3.1-70B", Task.CHATBOT, False, id="base-not-chat"),
        pytest.param("meta-llama/Llama-3.1-70B", Task.BATCH, True, id="base-batch"),
        pytest.param("Qwen/Qwen2.5-32B-Instruct", Task.CODE_GENERATION, True, id="qwen-code"),
        pytest.param("EleutherAI/gpt-j-6b", Task.AGENTIC, False, id="gptj-not-agent"),
    ],
)
def test_task_tags(hf_id: str, task: Task, fit: bool) -> None:
    assert (task in load_models()[hf_id].tasks) is fit


def test_quality_scores_name_their_source() -> None:
    scored = [spec for spec in load_models().values() if spec.quality]
    assert len(scored) >= 40
    for spec in scored:
        for score in spec.quality:
            assert 0 < score.score <= 100
            assert len(score.source) > 10


def test_overlay_still_merges_after_shipped_facts() -> None:
    models = load_models(overlay={"EleutherAI/gpt-j-6b": {"tasks": (Task.EXTRACTION,)}})
    assert models["EleutherAI/gpt-j-6b"].tasks == (Task.EXTRACTION,)
    assert Task.SUMMARIZATION in load_models()["EleutherAI/gpt-j-6b"].tasks
