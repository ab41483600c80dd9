"""Statements that cannot run in a transaction, judged by their effect when an attempt died mid-way.

A runner killed while such a statement ran cannot know whether the server finished it: the statement
may have completed (an index built and valid), stopped half-way (an INVALID index, a partition left
"detach pending") or never started. Before the statement runs again, :func:`reconcile` looks at the
catalog and either declares it done, cleans up what the interrupted attempt left, or lets it run.
Every kind the classifier knows (parse/_classify.py) is covered; those not listed re-run as they are
(VACUUM, CLUSTER, ALTER SYSTEM: running them twice is harmless).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import psycopg
from pglast import ast
from pglast.enums import AlterTableType, ObjectType, ReindexObjectType
from psycopg import sql

from ..parse import Statement

EventFn = Callable[[str], None]


class Verdict(StrEnum):
    DONE = "done"  # its effect is there: record it done, do not run it
    RUN = "run"  # (cleaned up, if needed) run it again


def _regclass(rv: ast.RangeVar) -> str:
    """A RangeVar as text for to_regclass(): quoted parts, as the statement wrote them."""
    return _quoted([p for p in (rv.schemaname, rv.relname) if p])


def _ident(rv: ast.RangeVar) -> sql.Composable:
    return sql.SQL(".").join(sql.Identifier(p) for p in (rv.schemaname, rv.relname) if p)


def _quoted(parts: list[str]) -> str:
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def index_state(conn: psycopg.Connection, table: ast.RangeVar, name: str) -> bool | None:
    """True (valid), False (INVALID) or None (absent) for index ``name`` in ``table``'s schema."""
    row = conn.execute(
        """select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid
            where c.relname = %s
              and c.relnamespace = (select relnamespace from pg_class where oid = to_regclass(%s))""",
        [name, _regclass(table)]).fetchone()
    return None if row is None else bool(row[0])


def drop_invalid_index(conn: psycopg.Connection, table: ast.RangeVar, name: str, on_event: EventFn | None) -> bool:
    """DROP INDEX CONCURRENTLY an INVALID index left by a failed or interrupted build; True if one was."""
    row = conn.execute(
        """select n.nspname from pg_index i join pg_class c on c.oid = i.indexrelid
             join pg_namespace n on n.oid = c.relnamespace
            where c.relname = %s and not i.indisvalid
              and c.relnamespace = (select relnamespace from pg_class where oid = to_regclass(%s))""",
        [name, _regclass(table)]).fetchone()
    if row is None:
        return False
    if on_event:
        on_event(f"dropping INVALID index {row[0]}.{name} left by a failed or interrupted concurrent build")
    conn.execute(sql.SQL("drop index concurrently if exists {}.{}").format(sql.Identifier(row[0]),
                                                                          sql.Identifier(name)))
    return True


def _drop_reindex_leftovers(conn: psycopg.Connection, node: ast.ReindexStmt, on_event: EventFn | None) -> None:
    """An interrupted REINDEX CONCURRENTLY leaves INVALID <index>_ccnew (and _ccold) copies behind."""
    if node.relation is None or node.kind not in (ReindexObjectType.REINDEX_OBJECT_INDEX,
                                                  ReindexObjectType.REINDEX_OBJECT_TABLE):
        return
    table_of = "i.indexrelid" if node.kind == ReindexObjectType.REINDEX_OBJECT_INDEX else "i.indrelid"
    rows = conn.execute(sql.SQL(
        """select n.nspname, c.relname from pg_index i join pg_class c on c.oid = i.indexrelid
             join pg_namespace n on n.oid = c.relnamespace
            where not i.indisvalid and c.relname ~ '_cc(new|old)[0-9]*$'
              and (i.indrelid = (select indrelid from pg_index where indexrelid = to_regclass(%s))
                   or {} = to_regclass(%s))""").format(sql.SQL(table_of)),
        [_regclass(node.relation), _regclass(node.relation)]).fetchall()
    for schema, name in rows:
        if on_event:
            on_event(f"dropping INVALID index {schema}.{name} left by an interrupted REINDEX CONCURRENTLY")
        conn.execute(sql.SQL("drop index concurrently if exists {}.{}").format(sql.Identifier(schema),
                                                                              sql.Identifier(name)))


def _detach(conn: psycopg.Connection, node: ast.AlterTableStmt, on_event: EventFn | None) -> Verdict:
    assert node.relation is not None
    cmd = next(c for c in node.cmds or () if isinstance(getattr(c, "def_", None), ast.PartitionCmd))
    part = cmd.def_.name
    row = conn.execute("""select inhdetachpending from pg_inherits
                           where inhrelid = to_regclass(%s) and inhparent = to_regclass(%s)""",
                       [_regclass(part), _regclass(node.relation)]).fetchone()
    if row is None:
        return Verdict.DONE  # no longer attached: the detach completed
    if row[0]:
        if on_event:
            on_event(f"finishing the interrupted detach of {part.relname} (DETACH PARTITION ... FINALIZE)")
        conn.execute(sql.SQL("alter table {} detach partition {} finalize").format(
            _ident(node.relation), _ident(part)))
        return Verdict.DONE
    return Verdict.RUN


def reconcile(conn: psycopg.Connection, stmt: Statement, on_event: EventFn | None = None) -> Verdict:
    """Decide, from the catalog, what to do with a non-transactional statement an attempt left in flight."""
    node = stmt.node
    match node:
        case ast.IndexStmt(concurrent=True, idxname=str() as name) if node.relation is not None:
            state = index_state(conn, node.relation, name)
            if state is True:
                return Verdict.DONE
            if state is False:
                drop_invalid_index(conn, node.relation, name, on_event)
            return Verdict.RUN
        case ast.DropStmt(concurrent=True, removeType=ObjectType.OBJECT_INDEX):
            names = [_quoted([getattr(p, "sval", "") for p in obj]) for obj in node.objects or ()]
            gone = all(conn.execute("select to_regclass(%s) is null", [n]).fetchone() == (True,) for n in names)
            return Verdict.DONE if gone else Verdict.RUN
        case ast.ReindexStmt():
            _drop_reindex_leftovers(conn, node, on_event)
            return Verdict.RUN
        case ast.AlterTableStmt() if node.relation is not None and any(
                getattr(c, "subtype", None) == AlterTableType.AT_DetachPartition for c in node.cmds or ()):
            return _detach(conn, node, on_event)
        case ast.CreatedbStmt(dbname=str() as db):
            exists = conn.execute("select exists (select 1 from pg_database where datname = %s)", [db]).fetchone()
            return Verdict.DONE if exists == (True,) else Verdict.RUN
        case ast.DropdbStmt(dbname=str() as db):
            exists = conn.execute("select exists (select 1 from pg_database where datname = %s)", [db]).fetchone()
            return Verdict.DONE if exists == (False,) else Verdict.RUN
    return Verdict.RUN
