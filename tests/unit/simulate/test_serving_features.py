"""Serving techniques and engine-version bands read from benchmark records."""

from __future__ import annotations

import pytest

from domain.benchmarks import BenchmarkRecord
from domain.catalog import GpuSpec, ModelSpec
from simulate.benchmark_rows import record_from_row
from simulate.calibration import nearest_bands
from simulate.load_terms import LoadCode
from simulate.rows import Case, case_from_record, technique_shapes
from simulate.serving_features import (
    NOMINAL_LENGTH_SHARE,
    ServingFeatures,
    accepted_tokens,
    default_batch_limits,
    engine_version,
    features_of,
    image_version,
    version_band,
)
from tests.unit.simulate.test_rows import make_row

DISAGG_NOTES = (
    "src=x; closed loop, random prompts, ignore_eos; framework=dynamo-trt; "
    "image=nvcr.io/nvidia/ai-dynamo/tensorrtllm-runtime:0.8.1.post1; spec=mtp; disagg=True; "
    "prefill tp4/ep4/dpa=Truex1 + decode tp8/ep8/dpa=Falsex3 (4P+24D GPUs)"
)


def _record(**changes: str) -> BenchmarkRecord:
    return record_from_row(make_row(**changes), str.strip, source_id="t")


def test_disaggregated_mtp_run_is_read_from_the_notes() -> None:
    features = features_of(_record(notes=DISAGG_NOTES))
    assert features == ServingFeatures(
        speculative="mtp",
        disaggregated=True,
        prefill_tp=4,
        prefill_workers=1,
        decode_workers=3,
        expert_parallel=8,
        dp_attention=False,
        length_share=NOMINAL_LENGTH_SHARE,
        varied_lengths=True,
    )


def test_random_and_sharegpt_prompts_vary_in_length_synthetic_ones_do_not() -> None:
    assert features_of(_record(notes="vllm bench serve ShareGPT --num-prompts 1000")).varied_lengths
    fixed = _record(notes="GenAI-Perf vs NIM, synthetic ISL (stdev 0), OSL forced (ignore_eos)")
    assert not features_of(fixed).varied_lengths


def test_aggregated_ep_and_dp_attention_and_vllm_speculative_config() -> None:
    agg = features_of(
        _record(notes="src=x; InferenceX; spec=none; disagg=False; tp8 ep8 dp_attention=True")
    )
    assert (agg.expert_parallel, agg.dp_attention, agg.speculative) == (8, True, "")
    assert agg.load_per_replica and not features_of(_record(notes=DISAGG_NOTES)).load_per_replica
    vllm = features_of(
        _record(
            notes='speculative decoding on; --speculative-config={"method":"mtp",'
            '"num_speculative_tokens":2}'
        )
    )
    assert (vllm.speculative, vllm.draft_tokens) == ("mtp", 2)
    assert accepted_tokens(vllm) == pytest.approx(1 + 0.85 + 0.85**2)
    assert accepted_tokens(ServingFeatures()) == 1.0


@pytest.mark.parametrize(
    ("engine", "version", "band"),
    [
        ("vllm", "0.4.3+rocm614", "vllm"),
        ("vllm", "0.6.6 (ROCm)", "vllm 0.6-0.9"),
        ("vllm", "0.17.1", "vllm 0.10+"),
        ("trtllm", "0.9.0", "trtllm"),
        ("trtllm", "1.2.0rc6.post2", "trtllm 1.x"),
        ("sglang", "0.5.12", "sglang"),
        ("vllm", "", "vllm"),
    ],
)
def test_version_band(engine: str, version: str, band: str) -> None:
    assert version_band(engine, version) == band


def test_a_dated_run_without_a_version_belongs_to_the_band_of_its_time() -> None:
    assert version_band("trtllm", "", "2025-12") == "trtllm 1.x"
    assert version_band("trtllm", "", "2024-05") == "trtllm"
    assert version_band("sglang", "", "2026-01") == "sglang"


def test_version_comes_from_the_image_tag_when_the_row_states_none() -> None:
    record = _record(engine="sglang", notes="src=x; image=lmsysorg/sglang:v0.5.12-cu130; spec=none")
    assert engine_version(record) == "0.5.12"
    assert engine_version(_record(engine_version="dynamo 0.8.1.post1")) == "0.8.1.post1"


def test_a_band_without_measurements_falls_back_to_the_nearest_newer_first() -> None:
    fitted = {"vllm", "vllm 0.6-0.9"}
    assert nearest_bands("vllm 0.10+", fitted) == ["vllm 0.10+", "vllm 0.6-0.9", "vllm"]
    assert nearest_bands("sglang", fitted) == ["sglang"]
    assert nearest_bands("dynamo+trtllm", {"trtllm", "trtllm 1.x"}) == [
        "dynamo+trtllm",
        "trtllm 1.x",
        "trtllm",
    ]
    assert nearest_bands("sglang+mori", {"sglang"}) == ["sglang+mori", "sglang"]
    assert nearest_bands("atom", {"sglang", "vllm"}) == ["atom", "sglang"]  # its stand-in


def test_a_disaggregated_case_counts_decode_replicas_and_prices_its_prefill_pool(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    record = _record(
        model="deepseek-ai/DeepSeek-R1",
        precision="fp4",
        engine="dynamo+trtllm",
        gpu="B200-SXM-180GB",
        gpu_count="28",
        tensor_parallel="8",
        input_tokens="8192",
        output_tokens="1024",
        load_type="concurrency",
        load_value="66",
        notes=DISAGG_NOTES,
    )
    case = case_from_record(record, models, gpus)
    assert isinstance(case, Case)
    assert case.replicas == 3 and case.value == pytest.approx(22.0)
    assert case.input_tokens == pytest.approx(8192 * NOMINAL_LENGTH_SHARE)
    shapes = technique_shapes(case)
    assert shapes["disaggregated"] == 1.0 and shapes["prefill_slowdown"] == 2.0
    assert shapes["prefill_workers"] == pytest.approx(1 / 3)
    assert shapes["verify_tokens"] == 2.0 and shapes["accepted_tokens"] == pytest.approx(1.85)
    assert shapes["kv_transfer_s"] > 0


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("vllm/vllm-openai:v0.11.0", "0.11.0"),
        ("rocm/vllm:0.9.1_20250715", "0.9.1"),
        ("registry:5000/vllm/vllm-openai", ""),
        ("vllm/vllm-openai:latest", ""),
        ("vllm/vllm-openai", ""),
    ],
)
def test_image_version_reads_the_tag(image: str, version: str) -> None:
    assert image_version(image) == version


@pytest.mark.parametrize(
    ("engine", "version", "gpu", "limits"),
    [
        pytest.param("vllm", "0.11.0", "H100-SXM-80GB", (1024, 8192), id="vllm-h100"),
        pytest.param("vllm", "0.10.2", "A100-SXM-80GB", (256, 2048), id="vllm-a100-excepted"),
        pytest.param("vllm", "0.9.2", "MI300X", (1024, 8192), id="vllm-mi300x"),
        pytest.param("vllm", "0.12.0", "L4", (256, 2048), id="vllm-small-gpu"),
        pytest.param("vllm", "0.6.6", "MI300X", None, id="vllm-v0-engine"),
        pytest.param("vllm", "", "H100-SXM-80GB", None, id="vllm-unknown-version"),
        pytest.param("sglang", "0.5.4", "H100-SXM-80GB", None, id="not-vllm"),
    ],
)
def test_vllm_default_batch_limits_depend_on_version_and_gpu(
    gpus: dict[str, GpuSpec], engine: str, version: str, gpu: str, limits: tuple[int, int] | None
) -> None:
    assert default_batch_limits(engine, version, gpus[gpu]) == limits


def test_limits_a_run_states_are_read_from_its_notes() -> None:
    stated = features_of(
        _record(notes="vllm serve m --max-num-seqs=512 --max-num-batched-tokens 4096")
    )
    assert (stated.max_num_seqs, stated.max_batched_tokens) == (512, 4096)
    args = features_of(_record(notes="vLLM args: max_num_batched_tokens=2048, max_num_seqs=128"))
    assert (args.max_num_seqs, args.max_batched_tokens) == (128, 2048)
    assert features_of(_record(notes="src=x")).max_num_seqs == 0


def test_a_served_vllm_case_runs_with_its_default_or_stated_limits(
    models: dict[str, ModelSpec], gpus: dict[str, GpuSpec]
) -> None:
    served = {"load_type": "concurrency", "load_value": "1000", "engine_version": "0.11.0"}
    a100 = case_from_record(_record(gpu="A100-SXM-80GB", **served), models, gpus)
    assert isinstance(a100, Case)
    assert (a100.config.max_num_seqs, a100.step_tokens) == (256, 2048)
    stated = _record(gpu="H100-SXM-80GB", notes="src=x; max_num_seqs=128", **served)
    case = case_from_record(stated, models, gpus)
    assert isinstance(case, Case) and (case.config.max_num_seqs, case.step_tokens) == (128, 8192)
    burst = _record(gpu="H100-SXM-80GB", notes="src=x; burst, all 1000 prompts at once", **served)
    burst_case = case_from_record(burst, models, gpus)
    assert isinstance(burst_case, Case) and burst_case.kind == LoadCode.BURST
