"""Api functions for migrating a live database: migrate, plan, history, rollback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from ..config import Settings
from ..db import connect, describe, redact
from ..errors import DatabaseError, PlanError
from ..migrate import Applier, make_plan, parse_all, rollback_step
from ..migrate import history as _history
from ..models import FileKind, HistoryRow, MigrateResult, Plan, StepResult
from ..parse import parse_file
from ..project import Project
from ._core import require_clean

ProgressFn = Callable[[Any, int, int], None]


# ------------------------------------------------------------------ migrate


def is_supabase(conn: psycopg.Connection) -> bool:
    row = conn.execute("select exists (select 1 from pg_roles where rolname = 'supabase_admin')").fetchone()
    return bool(row and row[0])


def _check_writable(conn: psycopg.Connection, where: str) -> None:
    row = conn.execute("select pg_is_in_recovery(), current_setting('transaction_read_only')").fetchone()
    if row and (row[0] or row[1] == "on"):
        reason = "a standby in recovery" if row[0] else "read-only (default_transaction_read_only)"
        raise DatabaseError(f"target is {reason}: nothing applied", where=where, sqlstate="25006")


@contextmanager
def _locked(conn: psycopg.Connection) -> Iterator[None]:
    """One runner at a time: a session advisory lock, released by the server if we die."""
    conn.execute("select pg_advisory_lock(%s)", [_history.LOCK_KEY])
    try:
        yield
    finally:
        if not conn.closed:
            conn.execute("select pg_advisory_unlock(%s)", [_history.LOCK_KEY])


def _plan_on(conn: psycopg.Connection, settings: Settings, project: Project, *, to: str | None,
             allow_out_of_order: bool) -> tuple[Plan, dict[str, Any]]:
    applied = _history.read(conn, settings.history_schema)
    emulate = bool(project.auth_emulation) and not is_supabase(conn)
    files = [*project.migrations, *project.repeatables, *([project.auth_emulation] if emulate else [])]
    docs = parse_all(f for f in files if f is not None)
    plan = make_plan(project, applied, docs=docs, include_auth_emulation=emulate, to=to,
                     allow_out_of_order=allow_out_of_order)
    return plan, docs


def _refuse_blocked(plan: Plan) -> None:
    if plan.drift:
        d = plan.drift[0]
        more = f" (and {len(plan.drift) - 1} more)" if len(plan.drift) > 1 else ""
        raise PlanError(f"applied migration changed since it ran ({d.summary}){more}; revert the edit, or accept "
                        "it with `pgmanager repair`", where=d.file)
    if plan.unknown_applied:
        raise PlanError("the target has a newer schema than this project knows: applied migration(s) "
                        + ", ".join(plan.unknown_applied) + " have no file here; update your checkout",
                        where="migrations")


def migrate(settings: Settings, project: Project, dsn: str, *, to: str | None = None,
            allow_out_of_order: bool = False, on_step: ProgressFn | None = None) -> MigrateResult:
    """Apply pending migrations and changed repeatables to ``dsn``, under the advisory lock."""
    require_clean(project)  # every file parses before any SQL runs
    t0 = time.perf_counter()
    where = describe(dsn)
    conn = connect(dsn)
    try:
        _check_writable(conn, where)
        with _locked(conn):
            plan, docs = _plan_on(conn, settings, project, to=to, allow_out_of_order=allow_out_of_order)
            _refuse_blocked(plan)
            steps = Applier(conn, settings, docs, on_step=on_step).run(plan)
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"connection lost: {redact(str(exc).strip().splitlines()[0])}", where=where) from None
    finally:
        conn.close()
    return MigrateResult(target=redact(dsn) or where, steps=steps,
                         duration_ms=round((time.perf_counter() - t0) * 1000, 3))


def plan(settings: Settings, project: Project, dsn: str, *, to: str | None = None,
         allow_out_of_order: bool = False) -> Plan:
    """What migrate would do (reads the history under the same lock)."""
    require_clean(project)
    with _connected(dsn) as conn, _locked(conn):
        return _plan_on(conn, settings, project, to=to, allow_out_of_order=allow_out_of_order)[0]


@contextmanager
def _connected(dsn: str) -> Iterator[psycopg.Connection]:
    conn = connect(dsn)
    try:
        yield conn
    finally:
        conn.close()


def history(settings: Settings, dsn: str) -> list[HistoryRow]:
    with _connected(dsn) as conn:
        return list(_history.read(conn, settings.history_schema).values())


def rollback(settings: Settings, project: Project, dsn: str, *, to: str | None = None, last: int | None = None
             ) -> list[StepResult]:
    """Undo applied migrations newest first with their rollback files; refuse if one has none."""
    require_clean(project)
    with _connected(dsn) as conn, _locked(conn):
        applied = sorted((k for k, r in _history.read(conn, settings.history_schema).items()
                          if r.kind == FileKind.MIGRATION), reverse=True)
        if to is not None:
            if to not in applied:
                raise PlanError(f"migration {to} is not applied", where="--to")
            keys = [k for k in applied if k > to]
        else:
            keys = applied[: last or 1]
        missing = [k for k in keys if k not in project.rollbacks]
        if missing:
            m = project.migration(missing[0])
            raise PlanError("no rollback file: cannot undo this migration (write "
                            f"{m.display.removesuffix('.sql') + '.rollback.sql' if m else missing[0]})",
                            where=m.display if m else missing[0])
        return [rollback_step(conn, settings, k, parse_file(project.rollbacks[k])) for k in keys]
