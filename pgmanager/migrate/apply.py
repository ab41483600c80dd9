"""Execute a plan on a connection: each migration atomic with its history row.

- A transactional migration runs in one transaction with ``SET LOCAL lock_timeout`` /
  ``statement_timeout``; its history row is written in that same transaction, so a runner killed at
  any point leaves either the whole migration with its row, or neither.
- A migration with a statement that cannot run in a transaction (found from the AST) runs
  statement by statement, and is resumable: each statement that can run in a transaction commits
  together with its progress row; one that cannot is marked running before and done after it runs.
  A re-run skips the statements done, and judges the one left running by its effect
  (reconcile.py: a valid index is done, an INVALID one is dropped and rebuilt, ...). The history row
  is written, and the progress cleared, in one transaction after the last statement.
- Repeatables that changed run together in one transaction, in dependency order.
- A lock timeout rolls the attempt back and retries after a jittered, growing sleep with a longer
  lock_timeout (up to lock_timeout_max), telling which lock it waited for and who held it; after the
  last retry it fails with that same information.
- A failed attempt is remembered in the failures table (outside the failed transaction) for `status`.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import psycopg
from pglast import ast
from psycopg import errors as pgerrors
from psycopg import sql

from ..analyze import locks_of
from ..config import Settings
from ..db import error_line
from ..errors import DatabaseError
from ..models import FileKind, Plan, Step, StepAction, StepOutcome, StepResult
from ..parse import SqlDocument, Statement
from . import history
from .failures import LockTimeout, StepFailed, blockers, statement_error, wanted_lock
from .plan import statement_checksum
from .reconcile import Verdict, drop_invalid_index, index_state, reconcile
from .script import RESET_TIMEOUTS, Timeouts, as_text, timeouts_sql

ProgressFn = Callable[[Step, int, int], None]
RecordFn = Callable[[Step], list[sql.Composed]]
EventFn = Callable[[str], None]
T = TypeVar("T")

__all__ = ["Applier", "Timeouts", "rollback_step"]


class _Unplaced(Exception):
    """Internal: a file sent in one query failed without an error position."""

    def __init__(self, step: Step, doc: SqlDocument, exc: psycopg.Error) -> None:
        super().__init__(str(exc))
        self.step, self.doc, self.exc = step, doc, exc


class Applier:
    """Runs plan steps on one connection (autocommit; we open transactions ourselves)."""

    def __init__(self, conn: psycopg.Connection, settings: Settings, docs: Mapping[str, SqlDocument],
                 on_step: ProgressFn | None = None, sleep: Callable[[float], None] = time.sleep,
                 on_event: EventFn | None = None, also_record: RecordFn | None = None) -> None:
        """``also_record``: more bookkeeping written with each step's history row, in its transaction (the
        Supabase CLI's history row on a Supabase target)."""
        self.conn = conn
        self.also_record = also_record
        self.settings = settings
        self.docs = docs
        self.on_step = on_step
        self.on_event = on_event
        self.sleep = sleep
        self.schema = settings.history_schema
        self._batch: list[Step] = []
        self._noted: set[str] | None = None  # keys whose failure notes a success clears; None: not read, any

    # -- public

    def run(self, plan: Plan) -> list[StepResult]:
        history.ensure(self.conn, self.schema)
        # Read once under the runner lock, which every writer of these notes holds: a migration without a
        # note then skips the two deletes that would clear it.
        self._noted = history.noted_keys(self.conn, self.schema)
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
                return self._with_retries(doc, timeouts, lambda t: self._transactional([step], t)[0])
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
        """Each file is sent as one simple query, its history row with it: a lone file with its timeouts too
        (its own implicit transaction, one round trip), a batch of repeatables inside one explicit transaction.
        A failure is pointed at its statement from the error position, or by replaying the file in a
        rolled-back transaction when the server gives no position (runtime errors)."""
        results = []
        try:
            if len(steps) == 1:
                # The server runs a query of several statements as one implicit transaction (SET LOCAL holds
                # in it), rolled back whole at the first error: all-or-nothing in one round trip, not four.
                results.append(self._timed_file(steps[0], as_text(timeouts_sql(timeouts, local=True)) + ";\n"))
            else:
                with self.conn.transaction():
                    self.conn.execute(timeouts_sql(timeouts, local=True))
                    results.extend(self._timed_file(step) for step in steps)
        except _Unplaced as unplaced:
            raise self._locate(unplaced, timeouts) from None
        return results

    def _timed_file(self, step: Step, head: str = "") -> StepResult:
        doc = self.docs[step.file]
        t0 = time.perf_counter()
        self._exec_file(step, doc, head)
        return self._result(step, doc, (time.perf_counter() - t0) * 1000)

    def _exec_file(self, step: Step, doc: SqlDocument, head: str = "") -> None:
        """The file with its bookkeeping after it, and ``head`` before it, sent as one query."""
        record = history.record_sql(self.schema, key=step.key, kind=step.kind, name=doc.file.name,
                                    checksum=step.checksum, script=history.script_of(doc.file), execution_ms=None)
        clear = [history.clear_failure_sql(self.schema, step.key)] \
            if self._noted is None or step.key in self._noted else []
        tail = ";\n".join(as_text(q) for q in [record, *clear, *self._extra(step)])
        text = doc.file.text
        try:
            self.conn.execute((head + text + "\n;\n" + tail).encode(), prepare=False)
        except pgerrors.LockNotAvailable:
            raise
        except psycopg.Error as exc:
            pos = getattr(exc.diag, "statement_position", None)
            offset = int(pos) - 1 - len(head) if pos and str(pos).isdigit() else None
            if offset is not None and 0 <= offset < len(text) and doc.statements:
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
        return StepFailed(DatabaseError(f"{error_line(exc)}{f' ({state})' if state else ''}",
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
            return self._with_retries(first, timeouts, lambda t: self._transactional(steps, t))
        except StepFailed as failed:
            raise failed.error from None

    def _with_retries(self, doc: SqlDocument, timeouts: Timeouts, attempt: Callable[[Timeouts], T],
                      stmt: Statement | None = None) -> T:
        """Run ``attempt`` with the timeouts of each try until it gets its locks, or the retries run out."""
        for tries in range(timeouts.lock_retries + 1):
            this = timeouts.attempt(tries)
            try:
                return attempt(this)
            except pgerrors.LockNotAvailable as exc:
                waited_doc, waited = (doc, stmt) if stmt is not None else self._failing_statement(doc, exc)
                pause = timeouts.retry_sleep_s(tries) * random.uniform(0.5, 1.0)
                self._lock_timed_out(waited_doc, waited, this, tries, pause)
                self.sleep(pause)
        raise AssertionError("unreachable")

    def _lock_timed_out(self, doc: SqlDocument, stmt: Statement | None, timeouts: Timeouts, tries: int,
                        delay: float) -> None:
        """Report one lock timeout; raise LockTimeout after the last retry."""
        who = blockers(self.conn, stmt) if stmt else ""
        where = f"{doc.file.display}:{stmt.line}:{stmt.col}" if stmt else doc.file.display
        waited = f"waited {timeouts.lock_timeout_ms}ms (lock_timeout) for {wanted_lock(stmt) if stmt else 'a lock'}"
        blocked = f"; blocked by {who}" if who else ""
        if tries >= timeouts.lock_retries:
            raise LockTimeout(f"gave up after {tries + 1} attempt(s): {waited}{blocked}", where=where,
                              sqlstate="55P03",
                              hint="retry when the blocking transaction ends, or raise lock_timeout_max or "
                                   "lock_retries")
        if self.on_event:
            self.on_event(f"{where}: {waited}{blocked}; rolled back, retry {tries + 1}/{timeouts.lock_retries} "
                          f"in {delay:.2f}s")

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
                if any(i.lock and i.table for i in locks_of(stmt)) and blockers(self.conn, stmt):
                    return d, stmt
        return doc, (doc.statements[0] if doc.statements else None)

    # -- non-transactional

    def _non_transactional(self, step: Step, doc: SqlDocument, timeouts: Timeouts) -> StepResult:
        """Statement by statement, resumable: see the module's docstring."""
        t0 = time.perf_counter()
        if step.resume_at and self.on_event:
            self.on_event(f"{doc.file.display}: resuming at statement {step.resume_at + 1} of {len(doc.statements)} "
                          f"(statements 1-{step.resume_at} were done by an interrupted attempt)")
        try:
            for n, stmt in enumerate(doc.statements):
                if n < step.resume_at:
                    continue
                digest = statement_checksum(stmt)
                try:
                    if stmt.no_transaction is None:  # commits with its progress row: never half-known
                        self._with_retries(doc, timeouts, lambda t, s=stmt, n=n, d=digest:  # type: ignore[misc]
                                           self._statement_in_transaction(step, doc, s, n, d, t), stmt)
                        continue
                    if n == step.resume_at and step.in_flight \
                            and reconcile(self.conn, stmt, self.on_event) is Verdict.DONE:
                        if self.on_event:
                            self.on_event(f"{doc.file.display}:{stmt.line}: {stmt.no_transaction} was in flight "
                                          "when an earlier attempt died, and had completed: recorded as done")
                        self.conn.execute(history.progress_sql(self.schema, step.key, n, digest, history.DONE))
                        continue
                    self._drop_invalid_index(stmt)
                    self.conn.execute(history.progress_sql(self.schema, step.key, n, digest, history.RUNNING))
                    self._with_retries(doc, timeouts, lambda t, s=stmt: self._statement_alone(doc, s, t),  # type: ignore[misc]
                                       stmt)
                    self.conn.execute(history.progress_sql(self.schema, step.key, n, digest, history.DONE))
                except LockTimeout as exc:
                    self._forget_running(step, n)
                    raise StepFailed(exc, n) from None
                except DatabaseError as exc:
                    if stmt.no_transaction is not None and not self.conn.closed:
                        self._drop_invalid_index(stmt, report=True)
                        self._forget_running(step, n)
                    raise StepFailed(exc, n) from None
        finally:
            if not self.conn.closed:
                self.conn.execute(RESET_TIMEOUTS)
        ms = (time.perf_counter() - t0) * 1000
        with self.conn.transaction():
            self._record(step, doc, round(ms, 3))
        return self._result(step, doc, ms)

    def _statement_in_transaction(self, step: Step, doc: SqlDocument, stmt: Statement, n: int, digest: str,
                                  timeouts: Timeouts) -> None:
        with self.conn.transaction():
            self.conn.execute(timeouts_sql(timeouts, local=True))
            self._exec(doc, stmt)
            self.conn.execute(history.progress_sql(self.schema, step.key, n, digest, history.DONE))

    def _statement_alone(self, doc: SqlDocument, stmt: Statement, timeouts: Timeouts) -> None:
        self.conn.execute(timeouts_sql(timeouts, local=False))
        try:
            self._exec(doc, stmt)
        except pgerrors.LockNotAvailable:
            self._drop_invalid_index(stmt)  # a concurrent build that timed out on its lock leaves one
            raise

    def _forget_running(self, step: Step, n: int) -> None:
        """A statement that failed cleanly is not in flight: the next attempt runs it (edited or not) anew."""
        with contextlib.suppress(psycopg.Error):
            self.conn.execute(history.forget_progress_sql(self.schema, step.key, n))

    def _drop_invalid_index(self, stmt: Statement, report: bool = False) -> None:
        """A failed CREATE INDEX CONCURRENTLY leaves an INVALID index: drop it before (re)trying the build."""
        node = stmt.node
        if not (isinstance(node, ast.IndexStmt) and node.concurrent and node.idxname and node.relation):
            return
        if report:  # after a failure: leave it for `status` to show and for the retry to drop
            if self.on_event and index_state(self.conn, node.relation, node.idxname) is False:
                self.on_event(f"{node.idxname} is INVALID after the failed build; the next migrate drops it "
                              "before retrying (or run `pgmanager repair --drop-invalid-indexes`)")
            return
        drop_invalid_index(self.conn, node.relation, node.idxname, self.on_event)

    # -- bookkeeping

    def _record(self, step: Step, doc: SqlDocument, ms: float | None) -> None:
        history.record(self.conn, self.schema, key=step.key, kind=step.kind, name=doc.file.name,
                       checksum=step.checksum, script=history.script_of(doc.file), execution_ms=ms)
        for q in self._extra(step):
            self.conn.execute(q)

    def _extra(self, step: Step) -> list[sql.Composed]:
        return self.also_record(step) if self.also_record else []

    def _remember_failure(self, step: Step, done: int, error: DatabaseError) -> None:
        # A read-only target cannot take the note; the error itself is what matters then.
        with contextlib.suppress(psycopg.Error):
            history.record_failure(self.conn, self.schema, key=step.key, checksum=step.checksum,
                                   statements_done=done, error=str(error))

    def _result(self, step: Step, doc: SqlDocument, ms: float) -> StepResult:
        return StepResult(key=step.key, file=step.file, kind=step.kind,
                          action=StepOutcome.APPLIED if step.action == StepAction.APPLY else StepOutcome.REAPPLIED,
                          transactional=step.transactional, statements=len(doc.statements),
                          duration_ms=round(ms, 3))


def rollback_step(conn: psycopg.Connection, settings: Settings, migration_key: str, doc: SqlDocument,
                  on_event: EventFn | None = None) -> StepResult:
    """Run a rollback file and forget the migration, in one transaction (unless it needs none)."""
    timeouts = Timeouts.for_doc(settings, doc)
    t0 = time.perf_counter()
    applier = Applier(conn, settings, {doc.file.display: doc}, on_event=on_event)

    def undo(t: Timeouts) -> None:
        with conn.transaction():
            conn.execute(timeouts_sql(t, local=True))
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
    return StepResult(key=migration_key, file=doc.file.display, kind=FileKind.ROLLBACK, action=StepOutcome.ROLLED_BACK,
                      transactional=doc.transactional, statements=len(doc.statements),
                      duration_ms=round((time.perf_counter() - t0) * 1000, 3))
