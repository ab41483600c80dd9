"""Leak fuzzing: random worlds of rows, and for each user the rows RLS returns against the spec's oracle.

The spec declares the world (tables in insert order, a generator per column) and, per table, the
visibility oracle: an SQL predicate over ``t`` (the row) and ``viewer`` (``id``, ``role``), evaluated
by the connecting role, which bypasses RLS. Hypothesis draws worlds as small integers (how many users and
rows, which user or row a column points at), so a failure shrinks to a minimal world, printed as SQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from hypothesis import HealthCheck, Phase, Verbosity, given, reject, settings
from hypothesis import strategies as st
from psycopg import sql

from ..models import FuzzResult
from ._catalog import Relation, relation
from ._identity import Identity, RlsBypassError, act_as
from ._matrix import _key_expr, viewer_relation
from ._spec_model import Oracle, World

_NS = uuid.UUID("5b0c6f1e-52a7-4c41-9d0f-2f6a3c1e9a10")


@dataclass
class WorldData:
    """A drawn world: how many users, and per table its rows (column -> value) in insert order."""

    users: int
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def user_id(self, i: int) -> str:
        return str(uuid.uuid5(_NS, f"user-{i}"))

    def viewers(self) -> list[Identity]:
        return [Identity(name="anon", role="anon"),
                *(Identity(name=f"user{i}", role="authenticated", user_id=self.user_id(i)) for i in range(self.users))]


class Leak(AssertionError):
    """RLS and the oracle disagree for one viewer on one table."""

    def __init__(self, table: str, viewer: Identity, extra: set[str], missing: set[str], world: WorldData) -> None:
        self.table, self.viewer, self.extra, self.missing, self.world = table, viewer, extra, missing, world
        parts = []
        if extra:
            parts.append(f"RLS shows {len(extra)} row(s) the oracle forbids, e.g. {sorted(extra)[0]}")
        if missing:
            parts.append(f"RLS hides {len(missing)} row(s) the oracle allows, e.g. {sorted(missing)[0]}")
        super().__init__(f"{table} as {viewer.name} ({viewer.user_id or 'no user'}): " + "; ".join(parts))


def worlds(world: World) -> st.SearchStrategy[WorldData]:
    """The hypothesis strategy of a spec's world."""

    @st.composite
    def draw_world(draw: Callable[[st.SearchStrategy[Any]], Any]) -> WorldData:
        data = WorldData(users=draw(st.integers(1, world.users)))
        for wt in world.tables:
            # a list per table: hypothesis shrinks lists by deleting elements, so worlds shrink row by row
            columns: dict[str, st.SearchStrategy[Any]] = {}
            for col, gen in wt.columns.items():
                strategy: st.SearchStrategy[Any]
                if gen.kind == "user":
                    strategy = st.integers(0, data.users - 1).map(data.user_id)
                elif gen.kind == "uuid":
                    strategy = st.just(None)  # filled below from the table and row number
                elif gen.kind == "choice":
                    strategy = st.sampled_from(gen.values)
                else:  # ref: a row of an earlier table
                    assert gen.ref is not None
                    ref_table, _, ref_col = gen.ref.rpartition(".")
                    values = [r[ref_col] for r in data.rows.get(ref_table, []) if r.get(ref_col) is not None]
                    strategy = st.sampled_from(values) if values else st.nothing()
                columns[col] = st.one_of(st.none(), strategy) if gen.nullable else strategy
            rows_strategy = st.fixed_dictionaries(columns)
            if wt.per_user:
                rows = [draw(rows_strategy) for _ in range(data.users)]
                for i, row in enumerate(rows):
                    row.update({c: data.user_id(i) for c, g in wt.columns.items() if g.kind == "user"})
            elif any(s.is_empty for s in columns.values()):
                rows = []  # a required reference has nothing to point at
            else:
                rows = draw(st.lists(rows_strategy, max_size=wt.max))
            for i, row in enumerate(rows):
                row.update({c: str(uuid.uuid5(_NS, f"{wt.table}-{i}")) for c, g in wt.columns.items()
                            if g.kind == "uuid"})
            data.rows[wt.table] = rows
        return data

    return draw_world()


def _table_ident(name: str) -> sql.Identifier:
    schema, _, table = name.partition(".")
    return sql.Identifier(schema, table)


def insert_statements(world: WorldData) -> list[sql.Composed]:
    """The world as INSERT statements (a conflicting row is skipped, as a unique key would refuse it)."""
    out = []
    for table, rows in world.rows.items():
        for row in rows:
            cols = list(row)
            out.append(sql.SQL("insert into {} ({}) values ({}) on conflict do nothing").format(
                _table_ident(table), sql.SQL(", ").join(map(sql.Identifier, cols)),
                sql.SQL(", ").join(sql.Literal(row[c]) for c in cols)))
    return out


def _visible(conn: psycopg.Connection, rel: Relation, viewer: Identity) -> set[str]:
    try:
        with act_as(conn, viewer):
            return {r[0] for r in conn.execute(
                sql.SQL("select {} from {} as t").format(_key_expr(rel), rel.ident)).fetchall()}
    except RlsBypassError:
        raise
    except psycopg.Error as exc:
        if exc.sqlstate == "42501":  # no privilege at all: nothing visible
            return set()
        raise


def _allowed(conn: psycopg.Connection, rel: Relation, oracle: Oracle, viewer: Identity) -> set[str]:
    query = sql.SQL("select {} from {} as t cross join {} where ({})").format(
        _key_expr(rel), rel.ident, viewer_relation(viewer), sql.SQL(oracle.predicate))
    with conn.transaction():
        return {r[0] for r in conn.execute(query).fetchall()}


def check_world(conn: psycopg.Connection, world: WorldData, targets: list[tuple[Relation, Oracle]]) -> None:
    """Insert the world in a rolled-back transaction and compare RLS with each oracle; raise Leak."""
    with conn.transaction(force_rollback=True):
        for stmt in insert_statements(world):
            conn.execute(stmt)
        for rel, oracle in targets:
            for viewer in world.viewers():
                got = _visible(conn, rel, viewer)
                want = _allowed(conn, rel, oracle, viewer)
                if got != want:
                    raise Leak(rel.qualified, viewer, got - want, want - got, world)


def reproduction(conn: psycopg.Connection, leak: Leak) -> str:
    """SQL that rebuilds the minimal world and shows the disagreement (run as the table owner)."""
    lines = ["begin;", *(s.as_string(conn) + ";" for s in insert_statements(leak.world))]
    payload = {"role": leak.viewer.role, **({"sub": leak.viewer.user_id} if leak.viewer.user_id else {})}
    lines += [sql.SQL("set local role {};").format(sql.Identifier(leak.viewer.role)).as_string(conn),
              sql.SQL("select set_config('request.jwt.claims', {}, true);").format(
                  sql.Literal(json.dumps(payload))).as_string(conn),
              sql.SQL("select * from {};").format(_table_ident(leak.table)).as_string(conn) + "  -- " + str(leak),
              "rollback;"]
    return "\n".join(lines)


def fuzz(conn: psycopg.Connection, world: World, oracles: list[Oracle], *, examples: int = 25,
         shrink: bool = True) -> list[FuzzResult]:
    """Run the fuzzer over the tables with an oracle; one result per table (a failure names the first)."""
    targets: list[tuple[Relation, Oracle]] = []
    results: list[FuzzResult] = []
    for oracle in oracles:
        rel = relation(conn, oracle.table)
        if rel is None:
            results.append(FuzzResult(table=oracle.table, file=oracle.file, examples=0, passed=False,
                                      message=f"{oracle.file}:{oracle.line}: table {oracle.table} does not exist"))
        else:
            targets.append((rel, oracle))
    if not targets:
        return results
    ran = 0
    shrinking = False
    last_error = ""

    phases = [Phase.explicit, Phase.generate, *([Phase.shrink] if shrink else [])]

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None, phases=phases,
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, print_blob=False)
    @given(worlds(world))
    def run(data: WorldData) -> None:
        nonlocal ran, last_error, shrinking
        if not shrinking:  # worlds tried while shrinking are not new examples
            ran += 1
        try:
            check_world(conn, data, targets)
        except Leak:
            shrinking = True
            raise
        except psycopg.Error as exc:  # the world broke a constraint: not a world we can judge
            last_error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            reject()

    leak: Leak | None = None
    error = ""
    try:
        run()
    except Leak as exc:
        leak = exc
    except RlsBypassError:
        raise
    except Exception as exc:  # Unsatisfiable: every world was rejected
        error = f"{type(exc).__name__}: {last_error or exc}"
    for rel, oracle in targets:
        if leak is not None and leak.table == rel.qualified:
            results.append(FuzzResult(table=rel.qualified, file=oracle.file, examples=ran, passed=False,
                                      message=str(leak), reproduction=reproduction(conn, leak)))
        elif error:
            results.append(FuzzResult(table=rel.qualified, file=world.file, examples=ran, passed=False,
                                      message=f"no usable world: {error}"))
        else:
            results.append(FuzzResult(table=rel.qualified, file=oracle.file, examples=ran, passed=True,
                                      message="stopped at the first leak of another table" if leak else ""))
    return results
