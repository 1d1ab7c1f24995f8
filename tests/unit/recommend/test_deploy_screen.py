"""Tests of recommend.deploy_screen through the engine: a deploy check (a fake at our own port)
keeps refused options off the list and says what offered ones need."""

from __future__ import annotations

import dataclasses

from domain.recommendation import DeployScreen, RecommendedOption
from domain.requirements import Requirements, SloTarget
from recommend.context import DeployCheck, RecommendContext
from recommend.engine import recommend

CHAT = Requirements(
    task="chatbot",
    concurrent_users=100,
    gpu_families=["L40S", "A100"],
    slo=[SloTarget(metric="ttft", ms=1000)],
)


def _with(context: RecommendContext, check: DeployCheck) -> RecommendContext:
    return dataclasses.replace(context, deploy_check=check)


def test_a_refused_option_is_excluded_with_the_rule_and_never_offered(
    context: RecommendContext,
) -> None:
    plain = recommend(CHAT, context=context)
    banned = plain.options[0].model
    seen: list[RecommendedOption] = []

    def check(option: RecommendedOption) -> DeployScreen:
        seen.append(option)
        if option.model == banned:
            return DeployScreen(refused="[image-platform] no image", rules=("image-platform",))
        return DeployScreen()

    answer = recommend(CHAT, context=_with(context, check))
    assert answer.options and all(o.model != banned for o in answer.options)
    refused = [e for e in answer.excluded if e.rule == "preflight"]
    assert refused and banned in refused[0].what
    assert "[image-platform] no image" in refused[0].why
    assert all(o.serving_args.tensor_parallel_size == o.tensor_parallel for o in seen)


def test_an_option_offered_with_what_it_needs_says_so_last(
    context: RecommendContext,
) -> None:
    def check(option: RecommendedOption) -> DeployScreen:
        return DeployScreen(needs="a token secret", rules=("gated-model-credentials",))

    answer = recommend(CHAT, context=_with(context, check))
    for option in answer.options:
        assert option.reasons[0].startswith("Rank ")  # what the card leads with stays first
        assert option.reasons[-1] == "Deploying it needs first: a token secret."


def test_when_the_cluster_refuses_everything_nothing_fits_says_why(
    context: RecommendContext,
) -> None:
    def check(option: RecommendedOption) -> DeployScreen:
        return DeployScreen(refused="[kserve-version] too old", rules=("kserve-version",))

    answer = recommend(CHAT, context=_with(context, check))
    assert not answer.feasible and not answer.options
    assert answer.why_nothing_fits is not None
    assert "what the cluster would refuse to start" in answer.why_nothing_fits
    assert "too old" in answer.why_nothing_fits


def test_a_near_miss_is_never_an_option_the_cluster_would_refuse(
    context: RecommendContext,
) -> None:
    broke = CHAT.model_copy(update={"budget_usd_month": 10.0})
    plain = recommend(broke, context=context)
    assert not plain.feasible and plain.closest
    first = plain.closest[0].what.split(" ")[0]  # the model's short name leads the label

    def check(option: RecommendedOption) -> DeployScreen:
        if first in option.model:
            return DeployScreen(refused="[image-platform] no image", rules=("image-platform",))
        return DeployScreen()

    screened = recommend(broke, context=_with(context, check))
    assert screened.closest  # another model is the closest now
    assert all(first not in miss.what for miss in screened.closest)
