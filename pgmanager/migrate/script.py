"""The bookkeeping SQL around each step, built once and used both to run a plan and to print it.

``Applier`` executes these statements and ``render_sql`` prints them, so `plan --sql` shows exactly
what `migrate` sends: the advisory lock, the timeouts, each file's statements, the history rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

from ..config import Settings, duration_ms
from ..parse import SqlDocument
from . import history


@dataclass(frozen=True)
class Timeouts:
    """lock_timeout / statement_timeout / retries of one file: settings, overridden by its directives."""

    lock_timeout_ms: int
    statement_timeout_ms: int
    lock_retries: int

    @classmethod
    def for_doc(cls, settings: Settings, doc: SqlDocument) -> Timeouts:
        d = doc.directives
        where = f"{doc.file.display}: directive"
        return cls(
            lock_timeout_ms=duration_ms(d["lock_timeout"], f"{where} lock_timeout") if "lock_timeout" in d
            else settings.lock_timeout_ms,
            statement_timeout_ms=duration_ms(d["statement_timeout"], f"{where} statement_timeout")
            if "statement_timeout" in d else settings.statement_timeout_ms,
            lock_retries=int(d["lock_retries"]) if d.get("lock_retries", "").isdigit() else settings.lock_retries,
        )

    @classmethod
    def default(cls, settings: Settings) -> Timeouts:
        return cls(settings.lock_timeout_ms, settings.statement_timeout_ms, settings.lock_retries)


def timeouts_sql(t: Timeouts, *, local: bool) -> sql.Composed:
    """SET [LOCAL] lock_timeout and statement_timeout, as one statement."""
    return sql.SQL("select set_config('lock_timeout', {}, {}), set_config('statement_timeout', {}, {})").format(
        sql.Literal(f"{t.lock_timeout_ms}ms"), sql.Literal(local), sql.Literal(f"{t.statement_timeout_ms}ms"),
        sql.Literal(local))


RESET_TIMEOUTS = sql.SQL("reset lock_timeout; reset statement_timeout")


def advisory_lock_sql() -> sql.Composed:
    """One runner at a time: a session lock, released by the server when the runner's connection ends."""
    return sql.SQL("select pg_advisory_lock({})").format(sql.Literal(history.LOCK_KEY))


def advisory_unlock_sql() -> sql.Composed:
    return sql.SQL("select pg_advisory_unlock({})").format(sql.Literal(history.LOCK_KEY))


def drop_invalid_index_sql(schema: str, name: str) -> sql.Composed:
    return sql.SQL("drop index concurrently if exists {}.{}").format(sql.Identifier(schema), sql.Identifier(name))


def as_text(stmt: sql.Composable) -> str:
    """A composed statement as the server receives it."""
    return stmt.as_string(None)
