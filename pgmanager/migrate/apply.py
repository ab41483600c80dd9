"""Execute a plan on a connection: each migration atomic with its history row.

- A transactional migration runs in one transaction with ``SET LOCAL lock_timeout`` /
  ``statement_timeout``; its history row is written in that same transaction.
- A migration with a statement that cannot run in a transaction (found from the AST) runs
  statement by statement in autocommit; its history row is written after the last one succeeds.
- Repeatables that changed run together in one transaction, in dependency order.
- A lock timeout rolls the migration back and retries with backoff; the error names who blocked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import psycopg
from psycopg import errors as pgerrors
from psycopg import sql

from ..config import Settings, duration_ms
from ..errors import DatabaseError
from ..models import FileKind, Plan, Step, StepResult
from ..parse import SqlDocument, Statement, used_names
from ..project import normalize
from . import history

ProgressFn = Callable[[Step, int, int], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Timeouts:
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


class LockTimeout(DatabaseError):
    """A statement gave up waiting for a lock, after every retry."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def statement_error(doc: SqlDocument, stmt: Statement, exc: psycopg.Error) -> DatabaseError:
    """A database error pointed at file:line:col of the statement (or the exact token)."""
    pos = getattr(exc.diag, "statement_position", None)
    offset = stmt.start + int(pos) - 1 if pos and str(pos).isdigit() else stmt.start
    line, col = doc.position(offset)
    state = exc.sqlstate or ""
    return DatabaseError(f"{_first_line(exc)}{f' ({state})' if state else ''}",
                         where=f"{doc.file.display}:{line}:{col}", sqlstate=state or None)


def _blockers(conn: psycopg.Connection, stmt: Statement) -> str:
    """Who holds locks on the tables this statement touches (asked after a lock timeout)."""
    names = sorted(n for n in used_names(stmt.node))
    if not names:
        return ""
    rows = conn.execute(
        """select l.relation::regclass::text, l.mode, l.pid, coalesce(a.application_name, ''),
                  coalesce(a.state, ''), now() - a.xact_start
             from pg_locks l left join pg_stat_activity a on a.pid = l.pid
            where l.granted and l.pid <> pg_backend_pid()
              and l.relation = any(array(select to_regclass(n) from unnest(%s::text[]) n where to_regclass(n)
                                         is not null))""",
        [names],
    ).fetchall()
    return "; ".join(f"{r[0]} {r[1]} held by pid {r[2]} ({r[3] or 'no app'}, {r[4]}, for {r[5]})" for r in rows)


class Applier:
    """Runs plan steps on one connection (autocommit; we open transactions ourselves)."""

    def __init__(self, conn: psycopg.Connection, settings: Settings, docs: Mapping[str, SqlDocument],
                 on_step: ProgressFn | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.conn = conn
        self.settings = settings
        self.docs = docs
        self.on_step = on_step
        self.sleep = sleep
        self.schema = settings.history_schema

    # -- public

    def run(self, plan: Plan) -> list[StepResult]:
        history.ensure(self.conn, self.schema)
        results: list[StepResult] = []
        total = len(plan.steps)
        repeatables = [s for s in plan.steps if s.kind.repeatable]
        for i, step in enumerate(s for s in plan.steps if not s.kind.repeatable):
            if self.on_step:
                self.on_step(step, i, total)
            results.append(self.apply_step(step))
        if repeatables:
            base = total - len(repeatables)
            results.extend(self._apply_repeatables(repeatables, base, total))
        return results

    def apply_step(self, step: Step) -> StepResult:
        doc = self.docs[step.file]
        timeouts = Timeouts.for_doc(self.settings, doc)
        if step.transactional:
            return self._with_retries(step, doc, timeouts, lambda: self._transactional([step], timeouts)[0])
        return self._non_transactional(step, doc, timeouts)

    # -- transactional

    def _set_timeouts(self, t: Timeouts, local: bool) -> None:
        self.conn.execute("select set_config('lock_timeout', %s, %s), set_config('statement_timeout', %s, %s)",
                          [f"{t.lock_timeout_ms}ms", local, f"{t.statement_timeout_ms}ms", local])

    def _exec(self, doc: SqlDocument, stmt: Statement) -> None:
        try:
            self.conn.execute(stmt.text.encode(), prepare=False)
        except pgerrors.LockNotAvailable as exc:
            exc._pgm_statement = stmt  # type: ignore[attr-defined]  # which one waited, for the report
            raise
        except psycopg.Error as exc:
            raise statement_error(doc, stmt, exc) from None

    def _transactional(self, steps: Sequence[Step], timeouts: Timeouts) -> list[StepResult]:
        results = []
        with self.conn.transaction():
            self._set_timeouts(timeouts, local=True)
            for step in steps:
                doc = self.docs[step.file]
                t0 = time.perf_counter()
                for stmt in doc.statements:
                    self._exec(doc, stmt)
                ms = (time.perf_counter() - t0) * 1000
                self._record(step, doc, ms)
                results.append(self._result(step, doc, ms))
        return results

    def _apply_repeatables(self, steps: list[Step], base: int, total: int) -> list[StepResult]:
        if self.on_step:
            for i, s in enumerate(steps):
                self.on_step(s, base + i, total)
        timeouts = Timeouts(self.settings.lock_timeout_ms, self.settings.statement_timeout_ms,
                            self.settings.lock_retries)
        first = self.docs[steps[0].file]
        return self._with_retries(steps[0], first, timeouts, lambda: self._transactional(steps, timeouts))

    def _with_retries(self, step: Step, doc: SqlDocument, timeouts: Timeouts, attempt: Callable[[], T]) -> T:
        delay = 0.5
        for tries in range(timeouts.lock_retries + 1):
            try:
                return attempt()
            except pgerrors.LockNotAvailable as exc:
                stmt = self._failing_statement(doc, exc)
                blockers = _blockers(self.conn, stmt) if stmt else ""
                if tries >= timeouts.lock_retries:
                    where = f"{doc.file.display}:{stmt.line}:{stmt.col}" if stmt else doc.file.display
                    raise LockTimeout(
                        f"gave up after {tries + 1} attempt(s): lock_timeout {timeouts.lock_timeout_ms}ms "
                        f"exceeded{'; ' + blockers if blockers else ''}",
                        where=where, sqlstate="55P03",
                        hint="retry when the blocking transaction ends, or raise lock_timeout") from None
                self.sleep(delay)
                delay = min(delay * 2, 10.0)
        raise AssertionError("unreachable")

    def _failing_statement(self, doc: SqlDocument, exc: psycopg.Error) -> Statement | None:
        query = getattr(exc, "_pgm_statement", None)
        return query if isinstance(query, Statement) else (doc.statements[0] if doc.statements else None)

    # -- non-transactional

    def _non_transactional(self, step: Step, doc: SqlDocument, timeouts: Timeouts) -> StepResult:
        t0 = time.perf_counter()
        self._set_timeouts(timeouts, local=False)
        try:
            for stmt in doc.statements:
                for tries in range(timeouts.lock_retries + 1):
                    try:
                        self._exec(doc, stmt)
                        break
                    except pgerrors.LockNotAvailable:
                        self._drop_invalid_index(stmt)
                        if tries >= timeouts.lock_retries:
                            raise LockTimeout(
                                f"gave up after {tries + 1} attempt(s): lock_timeout "
                                f"{timeouts.lock_timeout_ms}ms exceeded; {_blockers(self.conn, stmt)}",
                                where=f"{doc.file.display}:{stmt.line}:{stmt.col}", sqlstate="55P03") from None
                        self.sleep(0.5 * 2**tries)
        finally:
            self.conn.execute("reset lock_timeout; reset statement_timeout")
        ms = (time.perf_counter() - t0) * 1000
        self._record(step, doc, ms)
        return self._result(step, doc, ms)

    def _drop_invalid_index(self, stmt: Statement) -> None:
        """A failed CREATE INDEX CONCURRENTLY leaves an INVALID index behind: drop it before retrying."""
        from pglast import ast

        node = stmt.node
        if not (isinstance(node, ast.IndexStmt) and node.concurrent and node.idxname and node.relation):
            return
        schema = node.relation.schemaname or "public"
        row = self.conn.execute(
            """select 1 from pg_index i join pg_class c on c.oid = i.indexrelid
                join pg_namespace n on n.oid = c.relnamespace
               where c.relname = %s and n.nspname = %s and not i.indisvalid""",
            [node.idxname, schema]).fetchone()
        if row:
            self.conn.execute(sql.SQL("drop index concurrently if exists {}.{}").format(
                sql.Identifier(schema), sql.Identifier(node.idxname)))

    # -- bookkeeping

    def _record(self, step: Step, doc: SqlDocument, ms: float) -> None:
        history.record(self.conn, self.schema, key=step.key, kind=step.kind, name=doc.file.name,
                       checksum=step.checksum, script=normalize(doc.file.text), execution_ms=round(ms, 3))

    def _result(self, step: Step, doc: SqlDocument, ms: float) -> StepResult:
        return StepResult(key=step.key, file=step.file, kind=step.kind,
                          action="applied" if step.action == "apply" else "reapplied",
                          transactional=step.transactional, statements=len(doc.statements),
                          duration_ms=round(ms, 3))


def rollback_step(conn: psycopg.Connection, settings: Settings, migration_key: str, doc: SqlDocument) -> StepResult:
    """Run a rollback file and forget the migration, in one transaction (unless it needs none)."""
    timeouts = Timeouts.for_doc(settings, doc)
    t0 = time.perf_counter()
    applier = Applier(conn, settings, {doc.file.display: doc})
    if doc.transactional:
        with conn.transaction():
            applier._set_timeouts(timeouts, local=True)
            for stmt in doc.statements:
                applier._exec(doc, stmt)
            history.forget(conn, settings.history_schema, migration_key)
    else:
        for stmt in doc.statements:
            applier._exec(doc, stmt)
        history.forget(conn, settings.history_schema, migration_key)
    return StepResult(key=migration_key, file=doc.file.display, kind=FileKind.ROLLBACK, action="rolled back",
                      transactional=doc.transactional, statements=len(doc.statements),
                      duration_ms=round((time.perf_counter() - t0) * 1000, 3))
