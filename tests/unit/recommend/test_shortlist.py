"""Dominance between option profiles (cost, GPUs, quality, latencies against their targets)."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommend.shortlist import COMFORT, Profile, dominates


def test_latencies_under_the_comfort_floor_do_not_make_options_dominate_each_other() -> None:
    # Same cost, GPUs and quality; a is faster on TTFT, b on E2E, both far under their targets.
    a = (8972.0, 1, 68.0, [(44.0, 300.0), (560.0, 1000.0)])
    b = (8972.0, 1, 68.0, [(48.0, 300.0), (537.0, 1000.0)])
    assert not dominates(a, b, COMFORT)
    assert not dominates(b, a, COMFORT)


def test_faster_where_the_target_is_close_still_dominates() -> None:
    a = (8972.0, 1, 68.0, [(250.0, 300.0)])
    b = (8972.0, 1, 68.0, [(290.0, 300.0)])
    assert dominates(a, b, COMFORT)
    assert not dominates(b, a, COMFORT)


def test_cheaper_and_no_slower_dominates() -> None:
    a = (5000.0, 1, 68.0, [(100.0, 300.0)])
    b = (9000.0, 2, 68.0, [(100.0, 300.0)])
    assert dominates(a, b, COMFORT)
    assert not dominates(b, a, COMFORT)


def _profile(cost: float, gpus: int, quality: float, ttft: float, itl: float) -> Profile:
    return (cost, gpus, quality, [(ttft, 1000.0), (itl, 100.0)])


_profiles = st.tuples(
    st.sampled_from([900.0, 1000.0, 1020.0, 2000.0]),
    st.integers(1, 4),
    st.sampled_from([70.0, 70.5, 71.0, 72.0]),
    st.floats(10, 1500),
    st.floats(5, 150),
).map(lambda v: _profile(*v))


@pytest.mark.parametrize("floor", [0.0, COMFORT])
@given(profiles=st.lists(_profiles, min_size=1, max_size=6))
def test_some_option_is_always_undominated(floor: float, profiles: list[Profile]) -> None:
    """Dominance is strict: no two options dominate each other, so the shortlist never empties."""
    for a, b in itertools.permutations(profiles, 2):
        assert not (dominates(a, b, floor) and dominates(b, a, floor))
    assert any(
        not any(dominates(other, item, floor) for other in profiles if other is not item)
        for item in profiles
    )
