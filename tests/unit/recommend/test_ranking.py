"""Tests of recommend.ranking: priorities, SLO-first ordering and the Pareto front."""

from __future__ import annotations

import pytest

from domain.requirements import Priority
from recommend.ranking import Scorable, describe_weights, pareto_front, rank, scores

CHEAP_SMALL = Scorable(
    monthly_cost_usd=600, slo_use=0.95, quality=65, e2e_ms_p95=9000, meets_slo=True
)
DEAR_BIG = Scorable(monthly_cost_usd=7000, slo_use=0.9, quality=86, e2e_ms_p95=8000, meets_slo=True)
FAST = Scorable(monthly_cost_usd=2400, slo_use=0.5, quality=70, e2e_ms_p95=2000, meets_slo=True)


@pytest.mark.parametrize(
    ("priority", "first"),
    [
        pytest.param(Priority.COST, CHEAP_SMALL, id="cost"),
        pytest.param(Priority.ACCURACY, DEAR_BIG, id="accuracy"),
        pytest.param(Priority.LATENCY, FAST, id="latency"),
    ],
)
def test_priority_decides_the_first(priority: Priority, first: Scorable) -> None:
    items = [CHEAP_SMALL, DEAR_BIG, FAST]
    assert items[rank(items, priority)[0][0]] == first


def test_options_missing_slo_rank_last_whatever_their_score() -> None:
    missing = Scorable(monthly_cost_usd=10, slo_use=1.5, quality=90, e2e_ms_p95=10, meets_slo=False)
    order = [i for i, _ in rank([missing, DEAR_BIG], Priority.BALANCED)]
    assert order == [1, 0]


def test_scores_are_relative_to_the_best_of_each_term() -> None:
    values = scores([CHEAP_SMALL], Priority.BALANCED)
    assert values == [0.0]
    quicker = Scorable(
        monthly_cost_usd=600, slo_use=0.1, quality=65, e2e_ms_p95=900, meets_slo=True
    )
    floored = scores([CHEAP_SMALL, quicker], Priority.LATENCY)
    assert floored[1] == 0.0  # below half the target latency stops counting
    assert "lower is better" in describe_weights(Priority.BALANCED)


def test_pareto_front_drops_dominated_options() -> None:
    dominated = Scorable(
        monthly_cost_usd=8000, slo_use=0.9, quality=60, e2e_ms_p95=9500, meets_slo=True
    )
    assert pareto_front([CHEAP_SMALL, DEAR_BIG, FAST, dominated]) == [0, 1, 2]
