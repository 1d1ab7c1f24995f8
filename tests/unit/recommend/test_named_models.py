"""Named models outside the catalog: looked up through the context's lookup, sized and ranked like
any other, and said to be so on every option."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from domain.catalog import ModelSpec
from domain.errors import ModelNotFoundError, UnknownNameError
from domain.recommendation import Recommendation
from domain.requirements import GpuFamily, Requirements, SloTarget
from knowledge.model_registry import RegistryRecord, spec_from_record
from recommend.context import RecommendContext
from recommend.engine import recommend
from recommend.inputs import requirements_from_mapping
from recommend.named_models import resolve_named

CONFIGS = Path(__file__).resolve().parents[2] / "data" / "hub_configs"
NEW = "XiaomiMiMo/MiMo-7B-Base"


def _record(repo_id: str, *, gated: bool = False) -> RegistryRecord:
    config = json.loads((CONFIGS / repo_id / "config.json").read_text("utf-8"))
    return RegistryRecord(
        registry="http://registry.test",
        repo_id=repo_id,
        revision=None,
        commit="0123456789abcdef0123",
        config=config,
        quant_config=None,
        license="mit",
        gated=gated,
    )


class RecordLookup:
    """A model lookup over registry records held in memory (our own port, no registry)."""

    def __init__(self, *records: RegistryRecord) -> None:
        self.specs = {record.repo_id: spec_from_record(record) for record in records}
        self.asked: list[str] = []

    def lookup(self, *, name: str) -> ModelSpec:
        self.asked.append(name)
        if name not in self.specs:
            raise ModelNotFoundError(f"no model {name!r}")
        return self.specs[name]


@pytest.fixture(scope="module")
def with_lookup(context: RecommendContext) -> RecommendContext:
    return dataclasses.replace(context, model_lookup=RecordLookup(_record(NEW, gated=True)))


@pytest.fixture(scope="module")
def new_model(with_lookup: RecommendContext) -> Recommendation:
    wanted = Requirements(
        task="chatbot",
        models=[NEW],
        concurrent_users=50,
        gpu_families=[GpuFamily.H100, GpuFamily.L4],
        slo=[SloTarget(metric="ttft", ms=2000)],
    )
    return recommend(wanted, context=with_lookup, limit=3)


def test_a_model_outside_the_catalog_is_sized_and_recommended(new_model: Recommendation) -> None:
    assert new_model.options
    assert {option.model for option in new_model.options} == {NEW}
    assert all(option.params_b == 7.62 for option in new_model.options)
    assert new_model.feasible


def test_every_option_of_it_says_it_is_not_curated(new_model: Recommendation) -> None:
    note = (
        "not in the curated catalog: no published quality score; architecture read from "
        f"{NEW}@0123456789ab"
    )
    for option in new_model.options:
        assert option.reasons[0] == note
        assert "needs a Hugging Face token" in option.reasons[1]
    assert note in new_model.assumptions


def test_catalog_names_never_reach_the_lookup(with_lookup: RecommendContext) -> None:
    lookup = with_lookup.model_lookup
    assert isinstance(lookup, RecordLookup)
    before = list(lookup.asked)

    context, ids = resolve_named(["meta-llama/Llama-3.1-8B", NEW], with_lookup)

    assert ids == ["meta-llama/Llama-3.1-8B", NEW]
    assert lookup.asked == [*before, NEW]
    assert NEW in context.models and NEW not in with_lookup.models


def test_without_a_lookup_an_unknown_id_is_unknown(context: RecommendContext) -> None:
    with pytest.raises(UnknownNameError):
        resolve_named([NEW], context)


def test_a_name_that_is_no_repository_id_stays_unknown(with_lookup: RecommendContext) -> None:
    with pytest.raises(UnknownNameError):
        resolve_named(["llama nine"], with_lookup)


def test_the_lookups_error_reaches_the_caller(with_lookup: RecommendContext) -> None:
    with pytest.raises(ModelNotFoundError):
        resolve_named(["acme/missing-model-3b"], with_lookup)


def test_a_requirements_file_keeps_an_unknown_repository_id(context: RecommendContext) -> None:
    wanted = requirements_from_mapping({"models": [NEW, "META-LLAMA/llama-3.1-8b"]}, context.models)

    assert wanted.models == [NEW, "meta-llama/Llama-3.1-8B"]
    with pytest.raises(UnknownNameError):
        requirements_from_mapping({"models": ["llama nine"]}, context.models)


def test_an_id_the_registry_lacks_names_the_closest_catalog_models(
    with_lookup: RecommendContext,
) -> None:
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_named(["meta-llama/Llama-3.1-9B"], with_lookup)

    assert "meta-llama/Llama-3.1-8B" in caught.value.hint


def test_an_mxfp4_checkpoint_from_a_registry_is_served_like_gpt_oss(
    context: RecommendContext,
) -> None:
    record = dataclasses.replace(_record("openai/gpt-oss-20b"), repo_id="acme/gpt-oss-20b-tuned")
    tuned = dataclasses.replace(context, model_lookup=RecordLookup(record))
    wanted = Requirements(
        task="chatbot", models=[record.repo_id], concurrent_users=50, gpu_families=[GpuFamily.H100]
    )

    answer = recommend(wanted, context=tuned, limit=2)

    assert answer.options
    assert {(o.model, o.precision) for o in answer.options} == {(record.repo_id, "fp4")}
