"""The HTML report's histogram arithmetic: pure functions, no database (the page itself is checked on a
real run in test_cli.py)."""

from __future__ import annotations

import itertools
import math

from pgmanager.bench._html import log_bins, shares, ticks


def test_log_bins_are_evenly_spaced_in_log_scale_and_cover_the_range() -> None:
    edges = log_bins(0.1, 100.0, 30)
    assert len(edges) == 31 and math.isclose(edges[0], 0.1) and math.isclose(edges[-1], 100.0)
    steps = {round(math.log(b) - math.log(a), 9) for a, b in itertools.pairwise(edges)}
    assert len(steps) == 1
    assert log_bins(2.0, 2.0, 4)[0] < 2.0 < log_bins(2.0, 2.0, 4)[-1]  # one value: a range around it


def test_shares_count_each_value_once_in_its_bin() -> None:
    edges = log_bins(1.0, 1000.0, 3)  # bins [1, 10), [10, 100), [100, 1000]
    got = shares([1.0, 2.0, 9.9, 10.5, 500.0, 1000.0], edges)
    assert got == [3 / 6, 1 / 6, 2 / 6]
    assert shares([], edges) == [0.0, 0.0, 0.0]


def test_ticks_are_round_values_inside_the_range() -> None:
    assert ticks(0.03, 3.0) == [0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
    many = ticks(0.001, 10_000.0)
    assert len(many) <= 8 and all(0.001 <= t <= 10_000 for t in many)
