"""Execute a plan on a connection: each migration atomic with its history row.

- A transactional migration runs in one transaction with ``SET LOCAL lock_timeout`` /
  ``statement_timeout``; its history row is written in that same transaction, so a runner killed at
  any point leaves either the whole migration with its row, or neither.
- A migration with a statement that cannot run in a transaction (found from the AST) runs
  statement by statement in autocommit; its history row is written after the last one succeeds.
  An INVALID index left by an earlier failed concurrent build of the same name is dropped first.
- Repeatables that changed run together in one transaction, in dependency order.
- A lock timeout rolls the migration back and retries with backoff, telling which lock it waited
  for and who held it; after the last retry it fails with that same information.
- A failed attempt is remembered in the failures table (outside the failed transaction) for `status`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import psycopg
from pglast import ast
from psycopg import errors as pgerrors

from ..analyze import lock_rank, statement_locks
from ..config import Settings
from ..errors import DatabaseError
from ..models import FileKind, Plan, Step, StepResult
from ..parse import SqlDocument, Statement, used_names
from ..project import normalize
from . import history
from .script import RESET_TIMEOUTS, Timeouts, as_text, drop_invalid_index_sql, timeouts_sql

ProgressFn = Callable[[Step, int, int], None]
EventFn = Callable[[str], None]
T = TypeVar("T")
BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 10.0

__all__ = ["Applier", "LockTimeout", "StepFailed", "Timeouts", "rollback_step", "statement_error"]


class LockTimeout(DatabaseError):
    """A statement gave up waiting for a lock, after every retry."""


class _Unplaced(Exception):
    """Internal: a file sent in one query failed without an error position."""

    def __init__(self, step: Step, doc: SqlDocument, exc: psycopg.Error) -> None:
        super().__init__(str(exc))
        self.step, self.doc, self.exc = step, doc, exc


class StepFailed(Exception):
    """Internal: a statement of a step failed; carries how many statements had succeeded."""

    def __init__(self, error: DatabaseError, done: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.done = done


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


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
    return DatabaseError(f"{_first_line(exc)}{f' ({state})' if state else ''}",
                         where=f"{doc.file.display}:{line}:{col}", sqlstate=state or None)


def _wanted(stmt: Statement) -> str:
    """'ACCESS EXCLUSIVE on public.x': the strongest lock the statement asks for, for messages."""
    locks = [i for i in statement_locks(stmt) if i.lock and i.table]
    if not locks:
        return "a lock"
    top = max(locks, key=lambda i: lock_rank(i.lock))
    return f"{top.lock} on {top.table}"


def blockers(conn: psycopg.Connection, stmt: Statement) -> str:
    """Who holds locks on the tables this statement touches (asked right after a lock timeout)."""
    names = sorted({i.table for i in statement_locks(stmt) if i.table} | used_names(stmt.node))
    if not names:
        return ""
    rows = conn.execute(
        """select l.relation::regclass::text, l.mode, l.pid, coalesce(a.application_name, ''),
                  coalesce(a.state, ''), date_trunc('second', now() - a.xact_start)::text
             from pg_locks l left join pg_stat_activity a on a.pid = l.pid
            where l.granted and l.pid <> pg_backend_pid() and l.locktype = 'relation'
              and l.relation = any(array(select to_regclass(n) from unnest(%s::text[]) n
                                          where to_regclass(n) is not null))
            order by l.pid""",
        [names],
    ).fetchall()
    return "; ".join(f"{r[0]} {r[1]} held by pid {r[2]} ({r[3] or 'no application_name'}, {r[4]}, "
                     f"transaction open {r[5]})" for r in rows)


class Applier:
    """Runs plan steps on one connection (autocommit; we open transactions ourselves)."""

    def __init__(self, conn: psycopg.Connection, settings: Settings, docs: Mapping[str, SqlDocument],
                 on_step: ProgressFn | None = None, sleep: Callable[[float], None] = time.sleep,
                 on_event: EventFn | None = None) -> None:
        self.conn = conn
        self.settings = settings
        self.docs = docs
        self.on_step = on_step
        self.on_event = on_event
        self.sleep = sleep
        self.schema = settings.history_schema
        self._batch: list[Step] = []

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
        if self.on_step and plan.steps:
            self.on_step(plan.steps[-1], total, total)
        return results

    def apply_step(self, step: Step) -> StepResult:
        doc = self.docs[step.file]
        timeouts = Timeouts.for_doc(self.settings, doc)
        self._batch = []
        try:
            if step.transactional:
                return self._with_retries(doc, timeouts, lambda: self._transactional([step], timeouts)[0])
            return self._non_transactional(step, doc, timeouts)
        except StepFailed as failed:
            self._remember_failure(step, failed.done, failed.error)
            raise failed.error from None
        except LockTimeout as exc:  # a transactional attempt: rolled back whole, nothing done
            self._remember_failure(step, 0, exc)
            raise

    def run_statements(self, doc: SqlDocument) -> None:
        """Run a file's statements one by one in the current transaction (or autocommit), errors at
        file:line:col. For files that are not plan steps: rollback files, the seed."""
        for stmt in doc.statements:
            self._exec(doc, stmt)

    # -- transactional

    def _exec(self, doc: SqlDocument, stmt: Statement) -> None:
        try:
            self.conn.execute(stmt.text.encode(), prepare=False)
        except pgerrors.LockNotAvailable as exc:
            exc._pgm_statement = stmt  # type: ignore[attr-defined]  # which one waited, for the report
            raise
        except psycopg.Error as exc:
            raise statement_error(doc, stmt, exc) from None

    def _transactional(self, steps: Sequence[Step], timeouts: Timeouts) -> list[StepResult]:
        """Each file is sent as one simple query (one round trip), its history row with it; a failure is
        pointed at its statement from the error position, or by replaying the file in a rolled-back
        transaction when the server gives no position (runtime errors)."""
        results = []
        try:
            with self.conn.transaction():
                self.conn.execute(timeouts_sql(timeouts, local=True))
                for step in steps:
                    doc = self.docs[step.file]
                    t0 = time.perf_counter()
                    self._exec_file(step, doc)
                    ms = (time.perf_counter() - t0) * 1000
                    results.append(self._result(step, doc, ms))
        except _Unplaced as unplaced:
            raise self._locate(unplaced, timeouts) from None
        return results

    def _exec_file(self, step: Step, doc: SqlDocument) -> None:
        record = history.record_sql(self.schema, key=step.key, kind=step.kind, name=doc.file.name,
                                    checksum=step.checksum, script=normalize(doc.file.text), execution_ms=None)
        tail = as_text(record) + ";\n" + as_text(history.clear_failure_sql(self.schema, step.key))
        text = doc.file.text
        try:
            self.conn.execute((text + "\n;\n" + tail).encode(), prepare=False)
        except pgerrors.LockNotAvailable:
            raise
        except psycopg.Error as exc:
            pos = getattr(exc.diag, "statement_position", None)
            offset = int(pos) - 1 if pos and str(pos).isdigit() else None
            if offset is not None and offset < len(text) and doc.statements:
                n, stmt = next(((i, st) for i, st in enumerate(doc.statements) if offset < st.end + 1),
                               (len(doc.statements) - 1, doc.statements[-1]))
                raise StepFailed(statement_error(doc, stmt, exc, absolute=offset), n) from None
            raise _Unplaced(step, doc, exc) from None

    def _locate(self, unplaced: _Unplaced, timeouts: Timeouts) -> StepFailed:
        """Replay the failed file statement by statement, always rolled back, to name the failing one."""
        doc, exc = unplaced.doc, unplaced.exc
        try:
            with self.conn.transaction(force_rollback=True):
                self.conn.execute(timeouts_sql(timeouts, local=True))
                for step in self._steps_before(unplaced.step):
                    self.conn.execute(self.docs[step.file].file.text.encode(), prepare=False)
                for n, stmt in enumerate(doc.statements):
                    try:
                        self._exec(doc, stmt)
                    except DatabaseError as located:
                        return StepFailed(located, n)
        except (psycopg.Error, DatabaseError):
            pass
        state = exc.sqlstate or ""
        return StepFailed(DatabaseError(f"{_first_line(exc)}{f' ({state})' if state else ''}",
                                        where=doc.file.display, sqlstate=state or None), 0)

    def _steps_before(self, step: Step) -> list[Step]:
        """Repeatables run together: replaying one needs those before it in the same transaction."""
        return list(self._batch[: self._batch.index(step)]) if step in self._batch else []

    def _apply_repeatables(self, steps: list[Step], base: int, total: int) -> list[StepResult]:
        if self.on_step:
            for i, s in enumerate(steps):
                self.on_step(s, base + i, total)
        timeouts = Timeouts.default(self.settings)
        first = self.docs[steps[0].file]
        self._batch = list(steps)
        try:
            return self._with_retries(first, timeouts, lambda: self._transactional(steps, timeouts))
        except StepFailed as failed:
            raise failed.error from None

    def _with_retries(self, doc: SqlDocument, timeouts: Timeouts, attempt: Callable[[], T]) -> T:
        delay = BACKOFF_START_S
        for tries in range(timeouts.lock_retries + 1):
            try:
                return attempt()
            except pgerrors.LockNotAvailable as exc:
                waited_doc, stmt = self._failing_statement(doc, exc)
                self._lock_timed_out(waited_doc, stmt, timeouts, tries, delay)
                self.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX_S)
        raise AssertionError("unreachable")

    def _lock_timed_out(self, doc: SqlDocument, stmt: Statement | None, timeouts: Timeouts, tries: int,
                        delay: float) -> None:
        """Report one lock timeout; raise LockTimeout after the last retry."""
        who = blockers(self.conn, stmt) if stmt else ""
        where = f"{doc.file.display}:{stmt.line}:{stmt.col}" if stmt else doc.file.display
        waited = f"waited {timeouts.lock_timeout_ms}ms (lock_timeout) for {_wanted(stmt) if stmt else 'a lock'}"
        blocked = f"; blocked by {who}" if who else ""
        if tries >= timeouts.lock_retries:
            raise LockTimeout(f"gave up after {tries + 1} attempt(s): {waited}{blocked}", where=where,
                              sqlstate="55P03",
                              hint="retry when the blocking transaction ends, or raise lock_timeout")
        if self.on_event:
            self.on_event(f"{where}: {waited}{blocked}; rolled back, retry {tries + 1}/{timeouts.lock_retries} "
                          f"in {delay:g}s")

    def _failing_statement(self, doc: SqlDocument, exc: psycopg.Error) -> tuple[SqlDocument, Statement | None]:
        """The statement that waited: known when run alone; for a file sent whole, the first one asking
        for a lock on a table another session holds a lock on (asked right after the timeout)."""
        query = getattr(exc, "_pgm_statement", None)
        if isinstance(query, Statement):
            return doc, query
        docs = [self.docs[s.file] for s in self._batch] if doc.file.display in {s.file for s in self._batch} \
            else [doc]
        for d in docs:
            for stmt in d.statements:
                if any(i.lock and i.table for i in statement_locks(stmt)) and blockers(self.conn, stmt):
                    return d, stmt
        return doc, (doc.statements[0] if doc.statements else None)

    # -- non-transactional

    def _non_transactional(self, step: Step, doc: SqlDocument, timeouts: Timeouts) -> StepResult:
        t0 = time.perf_counter()
        self.conn.execute(timeouts_sql(timeouts, local=False))
        try:
            for n, stmt in enumerate(doc.statements):
                self._drop_invalid_index(stmt)
                delay = BACKOFF_START_S
                for tries in range(timeouts.lock_retries + 1):
                    try:
                        self._exec(doc, stmt)
                        break
                    except pgerrors.LockNotAvailable:
                        self._drop_invalid_index(stmt)
                        try:
                            self._lock_timed_out(doc, stmt, timeouts, tries, delay)
                        except LockTimeout as exc:
                            raise StepFailed(exc, n) from None
                        self.sleep(delay)
                        delay = min(delay * 2, BACKOFF_MAX_S)
                    except DatabaseError as exc:
                        self._drop_invalid_index(stmt, report=True)
                        raise StepFailed(exc, n) from None
        finally:
            if not self.conn.closed:
                self.conn.execute(RESET_TIMEOUTS)
        ms = (time.perf_counter() - t0) * 1000
        self._record(step, doc, round(ms, 3))
        return self._result(step, doc, ms)

    def _drop_invalid_index(self, stmt: Statement, report: bool = False) -> None:
        """A failed CREATE INDEX CONCURRENTLY leaves an INVALID index: drop it before (re)trying the build."""
        node = stmt.node
        if not (isinstance(node, ast.IndexStmt) and node.concurrent and node.idxname and node.relation):
            return
        schema = node.relation.schemaname or "public"
        row = self.conn.execute(
            """select 1 from pg_index i join pg_class c on c.oid = i.indexrelid
                join pg_namespace n on n.oid = c.relnamespace
               where c.relname = %s and n.nspname = %s and not i.indisvalid""",
            [node.idxname, schema]).fetchone()
        if not row:
            return
        if report:  # after a failure: leave it for `status` to show and for the retry to drop
            if self.on_event:
                self.on_event(f"{schema}.{node.idxname} is INVALID after the failed build; the next migrate "
                              "drops it before retrying (or run `pgmanager repair --drop-invalid-indexes`)")
            return
        if self.on_event:
            self.on_event(f"dropping INVALID index {schema}.{node.idxname} left by a failed concurrent build")
        self.conn.execute(drop_invalid_index_sql(schema, node.idxname))

    # -- bookkeeping

    def _record(self, step: Step, doc: SqlDocument, ms: float | None) -> None:
        history.record(self.conn, self.schema, key=step.key, kind=step.kind, name=doc.file.name,
                       checksum=step.checksum, script=normalize(doc.file.text), execution_ms=ms)

    def _remember_failure(self, step: Step, done: int, error: DatabaseError) -> None:
        # A read-only target cannot take the note; the error itself is what matters then.
        with contextlib.suppress(psycopg.Error):
            history.record_failure(self.conn, self.schema, key=step.key, checksum=step.checksum,
                                   statements_done=done, error=str(error))

    def _result(self, step: Step, doc: SqlDocument, ms: float) -> StepResult:
        return StepResult(key=step.key, file=step.file, kind=step.kind,
                          action="applied" if step.action == "apply" else "reapplied",
                          transactional=step.transactional, statements=len(doc.statements),
                          duration_ms=round(ms, 3))


def rollback_step(conn: psycopg.Connection, settings: Settings, migration_key: str, doc: SqlDocument,
                  on_event: EventFn | None = None) -> StepResult:
    """Run a rollback file and forget the migration, in one transaction (unless it needs none)."""
    timeouts = Timeouts.for_doc(settings, doc)
    t0 = time.perf_counter()
    applier = Applier(conn, settings, {doc.file.display: doc}, on_event=on_event)

    def undo() -> None:
        with conn.transaction():
            conn.execute(timeouts_sql(timeouts, local=True))
            applier.run_statements(doc)
            history.forget(conn, settings.history_schema, migration_key)

    if doc.transactional:
        applier._with_retries(doc, timeouts, undo)
    else:
        conn.execute(timeouts_sql(timeouts, local=False))
        try:
            applier.run_statements(doc)
        finally:
            conn.execute(RESET_TIMEOUTS)
        history.forget(conn, settings.history_schema, migration_key)
    return StepResult(key=migration_key, file=doc.file.display, kind=FileKind.ROLLBACK, action="rolled back",
                      transactional=doc.transactional, statements=len(doc.statements),
                      duration_ms=round((time.perf_counter() - t0) * 1000, 3))
