"""Every case of shared/eval/scenarios.jsonl: recommend from its requirements, check its rules.

The rules are those of shared/eval/README.md; no case is special-cased here or in the engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from bot.wiring import engine_versions
from domain.recommendation import Recommendation
from domain.requirements import SloTarget
from recommend.context import RecommendContext, default_context
from recommend.engine import recommend
from recommend.inputs import requirements_from_mapping
from tests.conftest import EVAL_DIR
from tests.scenario.expert_rules import violations


def _cases() -> list[Any]:
    path = EVAL_DIR / "scenarios.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [pytest.param(case, id=case["id"]) for case in cases]


@pytest.fixture(scope="module")
def context() -> RecommendContext:
    """The real packaged knowledge."""
    return default_context(engine_versions=engine_versions(Settings()))  # the deployed vLLM


def _top_meets_slo(rec: Recommendation, requirements: dict[str, Any]) -> str | None:
    """The first option's own predicted percentile meets every SLO of the requirements."""
    top = rec.options[0]
    for raw in requirements.get("slo") or []:
        target = SloTarget.model_validate(raw)
        field = f"{target.metric.value}_ms_p{target.percentile}"
        value = getattr(top.predicted, field, None)
        if value is None or value > target.ms:
            return f"top option predicts {value} ms for {field}, target {target.ms:g} ms"
    return None if top.meets_slo else "top option says meets_slo false"


def _check(rule: dict[str, Any], rec: Recommendation, requirements: dict[str, Any]) -> str | None:
    ((name, arg),) = rule.items()
    if name == "none_feasible":
        ok = not rec.feasible and bool(rec.why_nothing_fits)
        return None if ok else f"expected nothing to fit, got {len(rec.options)} options"
    if not rec.feasible or not rec.options:
        return f"{name}: nothing fits: {rec.why_nothing_fits}"
    if name == "top_meets_slo":
        return _top_meets_slo(rec, requirements)
    top = rec.options[0]
    checks: dict[str, Callable[[], tuple[bool, object]]] = {
        "top_gpu_family_in": lambda: (top.gpu_family in arg, top.gpu_family),
        "top_gpu_family_not_in": lambda: (top.gpu_family not in arg, top.gpu_family),
        "top_model_in": lambda: (top.model in arg, top.model),
        "top_model_params_b_max": lambda: (top.params_b <= arg, top.params_b),
        "top_model_params_b_min": lambda: (top.params_b >= arg, top.params_b),
        "top_total_gpus_max": lambda: (top.total_gpus <= arg, top.total_gpus),
        "top_monthly_cost_max": lambda: (
            top.monthly_cost_usd is not None and top.monthly_cost_usd <= arg,
            top.monthly_cost_usd,
        ),
    }
    ok, got = checks[name]()
    return None if ok else f"{name} {arg}: got {got}"


@pytest.mark.parametrize("case", _cases())
def test_scenario(case: dict[str, Any], context: RecommendContext, eval_dir: Path) -> None:
    assert (eval_dir / "scenarios.jsonl").exists()
    requirements = requirements_from_mapping(case["requirements"], context.models)
    rec = recommend(requirements, context=context)
    failures = [why for rule in case["must"] if (why := _check(rule, rec, case["requirements"]))]
    assert not failures, failures
    for option in rec.options:
        assert option.evidence, option.model
    assert not violations(rec, requirements, context)


@pytest.mark.parametrize("case", _cases())
def test_scenario_from_text(case: dict[str, Any], context: RecommendContext) -> None:
    from bot.understanding.reader import understand

    requirements = understand(case["text"], models=context.models)
    rec = recommend(requirements, context=context)
    failures = [why for rule in case["must"] if (why := _check(rule, rec, case["requirements"]))]
    assert not failures, (requirements.model_dump(exclude_defaults=True), failures)
    assert not violations(rec, requirements, context)
