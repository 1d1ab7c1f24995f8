"""What each number of a prepared sentence is."""

from __future__ import annotations

import pytest

from bot.understanding.number_roles import role_of
from bot.understanding.quantities import find_numbers


def _roles(sentence: str) -> list[tuple[str, float]]:
    roles, region_start = [], 0
    for number in find_numbers(sentence):
        role = role_of(sentence, number, region_start)
        if role is not None and role.kind:
            roles.append((role.kind, round(role.value, 3)))
        region_start = number.end
    return roles


@pytest.mark.parametrize(
    ("sentence", "roles"),
    [
        pytest.param("budget $5/hour tops", [("budget", 3650.0)], id="hourly-budget"),
        pytest.param("we spent $50k on an api last quarter", [], id="past-spend"),
        pytest.param("ttft under 1.5 s", [("latency", 1500.0)], id="seconds"),
        pytest.param("at 25 tokens per second per user", [("itl_rate", 40.0)], id="itl-rate"),
        pytest.param("a cluster doing 5000 tokens/s", [], id="throughput-is-no-itl"),
        pytest.param(
            "~1,000-token prompts, ~30-token completions",
            [("input", 1000.0), ("output", 30.0)],
            id="hyphen-tokens",
        ),
        pytest.param("context up to 16k", [("context", 16384.0)], id="context"),
        pytest.param("900 requests per minute", [("rps", 15.0)], id="per-minute"),
        pytest.param("30k documents a night", [("rpd", 30000.0)], id="a-night"),
        pytest.param("for 250 developers", [("users", 250.0)], id="population"),
        pytest.param("60 concurrent requests", [("concurrent", 60.0)], id="concurrent"),
        pytest.param("rarely more than 5 at the same time", [("concurrent", 5.0)], id="same-time"),
        pytest.param("a team of 12 engineers", [], id="team-of"),
        pytest.param("max 8 gpu gpus", [("gpus", 8.0)], id="gpus"),
        pytest.param("gpu only, 4 at most", [("gpus", 4.0)], id="bare-gpus"),
        pytest.param("1 gpu (24 gb)", [("gpus", 1.0)], id="memory-ignored"),
        pytest.param("nothing under 70b parameters", [("min_params", 70.0)], id="nothing-under"),
        pytest.param("models up to 13b", [("max_params", 13.0)], id="up-to"),
        pytest.param("100 pages in 6 languages", [], id="not-converted"),
    ],
)
def test_role_of(sentence: str, roles: list[tuple[str, float]]) -> None:
    assert _roles(sentence) == roles
