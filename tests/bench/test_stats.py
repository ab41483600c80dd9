"""Percentiles and the bootstrap gate: pure functions on simulated samples, no database, no clock."""

from __future__ import annotations

import math
import random
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from pgmanager.bench._stats import (
    PERCENTILES,
    bootstrap_percentile,
    percentile,
    percentile_ratio,
    regressed,
    subsample,
    summarize,
)


def nearest_rank(values: list[float], p: float) -> float:
    """The textbook definition, in exact arithmetic: the value at rank ceil(p/100 * n) of the sorted list."""
    ordered = sorted(values)
    k = math.ceil(Fraction(str(p)) * len(ordered) / 100)
    return ordered[max(k, 1) - 1]


@settings(deadline=None, database=None)  # no timing threshold in a test, no example database in the checkout
@given(st.lists(st.floats(min_value=0.001, max_value=1e6, allow_nan=False), min_size=1, max_size=400))
def test_percentiles_are_the_exact_nearest_rank_values(values: list[float]) -> None:
    s = summarize(values)
    assert (s.p50, s.p95, s.p99, s.p999) == tuple(nearest_rank(values, p) for p in PERCENTILES)
    assert s.count == len(values) and s.min == min(values) and s.max == max(values)
    assert math.isclose(s.mean, math.fsum(values) / len(values))


def test_percentiles_of_known_samples() -> None:
    hundred = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    s = summarize(hundred)
    assert (s.p50, s.p95, s.p99, s.p999) == (50.0, 95.0, 99.0, 100.0)
    twenty = [float(v) for v in range(1, 21)]
    assert percentile(twenty, 95) == 19.0  # rank 19 exactly: no floating-point ceil to 20
    assert summarize([7.0]).p999 == 7.0


def test_the_beta_shortcut_is_the_resampling_bootstrap() -> None:
    """Replicates drawn as one Beta draw each have the distribution of resample-and-take-the-p95."""
    rng = random.Random(3)
    sample = sorted(rng.lognormvariate(0, 0.5) for _ in range(60))
    fast = sorted(bootstrap_percentile(sample, 95, 4000, random.Random(1)))
    naive_rng = random.Random(2)
    naive = sorted(percentile(sorted(naive_rng.choices(sample, k=len(sample))), 95) for _ in range(4000))
    for q in (5, 25, 50, 75, 95):
        a, b = percentile(fast, q), percentile(naive, q)
        # both take values of the sample: compare their ranks in it, within 1 position
        assert abs(sample.index(a) - sample.index(b)) <= 1, (q, a, b)


def latencies(rng: random.Random, n: int, slow: float = 1.0) -> list[float]:
    """Latency-like: lognormal, right-skewed."""
    return [slow * rng.lognormvariate(-1.0, 0.35) for _ in range(n)]


def test_the_gate_passes_a_a_and_fails_a_2x_slowdown() -> None:
    base = latencies(random.Random(10), 200)
    same, _ = regressed(base, list(base), 0.2)
    assert not same
    slowed = [2 * v for v in base]
    fail, interval = regressed(base, slowed, 0.2)
    assert fail and interval.point == 2.0 and interval.low > 1.2
    # a small sample cannot prove a 25% slowdown beyond 20%: the interval is too wide
    few = base[:20]
    fail_few, interval_few = regressed(few, [1.25 * v for v in few], 0.2)
    assert not fail_few and interval_few.low < 1.2 < interval_few.high


def test_twenty_a_a_pairs_raise_no_false_alarm_and_twenty_slowdowns_are_caught() -> None:
    rng = random.Random(42)
    alarms = sum(regressed(latencies(rng, 300), latencies(rng, 300), 0.2, seed=i)[0] for i in range(20))
    caught = sum(regressed(latencies(rng, 300), latencies(rng, 300, slow=2.0), 0.2, seed=i)[0] for i in range(20))
    assert alarms == 0
    assert caught == 20


def test_the_interval_is_deterministic_by_seed_and_ordered() -> None:
    a, b = latencies(random.Random(1), 100), latencies(random.Random(2), 100)
    first, again = percentile_ratio(a, b, seed=5), percentile_ratio(a, b, seed=5)
    assert first == again and first.low <= first.point <= first.high


def test_subsample_keeps_order_and_caps() -> None:
    values = [float(v) for v in range(1000)]
    kept = subsample(values, 100, seed=1)
    assert len(kept) == 100 and kept == sorted(kept) and kept == subsample(values, 100, seed=1)
    assert subsample(values[:10], 100, seed=1) == values[:10]
