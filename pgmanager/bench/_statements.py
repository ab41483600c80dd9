"""pg_stat_statements figures per query and identity, where the extension is there.

The server's own account of each benched statement: calls, total and mean execution time, shared
buffers hit and read. In a sandbox bench creates the extension (the local provider preloads the
library) and resets its counters before the run; on a target it only reads, if the extension is
installed. Either way a query's figures are the difference between two snapshots taken right before
and right after its runs, so other traffic on the server or earlier runs do not count. The benched
statement is found by its query id, which ``EXPLAIN (VERBOSE)`` of the same statement prepared the
same way prints; the identities are told apart by pg_stat_statements' user (``SET LOCAL ROLE``).
Calls include the warm-up requests. Without the extension the figures are left out, with a note.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from ..db import error_line
from ._models import Statements
from ._run import RunError, _check, positional
from ._workload import Query

EXTENSION = "pg_stat_statements"
_Snapshot = dict[str, tuple[int, float, int, int]]


def enable(conn: psycopg.Connection, *, sandbox: bool) -> tuple[sql.Composable | None, str | None]:
    """The view to read (None when unavailable) and a note saying why it is not."""
    if sandbox:
        try:
            conn.execute("create extension if not exists pg_stat_statements")
        except psycopg.Error as exc:
            return None, f"pg_stat_statements figures left out: cannot create the extension ({error_line(exc)})"
    row = conn.execute("select n.nspname from pg_catalog.pg_extension as e join pg_catalog.pg_namespace as n "
                       "on n.oid = e.extnamespace where e.extname = %s", [EXTENSION]).fetchone()
    if row is None:
        return None, "pg_stat_statements figures left out: the extension is not installed in this database"
    view = sql.Identifier(str(row[0]), "pg_stat_statements")
    try:
        conn.execute(sql.SQL("select 1 from {} limit 1").format(view))
        if sandbox:
            conn.execute(sql.SQL("select {}()").format(sql.Identifier(str(row[0]), "pg_stat_statements_reset")))
    except psycopg.Error as exc:  # installed, but the server does not preload the library
        return None, f"pg_stat_statements figures left out: {error_line(exc)}"
    return view, None


def query_id(conn: psycopg.Connection, query: Query) -> int | None:
    """The query id pg_stat_statements files the bench's prepared statement under (None: not found; the
    query's run then says what is wrong with it)."""
    name = b"pgm_bench_queryid"
    try:
        _check(conn.pgconn.prepare(name, positional(query.sql, query.parameters)), f"cannot prepare {query.name}")
    except RunError:
        return None
    try:
        args = sql.SQL("({})").format(sql.SQL(", ").join([sql.NULL] * len(query.parameters))) \
            if query.parameters else sql.SQL("")
        row = conn.execute(sql.SQL("explain (verbose, format json) execute {}{}").format(
            sql.Identifier(name.decode()), args)).fetchone()
    except psycopg.Error:
        return None
    finally:
        conn.execute(sql.SQL("deallocate {}").format(sql.Identifier(name.decode())))
    doc: Any = row[0] if row else None
    found = doc[0].get("Query Identifier") if isinstance(doc, list) and doc else None
    return int(found) if found else None


def snapshot(conn: psycopg.Connection, view: sql.Composable, queryid: int) -> _Snapshot:
    """role -> (calls, total exec ms, shared blocks hit, shared blocks read) of ``queryid`` in this database."""
    rows = conn.execute(sql.SQL(
        "select r.rolname, sum(s.calls), sum(s.total_exec_time), sum(s.shared_blks_hit), sum(s.shared_blks_read) "
        "from {} as s join pg_catalog.pg_roles as r on r.oid = s.userid "
        "where s.queryid = {} and s.dbid = (select d.oid from pg_catalog.pg_database as d "
        "where d.datname = pg_catalog.current_database()) group by r.rolname").format(
        view, sql.Literal(queryid))).fetchall()
    return {str(r[0]): (int(r[1]), float(r[2]), int(r[3]), int(r[4])) for r in rows}


def figures(before: _Snapshot, after: _Snapshot, role: str) -> Statements | None:
    calls, total, hit, read = (a - b for a, b in zip(after.get(role, (0, 0.0, 0, 0)),
                                                     before.get(role, (0, 0.0, 0, 0)), strict=True))
    if calls <= 0:
        return None
    return Statements(calls=int(calls), total_exec_ms=round(total, 3), mean_exec_ms=round(total / calls, 4),
                      shared_blks_hit=int(hit), shared_blks_read=int(read))
