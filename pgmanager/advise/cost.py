"""What-if costing: the planner's estimated cost of every statement under a set of indexes.

A statement's cost is the mean ``Total Cost`` of its EXPLAIN (FORMAT JSON) over its sampled parameter
values; a statement without values is planned generically (``plan_cache_mode = force_generic_plan``
and PREPARE, prepared again for every plan since hypothetical indexes invalidate no cached plan).
Only the indexes on a statement's own tables change its plan, so its cost is cached per that subset.

Writes are charged: an INSERT adds a new entry to every new index; an UPDATE that changes a column
of a new index is no longer HOT, so every index of the table, old and new, gets a new entry. An entry
costs ``random_page_cost + cpu_index_tuple_cost`` per row the statement writes (the planner's row
estimate), in the planner's units, so reads and writes add up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg
from psycopg import sql

from ..db import error_line
from ..errors import ConfigError
from .candidates import Candidate
from .whatif import Made, WhatIf
from .workload import Statement

Config = frozenset[Candidate]


@dataclass(frozen=True)
class Plan:
    cost: float
    indexes: frozenset[str]
    """Names of the existing indexes the plans use."""
    rows: float
    """Rows written (the modifying node's input estimate); 0 for a query."""
    root: dict[str, Any] = field(hash=False, compare=False, default_factory=dict)
    uses: frozenset[Candidate] = frozenset()
    """The candidate indexes the plans use (their names change whenever they are made again)."""


def plan_indexes(node: dict[str, Any]) -> set[str]:
    out = {str(node["Index Name"])} if node.get("Index Name") else set()
    for child in node.get("Plans", ()):
        out |= plan_indexes(child)
    return out


def _rows_written(node: dict[str, Any]) -> float:
    if node.get("Node Type") == "ModifyTable":
        children = node.get("Plans", ())
        return float(children[0].get("Plan Rows", 0)) if children else float(node.get("Plan Rows", 0))
    return max((_rows_written(c) for c in node.get("Plans", ())), default=0.0)


def explain(conn: psycopg.Connection, stmt: Statement) -> Plan:
    """The statement's mean cost over its parameter samples (never executed)."""
    plans = []
    try:
        if stmt.mode == "sampled":
            for params in stmt.samples:
                row = conn.execute(sql.SQL("explain (format json) ") + sql.SQL(stmt.query.sql), params).fetchone()
                plans.append(_doc(row))
        elif stmt.mode == "generic":
            text, count = stmt.positional_sql()
            conn.execute("set plan_cache_mode = force_generic_plan")
            conn.execute(sql.SQL("prepare pgm_advise as ") + sql.SQL(text))
            try:
                args = sql.SQL("({})").format(sql.SQL(", ").join([sql.NULL] * count)) if count else sql.SQL("")
                plans.append(_doc(conn.execute(sql.SQL("explain (format json) execute pgm_advise") + args).fetchone()))
            finally:
                conn.execute("deallocate pgm_advise")
                conn.execute("reset plan_cache_mode")
        else:
            plans.append(_doc(conn.execute(sql.SQL("explain (format json) ") + sql.SQL(stmt.query.sql)).fetchone()))
    except psycopg.Error as exc:
        raise ConfigError(f"query {stmt.name} cannot be planned: {error_line(exc)}", where=stmt.where) from None
    roots = [p["Plan"] for p in plans]
    return Plan(cost=sum(float(r["Total Cost"]) for r in roots) / len(roots),
                indexes=frozenset().union(*(plan_indexes(r) for r in roots)),
                rows=sum(_rows_written(r) for r in roots) / len(roots), root=roots[0])


def _doc(row: Any) -> dict[str, Any]:
    assert row is not None
    data = row[0]
    return dict((json.loads(data) if isinstance(data, str) else data)[0])


@dataclass
class TableIndexes:
    """What the table's existing indexes mean for writes."""

    count: int
    columns: set[str]
    """Columns in some existing index: updating one is never HOT already."""


class Evaluator:
    """Costs of the workload under a configuration of candidate indexes, cached."""

    def __init__(self, conn: psycopg.Connection, whatif: WhatIf, statements: list[Statement],
                 existing: dict[str, TableIndexes]) -> None:
        self.conn = conn
        self.whatif = whatif
        self.statements = statements
        self.existing = existing
        self.made: dict[Candidate, Made] = {}
        self.sizes: dict[Candidate, int] = {}
        self._cache: dict[tuple[int, Config], Plan] = {}
        self.explains = 0
        row = conn.execute("select current_setting('random_page_cost')::float8 + "
                           "current_setting('cpu_index_tuple_cost')::float8").fetchone()
        self.entry_cost = float(row[0]) if row else 4.005
        self.baseline = self.plans(frozenset())

    def size(self, cand: Candidate) -> int:
        if cand not in self.sizes:
            self._sync(frozenset(self.made) | {cand})
        return self.sizes[cand]

    def _sync(self, config: Iterable[Candidate]) -> None:
        wanted = set(config)
        for cand in [c for c in self.made if c not in wanted]:
            self.whatif.remove(self.made.pop(cand))
        for cand in wanted:
            if cand not in self.made:
                self.made[cand] = made = self.whatif.add(cand)
                self.sizes[cand] = made.size_bytes

    def realize(self, config: Config) -> None:
        """Make exactly ``config`` exist (for a Real what-if: the indexes built, so that queries can be timed)."""
        self._sync(config)

    def plans(self, config: Config) -> list[Plan]:
        out = []
        synced = False
        for i, stmt in enumerate(self.statements):
            key = (i, frozenset(c for c in config if c.table in stmt.tables))
            found = self._cache.get(key)
            if found is None:
                if not synced:
                    self._sync(config)
                    synced = True
                found = explain(self.conn, stmt)
                names = {m.name: c for c, m in self.made.items()}
                found = self._cache[key] = replace(
                    found, indexes=frozenset(i for i in found.indexes if i not in names),
                    uses=frozenset(names[i] for i in found.indexes if i in names))
                self.explains += 1
            out.append(found)
        return out

    def used(self, config: Config) -> dict[Candidate, list[str]]:
        """For each index of ``config``, the statements whose plans use it."""
        out: dict[Candidate, list[str]] = {c: [] for c in config}
        for stmt, plan in zip(self.statements, self.plans(config), strict=True):
            for cand in plan.uses:
                out[cand].append(stmt.name)
        return out

    def write_cost(self, config: Config, stmt: Statement, plan: Plan) -> float:
        table = stmt.target
        if table is None or stmt.kind not in ("insert", "update"):
            return 0.0
        new = [c for c in config if c.table == table]
        if not new:
            return 0.0
        if stmt.kind == "insert":
            return stmt.weight * plan.rows * self.entry_cost * len(new)
        updated = stmt.updated_columns
        if "*" in updated or not any(updated & c.touched for c in new):
            return 0.0
        old = self.existing.get(table, TableIndexes(0, set()))
        if updated & old.columns:  # not HOT already: only the new indexes' entries are extra
            return stmt.weight * plan.rows * self.entry_cost * len(new)
        return stmt.weight * plan.rows * self.entry_cost * (old.count + len(new))

    def objective(self, config: Config) -> float:
        """Weighted estimated cost of the workload, writes' index maintenance included."""
        total = 0.0
        for stmt, plan in zip(self.statements, self.plans(config), strict=True):
            total += stmt.weight * plan.cost + self.write_cost(config, stmt, plan)
        return total

    def bytes(self, config: Config) -> int:
        return sum(self.size(c) for c in config)

    def close(self) -> None:
        self._sync(())
