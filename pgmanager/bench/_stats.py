"""Latency statistics from the raw sample: pure functions, no database.

Percentiles are exact nearest-rank values (the smallest sample value with at least p% of the sample at
or below it): no interpolation, no histogram error.

The regression gate compares two samples' p95 with a bootstrap confidence interval of their ratio.
Resampling n values with replacement and taking the k-th smallest is the same as taking the k-th
smallest of n uniforms, which is Beta(k, n - k + 1) distributed, through the sample's quantile
function. So each bootstrap replicate of a percentile is one Beta draw and one index into the sorted
sample: exactly the nonparametric bootstrap's distribution, at O(1) per replicate whatever n is.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ._models import Latency

PERCENTILES = (50.0, 95.0, 99.0, 99.9)


def rank(n: int, p: float) -> int:
    """The 1-based nearest rank of percentile ``p`` (0 < p <= 100) in a sample of ``n``, computed exactly."""
    if n <= 0:
        raise ValueError("an empty sample has no percentiles")
    if not 0 < p <= 100:
        raise ValueError(f"percentile {p} is not in (0, 100]")
    scaled = Decimal(str(p)) * n / 100  # Decimal: 95 * 20 / 100 is 19, not 19.000000000000004
    return max(1, min(n, math.ceil(scaled)))


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending sample."""
    return sorted_values[rank(len(sorted_values), p) - 1]


def summarize(values: Sequence[float], *, scale: float = 1.0, digits: int | None = None) -> Latency:
    """Exact percentiles, mean, min and max of a sample; each times ``scale`` (1000: seconds to ms),
    rounded to ``digits`` when given."""
    ordered = sorted(values)

    def v(x: float) -> float:
        return round(x * scale, digits) if digits is not None else x * scale

    p50, p95, p99, p999 = (v(percentile(ordered, p)) for p in PERCENTILES)
    return Latency(count=len(ordered), p50=p50, p95=p95, p99=p99, p999=p999,
                   mean=v(math.fsum(ordered) / len(ordered)), min=v(ordered[0]), max=v(ordered[-1]))


def bootstrap_percentile(sorted_values: Sequence[float], p: float, draws: int, rng: random.Random) -> list[float]:
    """``draws`` bootstrap replicates of the nearest-rank percentile ``p`` of an ascending sample."""
    n = len(sorted_values)
    k = rank(n, p)
    return [sorted_values[min(n, max(1, math.ceil(rng.betavariate(k, n - k + 1) * n))) - 1] for _ in range(draws)]


@dataclass(frozen=True)
class RatioInterval:
    """new / baseline of a percentile: the point estimate and a bootstrap percentile interval."""

    point: float
    low: float
    high: float
    confidence: float


def percentile_ratio(baseline: Sequence[float], new: Sequence[float], *, p: float = 95.0, draws: int = 2000,
                     confidence: float = 0.95, seed: int = 0) -> RatioInterval:
    """The ratio of ``new``'s percentile ``p`` to ``baseline``'s, with a two-sided bootstrap interval."""
    base_sorted, new_sorted = sorted(baseline), sorted(new)
    rng = random.Random(seed)
    base_reps = bootstrap_percentile(base_sorted, p, draws, rng)
    new_reps = bootstrap_percentile(new_sorted, p, draws, rng)
    ratios = sorted(n / b if b > 0 else math.inf for n, b in zip(new_reps, base_reps, strict=True))
    tail = (1 - confidence) / 2
    base_p = percentile(base_sorted, p)
    point = percentile(new_sorted, p) / base_p if base_p > 0 else math.inf
    return RatioInterval(point=point, low=ratios[max(0, math.floor(tail * draws))],
                         high=ratios[min(draws - 1, math.ceil((1 - tail) * draws) - 1)], confidence=confidence)


def regressed(baseline: Sequence[float], new: Sequence[float], threshold: float, *, draws: int = 2000,
              confidence: float = 0.95, seed: int = 0) -> tuple[bool, RatioInterval]:
    """Whether ``new``'s p95 is slower than ``baseline``'s by more than ``threshold`` (0.2: 20%) beyond
    doubt: the whole confidence interval of the ratio lies above 1 + threshold."""
    interval = percentile_ratio(baseline, new, p=95.0, draws=draws, confidence=confidence, seed=seed)
    return interval.low > 1 + threshold, interval


def subsample(values: Sequence[float], cap: int, seed: int) -> list[float]:
    """At most ``cap`` values drawn without replacement (deterministic by ``seed``), in their order."""
    if len(values) <= cap:
        return list(values)
    keep = sorted(random.Random(seed).sample(range(len(values)), cap))
    return [values[i] for i in keep]
