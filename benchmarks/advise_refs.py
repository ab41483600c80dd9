"""The three reference strategies of benchmarks/advise.py, built to their published rules on advise's what-if
costing (hypopg through ``pgmanager.advise.cost.Evaluator``), with the same statements, samples and
existing-index filter as pgmanager, so that only the rule differs:

- ``index_advisor`` (Supabase): per query, a single-column btree on every column the query filters,
  joins or sorts on, all at once; the ones its plan uses are recommended when the query got cheaper.
  One query at a time, no budget, writes not charged.
- ``dexter``: per query, every single-column index at once, then every 2-column index (both orders) as
  well; the 2-column plan wins when it costs under half the single-column one; the index its plan
  uses (one per query: the cheapest alone) is kept when it saves at least 50% (``min_cost_savings_pct``).
- ``dta`` (postgres-mcp's DTA-style greedy): every column set of up to 3 of a query's columns on one
  table, each in one random (seeded) order; rounds add the index that lowers the workload's read
  cost most, until a round improves it by less than 10% (``min_time_improvement``). Writes not charged.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from itertools import combinations, permutations

import psycopg

from pgmanager.advise import Candidate, Evaluator, Hypo, Key, Statement
from pgmanager.advise.cost import Config, TableIndexes
from pgmanager.advise.select import not_covered

Facts = dict[str, TableIndexes]
Strategy = Callable[[psycopg.Connection, list[Statement], list[Candidate], Facts, int], Config]
DEXTER_SAVING = 0.5
DTA_MIN_IMPROVEMENT = 0.1
DTA_WIDTH = 3


def columns_of(stmt: Statement) -> dict[str, list[str]]:
    """Per table, the columns the statement filters, joins, sorts or groups on (its views included): what
    pgmanager's own candidates are made of, without their order, directions, predicates or INCLUDE."""
    out: dict[str, dict[str, None]] = {}
    for cand in stmt.candidates:
        for column in (*cand.columns, *(c.column for c in cand.where)):
            out.setdefault(cand.table, {})[column] = None
    return {table: list(cols) for table, cols in out.items()}


def _singles(stmt: Statement, existing: list[Candidate], origin: str) -> list[Candidate]:
    made = [Candidate(t, (Key(c),), origin=origin) for t, cols in columns_of(stmt).items() for c in cols]
    return not_covered(made, existing)[0]


def index_advisor(conn: psycopg.Connection, stmts: list[Statement], existing: list[Candidate], facts: Facts,
                  seed: int) -> Config:
    chosen: set[Candidate] = set()
    for stmt in stmts:
        singles = _singles(stmt, existing, "index_advisor")
        if not singles:
            continue
        ev = Evaluator(conn, Hypo(conn), [stmt], facts)
        plan = ev.plans(frozenset(singles))[0]
        if plan.cost < ev.baseline[0].cost:
            chosen |= plan.uses
        ev.close()
    return frozenset(chosen)


def _one_index(ev: Evaluator, used: frozenset[Candidate]) -> tuple[Candidate | None, float]:
    """Of the indexes a plan used, the one that alone makes the query cheapest (Dexter keeps one per query)."""
    best: tuple[Candidate | None, float] = (None, ev.baseline[0].cost)
    for cand in sorted(used):
        cost = ev.plans(frozenset({cand}))[0].cost
        if cost < best[1]:
            best = (cand, cost)
    return best


def dexter(conn: psycopg.Connection, stmts: list[Statement], existing: list[Candidate], facts: Facts,
           seed: int) -> Config:
    chosen: set[Candidate] = set()
    keep = 1 - DEXTER_SAVING
    for stmt in stmts:
        singles = _singles(stmt, existing, "dexter")
        pairs = [Candidate(t, (Key(a), Key(b)), origin="dexter") for t, cols in columns_of(stmt).items()
                 for a, b in permutations(cols, 2)]
        pairs = not_covered(pairs, existing)[0]
        if not singles:
            continue
        ev = Evaluator(conn, Hypo(conn), [stmt], facts)
        start = ev.baseline[0].cost
        two = ev.plans(frozenset(singles))[0]
        three = ev.plans(frozenset(singles) | frozenset(pairs))[0] if pairs else two
        plan = three if three.cost < two.cost * keep else two
        cand, cost = _one_index(ev, plan.uses)
        if cand is not None and cost <= start * keep:
            chosen.add(cand)
        ev.close()
    return frozenset(chosen)


def dta(conn: psycopg.Connection, stmts: list[Statement], existing: list[Candidate], facts: Facts,
        seed: int) -> Config:
    rng = random.Random(f"{seed}:dta")
    pool: dict[tuple[str, frozenset[str]], Candidate] = {}
    for stmt in stmts:
        for table, cols in columns_of(stmt).items():
            for size in range(1, min(DTA_WIDTH, len(cols)) + 1):
                for combo in combinations(cols, size):
                    key = (table, frozenset(combo))
                    if key not in pool:
                        order = list(combo)
                        rng.shuffle(order)
                        pool[key] = Candidate(table, tuple(Key(c) for c in order), origin="dta")
    cands = not_covered(list(pool.values()), existing)[0]
    ev = Evaluator(conn, Hypo(conn), stmts, facts)

    def reads(config: Config) -> float:
        return sum(s.weight * p.cost for s, p in zip(stmts, ev.plans(config), strict=True))

    chosen: Config = frozenset()
    current = reads(chosen)
    while current > 0:
        best: tuple[float, Candidate] | None = None
        for cand in cands:
            if cand not in chosen:
                value = reads(chosen | {cand})
                if best is None or value < best[0]:
                    best = (value, cand)
        if best is None or (current - best[0]) / current < DTA_MIN_IMPROVEMENT:
            break
        chosen, current = chosen | {best[1]}, best[0]
    ev.close()
    return chosen


REFERENCES: dict[str, Strategy] = {"index_advisor rule": index_advisor, "Dexter rule": dexter,
                                   "DTA greedy (postgres-mcp)": dta}
