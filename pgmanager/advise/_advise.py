"""Advise on one database: candidates, what-if costing, selection, existing indexes; models for the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from ..bench import Query
from ..catalog import read_catalog
from ..models import ExistingIndexFinding, QueryAdvice, Recommendation
from .candidates import Candidate
from .cost import Evaluator
from .existing import Existing, findings, read_indexes, write_facts
from .select import Choice, greedy, not_covered
from .whatif import WhatIf, index_name, index_sql
from .workload import Statement, prepare

ProgressFn = Callable[[str, int, int], None]


@dataclass
class Advice:
    statements: list[Statement]
    evaluator: Evaluator
    choice: Choice
    candidates: list[Candidate]
    covered: list[Candidate]
    existing: list[Existing]
    names: dict[str, Candidate] = field(default_factory=dict)
    """The recommended indexes by the name they get in a migration."""

    @property
    def cost_before(self) -> float:
        return self.evaluator.objective(frozenset())

    @property
    def cost_after(self) -> float:
        return self.choice.objective


def schemas_of(statements: list[Statement]) -> list[str]:
    return sorted({t.split(".", 1)[0] for s in statements for t in s.tables}) or ["public"]


def advise_database(conn: psycopg.Connection, queries: list[Query], whatif: WhatIf, *, budget_bytes: int | None,
                    samples: int, seed: int, generic: bool, on_progress: ProgressFn | None = None,
                    weights: dict[str, float] | None = None) -> Advice:
    """Everything up to the choice, on ``conn`` (hypothetical indexes, or real ones where ``whatif`` is Real);
    ``weights``: per query name, how much it counts (default 1)."""
    catalog = read_catalog(conn)
    if on_progress:
        on_progress("reading the workload", 0, 3)
    statements = prepare(conn, queries, catalog, samples=samples, seed=seed, generic=generic)
    for stmt in statements:
        stmt.weight = (weights or {}).get(stmt.name, 1.0)
    existing = read_indexes(conn, schemas_of(statements))
    forms = [f for f in (ix.as_candidate() for ix in existing) if f is not None]
    every = list(dict.fromkeys(c for s in statements for c in s.candidates))
    keep, covered = not_covered(every, forms)
    if on_progress:
        on_progress(f"costing {len(keep)} candidates", 1, 3)
    ev = Evaluator(conn, whatif, statements, write_facts(existing))

    def on_round(n: int) -> None:
        if on_progress:
            on_progress(f"selection round {n}", 2, 3)

    choice = greedy(ev, keep, budget_bytes, on_round)
    names: dict[str, Candidate] = {}
    for cand in sorted(choice.config):
        name = index_name(cand)
        while name in names or any(ix.name == name for ix in existing):
            name = name[:60] + f"_{len(names)}"
        names[name] = cand
    return Advice(statements, ev, choice, keep, covered, existing, names)


def recommendations(advice: Advice, conn: psycopg.Connection) -> list[Recommendation]:
    ev = advice.evaluator
    config = advice.choice.config
    used = ev.used(config)
    plans = ev.plans(config)
    out = []
    for name, cand in advice.names.items():
        writes = sum(ev.write_cost(frozenset({cand}), s, p) for s, p in zip(advice.statements, plans, strict=True))
        out.append(Recommendation(
            name=name, table=cand.table,
            definition=index_sql(cand, name, concurrently=True, if_not_exists=True).as_string(conn),
            columns=[k.text() for k in cand.keys], include=list(cand.include),
            where=" and ".join(c.text() for c in cand.where) or None, origin=cand.origin,
            estimated_bytes=ev.size(cand), used_by=used.get(cand, []),
            write_cost=round(writes, 2)))
    return out


def query_advice(advice: Advice) -> list[QueryAdvice]:
    ev = advice.evaluator
    config = advice.choice.config
    to_final = {c: n for n, c in advice.names.items()}
    before, after = ev.baseline, ev.plans(config)
    out = []
    for stmt, b, a in zip(advice.statements, before, after, strict=True):
        out.append(QueryAdvice(
            name=stmt.name, file=stmt.query.file, kind=stmt.kind, params=stmt.mode, cost_before=round(b.cost, 2),
            cost_after=round(a.cost, 2), indexes_before=sorted(b.indexes),
            indexes_after=sorted([*a.indexes, *(to_final.get(c, c.describe()) for c in a.uses)]),
            candidates=len(stmt.candidates)))
    return out


def existing_findings(advice: Advice) -> list[ExistingIndexFinding]:
    used: set[str] = set()
    for plan in (*advice.evaluator.baseline, *advice.evaluator.plans(advice.choice.config)):
        used |= plan.indexes
    tables = {t for s in advice.statements for t in s.tables}
    return [ExistingIndexFinding(name=ix.name, table=ix.table, kind=kind, detail=detail, definition=ix.definition,
                                 size_bytes=ix.size_bytes)
            for ix, kind, detail in findings(advice.existing, used, tables)]


def summary(advice: Advice) -> dict[str, Any]:
    before, after = advice.cost_before, advice.cost_after
    return {"statements": len(advice.statements), "candidates": len(advice.candidates),
            "candidates_covered": len(advice.covered), "explains": advice.evaluator.explains,
            "cost_before": round(before, 2), "cost_after": round(after, 2),
            "relative_cost": round(after / before, 4) if before > 0 else 1.0,
            "storage_bytes": sum(advice.evaluator.size(c) for c in advice.choice.config),
            "rounds": advice.choice.rounds}
