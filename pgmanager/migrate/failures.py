"""How a failed statement is told: at its file:line:col, with the lock it asked for and who held it."""

from __future__ import annotations

import psycopg

from ..analyze import locks_of
from ..db import error_line
from ..errors import DatabaseError
from ..parse import SqlDocument, Statement, used_names


class LockTimeout(DatabaseError):
    """A statement gave up waiting for a lock, after every retry."""


class StepFailed(Exception):
    """Internal: a statement of a step failed; carries how many statements had succeeded."""

    def __init__(self, error: DatabaseError, done: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.done = done


def statement_error(doc: SqlDocument, stmt: Statement, exc: psycopg.Error, absolute: int | None = None
                    ) -> DatabaseError:
    """A database error pointed at file:line:col of the statement (or the exact token).

    ``absolute``: the error's offset in the whole file, when the file was sent in one query."""
    pos = getattr(exc.diag, "statement_position", None)
    if absolute is not None:
        offset = absolute
    else:
        offset = stmt.start + int(pos) - 1 if pos and str(pos).isdigit() else stmt.start
    line, col = doc.position(offset)
    state = exc.sqlstate or ""
    return DatabaseError(f"{error_line(exc)}{f' ({state})' if state else ''}",
                         where=f"{doc.file.display}:{line}:{col}", sqlstate=state or None)


def wanted_lock(stmt: Statement) -> str:
    """'ACCESS EXCLUSIVE on public.x': the strongest lock the statement asks for, for messages."""
    locks = [i for i in locks_of(stmt) if i.lock and i.table]
    if not locks:
        return "a lock"
    top = max(locks, key=lambda i: i.lock.rank)
    return f"{top.lock} on {top.table}"


def blockers(conn: psycopg.Connection, stmt: Statement) -> str:
    """Who holds locks on the tables this statement touches (asked right after a lock timeout)."""
    names = sorted({i.table for i in locks_of(stmt) if i.table} | used_names(stmt.node))
    if not names:
        return ""
    rows = conn.execute(
        """select l.relation::regclass::text, l.mode, l.pid, coalesce(a.application_name, ''),
                  coalesce(a.state, ''), date_trunc('second', now() - a.xact_start)::text
             from pg_locks l left join pg_stat_activity a on a.pid = l.pid
            where l.granted and l.pid <> pg_backend_pid() and l.locktype = 'relation'
              and l.database = (select oid from pg_database where datname = current_database())
              and l.relation = any(array(select to_regclass(n) from unnest(%s::text[]) n
                                          where to_regclass(n) is not null))
            order by l.pid""",
        [names],
    ).fetchall()
    return "; ".join(f"{r[0]} {r[1]} held by pid {r[2]} ({r[3] or 'no application_name'}, {r[4]}, "
                     f"transaction open {r[5]})" for r in rows)
