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

# After a lock timeout: roll back, sleep (doubling from RETRY_SLEEP_START_S to RETRY_SLEEP_MAX_S, each sleep
# drawn between half and all of it so that racing runners spread out), then try again with a lock_timeout
# ESCALATION times longer, up to lock_timeout_max.
RETRY_SLEEP_START_S = 0.25
RETRY_SLEEP_MAX_S = 5.0
ESCALATION = 1.5


@dataclass(frozen=True)
class Timeouts:
    """lock_timeout (first attempt, and its cap) / statement_timeout / retries of one file: settings,
    overridden by its directives."""

    lock_timeout_ms: int
    statement_timeout_ms: int
    lock_retries: int
    lock_timeout_max_ms: int = 0

    @classmethod
    def for_doc(cls, settings: Settings, doc: SqlDocument) -> Timeouts:
        d = doc.directives
        where = f"{doc.file.display}: directive"

        def ms(name: str, default: int) -> int:
            return duration_ms(d[name], f"{where} {name}") if name in d else default

        return cls(
            lock_timeout_ms=ms("lock_timeout", settings.lock_timeout_ms),
            statement_timeout_ms=ms("statement_timeout", settings.statement_timeout_ms),
            lock_retries=int(d["lock_retries"]) if d.get("lock_retries", "").isdigit() else settings.lock_retries,
            lock_timeout_max_ms=ms("lock_timeout_max", settings.lock_timeout_max_ms),
        )

    @classmethod
    def default(cls, settings: Settings) -> Timeouts:
        return cls(settings.lock_timeout_ms, settings.statement_timeout_ms, settings.lock_retries,
                   settings.lock_timeout_max_ms)

    @property
    def cap_ms(self) -> int:
        """The longest lock_timeout of any attempt (a file's longer lock_timeout is never cut down)."""
        return max(self.lock_timeout_ms, self.lock_timeout_max_ms)

    def attempt(self, tries: int) -> Timeouts:
        """The timeouts of attempt ``tries`` (0 = the first): lock_timeout escalated up to the cap."""
        ms = min(self.cap_ms, round(self.lock_timeout_ms * ESCALATION ** tries))
        return Timeouts(ms, self.statement_timeout_ms, self.lock_retries, self.lock_timeout_max_ms)

    def retry_sleep_s(self, tries: int) -> float:
        """The longest sleep after failed attempt ``tries`` (the actual one is jittered down to half)."""
        return min(RETRY_SLEEP_MAX_S, RETRY_SLEEP_START_S * 2 ** tries)

    def worst_case_s(self) -> float:
        """The longest a file can spend waiting for locks over every attempt, sleeps included."""
        waits = sum(self.attempt(t).lock_timeout_ms for t in range(self.lock_retries + 1)) / 1000
        return waits + sum(self.retry_sleep_s(t) for t in range(self.lock_retries))


def timeouts_sql(t: Timeouts, *, local: bool) -> sql.Composed:
    """SET [LOCAL] lock_timeout and statement_timeout, as one statement."""
    return sql.SQL("select set_config('lock_timeout', {}, {}), set_config('statement_timeout', {}, {})").format(
        sql.Literal(f"{t.lock_timeout_ms}ms"), sql.Literal(local), sql.Literal(f"{t.statement_timeout_ms}ms"),
        sql.Literal(local))


RESET_TIMEOUTS = sql.SQL("reset lock_timeout; reset statement_timeout")


def advisory_lock_sql() -> sql.Composed:
    """One runner at a time: a session lock, released by the server when the runner's connection ends.

    Tried, never waited for inside a statement: the runner polls it between statements (session.py)."""
    return sql.SQL("select pg_try_advisory_lock({})").format(sql.Literal(history.LOCK_KEY))


def advisory_unlock_sql() -> sql.Composed:
    return sql.SQL("select pg_advisory_unlock({})").format(sql.Literal(history.LOCK_KEY))


def drop_invalid_index_sql(schema: str, name: str) -> sql.Composed:
    return sql.SQL("drop index concurrently if exists {}.{}").format(sql.Identifier(schema), sql.Identifier(name))


def as_text(stmt: sql.Composable) -> str:
    """A composed statement as the server receives it."""
    return stmt.as_string(None)
