"""Choosing indexes for the whole workload under a storage budget.

Greedy, by weighted cost reduction per byte: each round tries every remaining candidate, and every
chosen index extended by one more column (Extend, Kossmann et al., VLDB 2020), and takes the best
ratio that fits the budget, reduces the workload's objective (reads plus writes' index maintenance)
and makes some statement at least ``MIN_GAIN`` cheaper. Under a budget the greedy also runs by cost
reduction alone (the better of the two is kept), then one swap pass leaves each chosen index out and
refills the budget. Afterwards an index that another chosen index covers is dropped when that costs
the workload nothing measurable, and so is an index the planner uses in no statement's plan: nothing
unused is ever recommended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations

from .candidates import Candidate, Key, extensions
from .cost import Config, Evaluator

MIN_GAIN = 0.10
"""A new or extended index must make some statement this much cheaper (relative to the current choice)."""
NEGLIGIBLE = 0.01
"""Dropping a covered index is free when the objective grows by less than this fraction."""


@dataclass
class Choice:
    config: Config
    objective: float
    rounds: list[str] = field(default_factory=list)
    """What each round did, for the report."""


def _gains(ev: Evaluator, before: Config, after: Config) -> float:
    """The largest relative cost reduction of a single statement from ``before`` to ``after``."""
    best = 0.0
    for a, b in zip(ev.plans(before), ev.plans(after), strict=True):
        if a.cost > 0:
            best = max(best, (a.cost - b.cost) / a.cost)
    return best


def column_pool(candidates: Iterable[Candidate]) -> dict[str, list[Key]]:
    """Per table, every key column the candidates use (first direction seen): what Extend may add."""
    out: dict[str, dict[str, Key]] = {}
    for c in candidates:
        for k in c.keys:
            out.setdefault(c.table, {}).setdefault(k.column, k)
    return {t: list(keys.values()) for t, keys in out.items()}


def greedy(ev: Evaluator, candidates: list[Candidate], budget_bytes: int | None,
           on_round: Callable[[int], None] | None = None) -> Choice:
    """The greedy choice by benefit per byte; under a budget also the greedy choice by benefit alone, and the
    better of the two (per byte alone can fill a budget with small indexes and leave no room for the one
    that matters most: the knapsack's classic trap)."""
    best = _greedy(ev, candidates, budget_bytes, on_round, per_byte=True)
    if budget_bytes is None:
        return best
    other = _greedy(ev, candidates, budget_bytes, on_round, per_byte=False)
    if other.objective < best.objective:
        best = Choice(other.config, other.objective, [*other.rounds, "(greedy by benefit, not per byte: better "
                                                                     "within the budget)"])
    return _swap(ev, candidates, budget_bytes, best, on_round)


def _swap(ev: Evaluator, candidates: list[Candidate], budget_bytes: int, best: Choice,
          on_round: Callable[[int], None] | None) -> Choice:
    """Under a budget, one pass of: each chosen index left out, the budget it frees filled greedily again
    (without it); kept when the workload gets cheaper. This finds, say, two small indexes that do better
    than one wide one the greedy took first."""
    for out in sorted(best.config):
        start = best.config - {out}
        refill = _greedy(ev, [c for c in candidates if c != out], budget_bytes, on_round, per_byte=True,
                         start=start, banned=frozenset({out}))
        if refill.objective < best.objective * (1 - NEGLIGIBLE / 10):
            best = Choice(refill.config, refill.objective,
                          [*best.rounds, f"swap {out.describe()} out: {', '.join(refill.rounds) or 'nothing'}"])
    return best


def _greedy(ev: Evaluator, candidates: list[Candidate], budget_bytes: int | None,
            on_round: Callable[[int], None] | None, *, per_byte: bool, start: Config = frozenset(),
            banned: Config = frozenset()) -> Choice:
    chosen: Config = start
    current = ev.objective(chosen)
    pool = column_pool(candidates)
    rounds: list[str] = []
    while True:
        options: list[tuple[Candidate, Candidate | None]] = [(c, None) for c in candidates if c not in chosen]
        for old in chosen:
            options.extend((ext, old) for ext in extensions(old, pool.get(old.table, []))
                           if ext not in chosen and ext not in banned)
        best: tuple[float, Config, str] | None = None
        for cand, replaced in options:
            config = (chosen - {replaced}) | {cand} if replaced is not None else chosen | {cand}
            added = ev.size(cand) - (ev.size(replaced) if replaced is not None else 0)
            if budget_bytes is not None and ev.bytes(config) > budget_bytes:
                continue
            value = ev.objective(config)
            benefit = current - value
            if benefit <= 0 or _gains(ev, chosen, config) < MIN_GAIN:
                continue
            ratio = benefit / max(added, 8192) if per_byte else benefit
            if best is None or ratio > best[0]:
                what = f"extend {replaced.describe()} to {cand.describe()}" if replaced else f"add {cand.describe()}"
                best = (ratio, frozenset(config), f"{what}: cost {current:,.0f} -> {value:,.0f}")
        if best is None:
            break
        chosen = best[1]
        current = ev.objective(chosen)
        rounds.append(best[2])
        if on_round is not None:
            on_round(len(rounds))
    chosen = prune(ev, chosen)
    return Choice(chosen, ev.objective(chosen), rounds)


def prune(ev: Evaluator, config: Config) -> Config:
    """Drop indexes covered by another chosen one (when free) and indexes no plan uses, until stable."""
    while True:
        used = ev.used(config)
        unused = [c for c, names in used.items() if not names]
        if unused:
            config = config - {unused[0]}
            continue
        value = ev.objective(config)
        for c in sorted(config):
            if any(o != c and o.covers(c) for o in config):
                smaller = config - {c}
                if ev.objective(smaller) <= value * (1 + NEGLIGIBLE):
                    config = smaller
                    break
        else:
            return config


def exhaustive(ev: Evaluator, candidates: list[Candidate], budget_bytes: int | None) -> Choice:
    """The best subset of ``candidates`` within the budget, by trying them all (small cases only)."""
    best = Choice(frozenset(), ev.objective(frozenset()))
    for size in range(1, len(candidates) + 1):
        for subset in combinations(candidates, size):
            config = frozenset(subset)
            if budget_bytes is not None and ev.bytes(config) > budget_bytes:
                continue
            value = ev.objective(config)
            if value < best.objective:
                best = Choice(config, value)
    return best


def not_covered(candidates: list[Candidate], existing: list[Candidate]) -> tuple[list[Candidate], list[Candidate]]:
    """The candidates no existing index covers or duplicates (the same keys and predicate: widen that one
    instead), and those dropped."""
    keep: list[Candidate] = []
    dropped: list[Candidate] = []
    for c in candidates:
        same = any(e.table == c.table and e.keys == c.keys and e.where == c.where for e in existing)
        (dropped if same or any(e.covers(c) for e in existing) else keep).append(c)
    return keep, dropped
