"""Tests of deploy.validate: real CRD schemas, kubernetes-validate, operator policy."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from deploy.plan import Autoscaler, Target, plan_for
from deploy.render import render
from deploy.validate import (
    CRD_DIR,
    CRD_FILES,
    PlanChecks,
    check_policy,
    crd_schema,
    image_repository,
    structural,
    validate_object,
    validate_objects,
    validate_plan,
)
from domain.errors import InvalidInputError, PolicyViolationError
from tests.unit.deploy.factories import make_plan, option_for_requirements


def _scenarios(eval_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (eval_dir / "scenarios.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(
    ("autoscaler", "target"),
    [pytest.param(a, Target.INFERENCE_SERVICE, id=a.value) for a in Autoscaler]
    + [pytest.param(Autoscaler.NONE, Target.LLM_INFERENCE_SERVICE, id="llminferenceservice")],
)
def test_every_scenario_renders_objects_that_pass_the_real_schemas(
    eval_dir: Path, autoscaler: Autoscaler, target: Target
) -> None:
    scenarios = _scenarios(eval_dir)
    assert len(scenarios) >= 20
    kinds: set[str] = set()
    for scenario in scenarios:
        option = option_for_requirements(scenario["requirements"])
        plan = plan_for(
            option,
            namespace="llm-serving",
            requester="U1",
            thread_id=scenario["id"],
            autoscaler=autoscaler,
            target=target,
        )
        manifests = render(plan)
        validate_objects(manifests)  # raises naming the object and field on any failure
        kinds.update(m["kind"] for m in manifests)
    served = (
        {"LLMInferenceService"}
        if target is Target.LLM_INFERENCE_SERVICE
        else {
            "InferenceService",
            "ServingRuntime",
        }
    )
    assert served | {"PodMonitor", "ConfigMap", "PodDisruptionBudget"} <= kinds


def test_every_recommended_option_of_the_scenarios_renders_valid_objects(eval_dir: Path) -> None:
    from domain.requirements import Requirements
    from recommend.context import default_context
    from recommend.engine import recommend

    context = default_context()
    rendered = 0
    for scenario in _scenarios(eval_dir):
        wanted = Requirements.model_validate(scenario["requirements"])
        for option in recommend(wanted, context=context).options:
            plan = plan_for(option, namespace="llm-serving", requester="U1", thread_id="t")
            validate_objects(render(plan))
            rendered += 1
    assert rendered >= 20  # most scenarios are feasible; "none fits" ones have no options


def test_shipped_crds_are_unchanged_upstream_copies() -> None:
    # SHA256SUMS was recorded from the upstream files (deploy/crds/README.md names tag and commit).
    lines = (CRD_DIR / "SHA256SUMS").read_text().splitlines()
    sums = {name: digest for digest, name in (line.split("  ") for line in lines)}
    assert set(CRD_FILES.values()) <= set(sums)
    for file in CRD_FILES.values():
        assert hashlib.sha256((CRD_DIR / file).read_bytes()).hexdigest() == sums[file]


def test_a_crd_schema_is_read_from_its_json_copy_once_written(tmp_path: Path) -> None:
    file = "keda.sh_scaledobjects.yaml"
    parsed = crd_schema(file, "v1alpha1", tmp_path)
    (copy,) = tmp_path.glob("keda.sh_scaledobjects.v1alpha1.*.json")
    assert json.loads(copy.read_text()) == parsed
    assert parsed["properties"]["spec"]["required"] == ["scaleTargetRef", "triggers"]
    copy.write_text(json.dumps({"marker": True}))  # a later use reads the copy, not the YAML
    assert crd_schema(file, "v1alpha1", tmp_path) == {"marker": True}
    copy.write_text("{not json")  # a broken copy falls back to the YAML and is rewritten
    assert crd_schema(file, "v1alpha1", tmp_path) == parsed
    assert json.loads(copy.read_text()) == parsed


def test_an_unwritable_cache_folder_still_gives_the_schema(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    schema = crd_schema("keda.sh_scaledobjects.yaml", "v1alpha1", blocker / "cache")
    assert "spec" in schema["properties"]


@pytest.mark.parametrize(
    ("kind", "mutate", "message"),
    [
        pytest.param(
            "InferenceService",
            lambda m: m["spec"]["predictor"]["model"].update(argz=["x"]),
            "'argz' was unexpected",
            id="isvc-unknown-field",
        ),
        pytest.param(
            "InferenceService",
            lambda m: m["spec"]["predictor"].update(minReplicas="two"),
            "minReplicas",
            id="isvc-replicas-not-a-number",
        ),
        pytest.param(
            "ScaledObject",
            lambda m: m["spec"].pop("scaleTargetRef"),
            "scaleTargetRef",
            id="scaledobject-missing-target",
        ),
        pytest.param(
            "PodMonitor",
            lambda m: m["spec"]["podMetricsEndpoints"][0].update(portNumber="metrics"),
            "portNumber",
            id="podmonitor-port-number-string",
        ),
        pytest.param(
            "ConfigMap",
            lambda m: m["data"].update(bad=5),
            "not of type 'string'",
            id="configmap-non-string-data",
        ),
        pytest.param(
            "PodDisruptionBudget",
            lambda m: m["spec"].update(maxUnavailable=[1]),
            "maxUnavailable",
            id="pdb-bad-int-or-string",
        ),
    ],
)
def test_broken_objects_are_rejected_with_the_field(kind: str, mutate: Any, message: str) -> None:
    manifest = next(m for m in render(make_plan()) if m["kind"] == kind)
    mutate(manifest)
    with pytest.raises(InvalidInputError, match=message):
        validate_object(manifest)


def test_int_or_string_accepts_both_and_nothing_else() -> None:
    schema = structural({"x-kubernetes-int-or-string": True})
    assert schema == {"anyOf": [{"type": "integer"}, {"type": "string"}]}


def test_preserve_unknown_fields_keeps_an_object_open() -> None:
    closed = structural({"type": "object", "properties": {"a": {"type": "string"}}})
    opened = structural(
        {"type": "object", "properties": {"a": {}}, "x-kubernetes-preserve-unknown-fields": True}
    )
    assert closed["additionalProperties"] is False
    assert "additionalProperties" not in opened


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        pytest.param("vllm/vllm-openai:v0.11.0", "vllm/vllm-openai", id="tag"),
        pytest.param("registry:5000/vllm/vllm-openai", "registry:5000/vllm/vllm-openai", id="port"),
        pytest.param("vllm/vllm-openai@sha256:" + "a" * 64, "vllm/vllm-openai", id="digest"),
    ],
)
def test_image_repository_drops_tag_and_digest(image: str, repository: str) -> None:
    assert image_repository(image) == repository


def test_policy_refuses_a_namespace_off_the_allow_list() -> None:
    with pytest.raises(PolicyViolationError, match="namespace 'team-a' is not allowed"):
        check_policy(
            make_plan(namespace="team-a"),
            allowed_namespaces=["llm-serving"],
            allowed_images=["vllm/vllm-openai"],
        )


def test_policy_refuses_an_image_off_the_allow_list() -> None:
    plan = make_plan().model_copy(update={"image": "evil/miner:latest"})
    with pytest.raises(PolicyViolationError, match="evil/miner:latest"):
        check_policy(plan, allowed_namespaces=["llm-serving"], allowed_images=["vllm/vllm-openai"])


@pytest.mark.parametrize(
    ("inventory", "refused"),
    [
        pytest.param({"H100": 8}, False, id="within-family-inventory"),
        pytest.param({"H100": 7}, True, id="one-short"),
        pytest.param({"A100": 64}, True, id="none-of-this-gpu"),
    ],
)
def test_policy_checks_gpus_against_the_inventory(inventory: dict[str, int], refused: bool) -> None:
    plan = make_plan(tensor_parallel=4, replicas=2)
    checks = PlanChecks(gpu_inventory=inventory)
    if refused:
        with pytest.raises(PolicyViolationError, match="needs 8"):
            validate_plan(plan, render(plan), checks)
    else:
        validate_plan(plan, render(plan), checks)


def test_the_inventory_counts_a_prefill_pools_gpus_too() -> None:
    from deploy.profile import ClusterProfile
    from domain.recommendation import PrefillPool

    plan = make_plan(
        model="Qwen/Qwen3-30B-A3B",
        replicas=2,
        prefill=PrefillPool(replicas=1, tensor_parallel=2),
        hf_token_secret="",
        profile=ClusterProfile(kserve_version="0.18"),
    )
    assert plan.total_gpus == 4
    with pytest.raises(PolicyViolationError, match="needs 4"):
        validate_plan(plan, render(plan), PlanChecks(gpu_inventory={"H100": 3}))
    validate_plan(plan, render(plan), PlanChecks(gpu_inventory={"H100": 4}))


@pytest.mark.parametrize(
    ("allowed", "refused"),
    [
        pytest.param((), False, id="no-list-allows-any"),
        pytest.param(("H100",), False, id="by-family"),
        pytest.param(("H100-SXM-80GB", "L4"), False, id="by-name"),
        pytest.param(("L40S", "A100"), True, id="not-listed"),
    ],
)
def test_policy_checks_the_gpu_against_the_allowed_gpus(
    allowed: tuple[str, ...], refused: bool
) -> None:
    plan = make_plan()
    assert (plan.gpu, plan.gpu_family) == ("H100-SXM-80GB", "H100")
    checks = PlanChecks(allowed_gpus=allowed)
    if refused:
        with pytest.raises(PolicyViolationError, match="not among the GPUs allowed"):
            validate_plan(plan, render(plan), checks)
    else:
        validate_plan(plan, render(plan), checks)
