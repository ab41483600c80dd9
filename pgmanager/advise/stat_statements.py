"""A live database's own workload: the top statements of pg_stat_statements, weighted by the time they take.

Statements of this database only, ranked by ``calls x mean_exec_time`` (the total time spent in them);
their weights are that total over the mean of the ones kept, so that the busiest statement counts most
in the selection. pg_stat_statements keeps statements normalized, constants replaced by ``$n``: advise
plans them generically (``workload.Statement.mode`` "generic"). A statement is left out, and said so,
when it is not a SELECT, INSERT, UPDATE, DELETE or WITH, reads no table of this database (catalog
queries), does not parse as one statement, or cannot be prepared (a parameter whose type nothing fixes).
Everything here reads: PREPARE and DEALLOCATE stay in this session.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pglast
import psycopg
from psycopg import sql

from ..bench import Query
from ..catalog import Table
from ..db import error_line
from ..errors import ConfigError, DatabaseError
from ..parse import references
from .workload import from_text, is_relation

TOP = 20
SCAN = 500
"""How many of the busiest entries are looked at to find ``top`` usable ones."""
_KINDS = ("select", "with", "insert", "update", "delete")
_HOW = ("add pg_stat_statements to shared_preload_libraries, restart the server, then run "
        "`create extension pg_stat_statements` in this database")


@dataclass
class TopStatements:
    queries: list[Query]
    weights: dict[str, float]
    """Query name -> weight (its share of the time, relative to the mean of those kept)."""
    skipped: list[str]
    """How many of the busiest entries were left out and why (for the report's notes)."""


def _view(conn: psycopg.Connection) -> sql.Composable:
    row = conn.execute("select n.nspname from pg_catalog.pg_extension as e join pg_catalog.pg_namespace as n "
                       "on n.oid = e.extnamespace where e.extname = 'pg_stat_statements'").fetchone()
    if row is None:
        raise DatabaseError(f"pg_stat_statements is not enabled in this database: {_HOW}",
                            where="--from-stat-statements")
    return sql.Identifier(str(row[0]), "pg_stat_statements")


def _rows(conn: psycopg.Connection) -> list[tuple[int, str, int, float]]:
    query = sql.SQL("select s.queryid, s.query, s.calls, s.mean_exec_time from {} as s "
                    "where s.dbid = (select d.oid from pg_catalog.pg_database as d "
                    "where d.datname = pg_catalog.current_database()) and s.calls > 0 "
                    "order by s.calls * s.mean_exec_time desc limit {}").format(_view(conn), sql.Literal(SCAN))
    try:
        return [(int(r[0] or 0), str(r[1] or ""), int(r[2]), float(r[3]))
                for r in conn.execute(query).fetchall()]
    except psycopg.Error as exc:  # created but not preloaded: "must be loaded via shared_preload_libraries"
        raise DatabaseError(f"cannot read pg_stat_statements: {error_line(exc)}", where="--from-stat-statements",
                            hint=_HOW) from None


def _usable(conn: psycopg.Connection, text: str, catalog: dict[str, Table]) -> str | None:
    """None when advise can cost ``text``; else why not."""
    words = text.lstrip().split(None, 1)
    kind = words[0].lower() if words else ""
    if kind not in _KINDS:
        return f"a {kind.upper() or 'blank'} statement"
    if "pg_stat_statements" in text or "hypopg" in text:
        return "a monitoring statement"
    try:
        parsed = pglast.parse_sql(text)
    except pglast.parser.ParseError as exc:
        return f"does not parse: {exc.args[0] if exc.args else exc}"
    if len(parsed) != 1:
        return "more than one statement"
    refs = references(parsed[0].stmt, text)
    tables = [*refs.reads, *refs.writes]
    if not any(t in catalog for t in tables):
        return "reads no table of this database"
    if any(t not in catalog and not is_relation(conn, t) for t in tables):
        return "reads a relation that does not exist (a temporary table?)"
    try:
        conn.execute(sql.SQL("prepare pgm_advise_check as ") + sql.SQL(text))
        conn.execute("deallocate pgm_advise_check")
    except psycopg.Error as exc:
        return f"cannot be prepared: {error_line(exc)}"
    return None


def top_statements(conn: psycopg.Connection, catalog: dict[str, Table], top: int = TOP) -> TopStatements:
    """The ``top`` busiest usable statements of this database (a DatabaseError, saying how to enable it,
    when pg_stat_statements is missing; a ConfigError when it holds nothing advise can use)."""
    queries: list[Query] = []
    totals: dict[str, float] = {}
    reasons: dict[str, int] = {}
    for queryid, text, calls, mean_ms in _rows(conn):
        if len(queries) >= top:
            break
        text = text.strip().rstrip(";").strip()
        why = _usable(conn, text, catalog)
        if why is not None:
            key = why if why.startswith(("a ", "reads ", "more ")) else f"{why} (queryid {queryid})"
            reasons[key] = reasons.get(key, 0) + 1
            continue
        name = f"top{len(queries) + 1}"
        query = from_text(text, f"pg_stat_statements/{queryid}", {})
        queries.append(replace(query, name=name, description=f"queryid {queryid}: {calls} calls, "
                                                             f"mean {mean_ms:.3f} ms"))
        totals[name] = calls * mean_ms
    if not queries:
        raise ConfigError("pg_stat_statements holds no statement on this database's tables yet (run the "
                          "workload first; pg_stat_statements_reset() empties it)", where="--from-stat-statements")
    mean = sum(totals.values()) / len(totals)
    weights = {name: (total / mean if mean > 0 else 1.0) for name, total in totals.items()}
    skipped = [f"left out of pg_stat_statements' busiest entries: {n} x {why}" for why, n in reasons.items()]
    return TopStatements(queries, weights, skipped)
