"""Dominance between option profiles (cost, GPUs, quality, latencies against their targets)."""

from recommend.shortlist import COMFORT, dominates


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
