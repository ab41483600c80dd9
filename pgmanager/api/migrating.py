"""Api functions for migrating a live database: plan, migrate, status, history, rollback, repair."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import psycopg

from ..analyze import locks_of
from ..config import Settings
from ..db import describe, redact
from ..errors import PgmError, PlanError
from ..migrate import (
    Applier,
    Timeouts,
    invalid_index_models,
    make_plan,
    parse_all,
    render_sql,
    rollback_step,
    status_entries,
    supabase,
)
from ..migrate import history as _history
from ..migrate.plan import Progress, statement_checksum
from ..migrate.rehearse import clone_schema
from ..migrate.script import drop_invalid_index_sql
from ..migrate.session import check_writable, connected, runner_lock
from ..models import (
    FileKind,
    HistoryRow,
    LockDetail,
    MigrateResult,
    Plan,
    PlanReport,
    RepairResult,
    Risk,
    SqlFile,
    StatementDetail,
    StatusReport,
    StepDetail,
    StepResult,
)
from ..parse import SqlDocument, created_names, parse_file
from ..project import Project, normalize
from . import adopting
from .inputs import require_clean

if TYPE_CHECKING:
    from ..analyze.locks import LockInfo
    from ..migrate.sizes import Rate, TableSize

ProgressFn = Callable[[Any, int, int], None]
EventFn = Callable[[str], None]
OFFLINE = "offline (planned against an empty database)"


# ------------------------------------------------------------------ helpers


def _runner_lock(conn: psycopg.Connection, settings: Settings, where: str,
                 on_event: EventFn | None = None) -> AbstractContextManager[None]:
    return runner_lock(conn, wait_ms=settings.lock_wait_ms, where=where, on_event=on_event)


def _files(project: Project, emulate: bool) -> list[Any]:
    return [*project.migrations, *project.repeatables, *([project.auth_emulation] if emulate else [])]


def _plan_from(settings: Settings, project: Project, applied: Mapping[str, HistoryRow], emulate: bool, *,
               to: str | None, allow_out_of_order: bool, progress: Mapping[str, Progress] | None = None
               ) -> tuple[Plan, dict[str, SqlDocument]]:
    docs = parse_all(f for f in _files(project, emulate) if f is not None)
    plan = make_plan(project, applied, docs=docs, include_auth_emulation=emulate, to=to,
                     allow_out_of_order=allow_out_of_order, progress=progress)
    return plan, docs


def _plan_on(conn: psycopg.Connection, settings: Settings, project: Project, *, to: str | None,
             allow_out_of_order: bool, target: supabase.Target | None = None) -> tuple[Plan, dict[str, SqlDocument]]:
    """The plan on a live target; on a Supabase one, with the CLI's history and without our auth emulation."""
    target = target or supabase.detect(conn, forced=settings.supabase)
    applied = adopting.applied_rows(conn, settings, project, target.supabase)
    emulate = bool(project.auth_emulation) and not target.supabase
    return _plan_from(settings, project, applied, emulate, to=to, allow_out_of_order=allow_out_of_order,
                      progress=_history.progress(conn, settings.history_schema))


def _refuse_blocked(plan: Plan, project: Project, where: str, allow_out_of_order: bool) -> None:
    if plan.drift:
        d = plan.drift[0]
        more = f" (and {len(plan.drift) - 1} more)" if len(plan.drift) > 1 else ""
        raise PlanError(f"applied migration changed since it ran ({d.summary}){more}; revert the edit, or accept "
                        "it with `pgmanager repair --accept-checksums`", where=d.file)
    if plan.unknown_applied:
        raise PlanError("the target has a newer schema than this project knows: applied migration(s) "
                        + ", ".join(plan.unknown_applied) + " have no file here; update your checkout",
                        where=where)
    if plan.out_of_order and not allow_out_of_order:
        first = project.migration(plan.out_of_order[0])
        raise PlanError(f"pending migration is older than the newest applied one ({len(plan.out_of_order)} out of "
                        "order; branches merged in parallel?); review it, then migrate with --allow-out-of-order",
                        where=first.display if first else plan.out_of_order[0])


# ------------------------------------------------------------------ plan


def _details(plan: Plan, docs: Mapping[str, SqlDocument], settings: Settings,
             sizes: Mapping[str, TableSize] | None = None, rate: Rate | None = None) -> list[StepDetail]:
    """Per step and statement its locks; with ``sizes`` (plan --dsn) each lock's table size and risk.

    A table created earlier in the plan (this file or an earlier pending one) is empty when the statement
    runs: it gets no size and no risk, whatever the target holds under that name now."""
    if not plan.steps:
        return []
    # the lock reporting is plan's alone: imported here, out of migrate's start-up
    from ..analyze.migration import lock_detail, statement_summary
    from ..analyze.risk import DEFAULT_RATE_MB_S, grade

    fresh: set[str] = set()
    mb_s = rate.mb_s if rate else DEFAULT_RATE_MB_S

    def detail(i: LockInfo) -> LockDetail:
        new = i.table in fresh
        base = lock_detail(i, new=new)
        if sizes is None:
            return base
        size = None if new or not i.table else sizes.get(i.table)
        g = grade(i.lock, i.table, rewrites=i.rewrites, scans=i.scans, heap_bytes=size.heap_bytes if size else None,
                  total_bytes=size.total_bytes if size else None, rate_mb_s=mb_s, new=new)
        return base.model_copy(update={
            "rows": size.rows if size else None, "bytes": size.heap_bytes if size else None,
            "total_bytes": size.total_bytes if size else None, "risk": g.risk.value if g else None,
            "risk_reason": g.reason if g else None,
            "estimate_s": float(f"{g.estimate_s:.3g}") if g and g.estimate_s is not None else None})

    out = []
    for step in plan.steps:
        doc = docs[step.file]
        t = Timeouts.for_doc(settings, doc) if not step.kind.repeatable else Timeouts.default(settings)
        statements = []
        for s in doc.statements:
            made = created_names(s.node)
            # "or replace" may hit an object in use; "if not exists" does nothing to a table the target has
            if not getattr(s.node, "replace", False) and not (
                    getattr(s.node, "if_not_exists", False) and sizes is not None and made & sizes.keys()):
                fresh |= made
            statements.append(StatementDetail(
                line=s.line, col=s.col, kind=s.kind,
                summary=statement_summary(s),
                transactional=s.no_transaction is None and step.transactional,
                locks=[detail(i) for i in locks_of(s)]))
        risks = [Risk(lk.risk) for st in statements for lk in st.locks if lk.risk is not None]
        out.append(StepDetail(step=step, statements=statements, lock_timeout_ms=t.lock_timeout_ms,
                              lock_timeout_max_ms=t.cap_ms, statement_timeout_ms=t.statement_timeout_ms,
                              lock_retries=t.lock_retries, lock_wait_bound_s=round(t.worst_case_s(), 1),
                              risk=max(risks, key=lambda r: r.rank).value if risks else None))
    return out


def plan(settings: Settings, project: Project, dsn: str | None, *, to: str | None = None,
         allow_out_of_order: bool = False, with_sql: bool = False) -> PlanReport:
    """What migrate would do, per statement; ``dsn`` None plans offline against an empty database.

    Reads the target's history (no lock, no write): the same plan `migrate` makes under its lock.
    Online it also reads the size of every table the plan locks, and when one holding data is rewritten or
    scanned, measures the copy rate in a rolled-back transaction (a temp table; pgmanager.migrate.sizes).
    """
    from ..migrate.sizes import live_facts  # see _details

    require_clean(project)
    sizes: dict[str, TableSize] | None = None
    rate: Rate | None = None
    if dsn is None:
        target = OFFLINE
        the_plan, docs = _plan_from(settings, project, {}, bool(project.auth_emulation), to=to,
                                    allow_out_of_order=allow_out_of_order)
    else:
        with connected(dsn) as conn:  # connecting registers the DSN's password: redact() removes it
            target = redact(dsn) or describe(dsn)
            the_plan, docs = _plan_on(conn, settings, project, to=to, allow_out_of_order=allow_out_of_order)
            sizes, rate = live_facts(conn, (i for step in the_plan.steps for s in docs[step.file].statements
                                            for i in locks_of(s)))
    text = render_sql(the_plan, docs, settings, target=describe(dsn) if dsn else "an empty database") \
        if with_sql else None
    return PlanReport(target=target, plan=the_plan, details=_details(the_plan, docs, settings, sizes, rate), sql=text,
                      rate_mb_s=rate.mb_s if rate else None, rate_measured=bool(rate and rate.measured),
                      rate_note=rate.note if rate else "")


# ------------------------------------------------------------------ migrate


def _rehearse(settings: Settings, project: Project, dsn: str, *, to: str | None, allow_out_of_order: bool,
              sandbox: str | None, sandbox_dsn: str | None) -> None:
    """Apply the same plan to a schema-only copy of the target first; raise PlanError if it fails there."""
    from ..sandbox import find_local_bindir, open_sandbox  # only a rehearsal needs a sandbox: kept out of start-up

    with open_sandbox(sandbox or settings.sandbox, sandbox_dsn=sandbox_dsn or settings.sandbox_dsn,
                      image=settings.sandbox_image) as box:
        name = clone_schema(dsn, box.dsn(), box.dsn, find_local_bindir(), settings.history_schema)
        box.templates.created.add(name)  # dropped with the sandbox
        try:
            migrate(settings, project, box.dsn(name), to=to, allow_out_of_order=allow_out_of_order)
        except PgmError as exc:
            raise PlanError(f"rehearsal on a schema-only copy of the target failed, nothing applied: {exc.message}",
                            where=exc.where, hint=exc.hint) from None


def migrate(settings: Settings, project: Project, dsn: str, *, to: str | None = None,
            allow_out_of_order: bool = False, on_step: ProgressFn | None = None, on_event: EventFn | None = None,
            rehearse: bool = False, sandbox: str | None = None, sandbox_dsn: str | None = None) -> MigrateResult:
    """Apply pending migrations and changed repeatables to ``dsn``, under the advisory lock.

    Every file parses before any SQL runs. With ``rehearse`` the plan first runs on a sandbox copy of
    the target's schema (pg_dump --schema-only), still under the target's lock, and stops there on failure.
    """
    require_clean(project)
    t0 = time.perf_counter()
    where = describe(dsn)
    with connected(dsn) as conn:
        check_writable(conn, where)
        with _runner_lock(conn, settings, where, on_event):
            target = supabase.detect(conn, forced=settings.supabase)
            the_plan, docs = _plan_on(conn, settings, project, to=to, allow_out_of_order=allow_out_of_order,
                                      target=target)
            _refuse_blocked(the_plan, project, where, allow_out_of_order)
            also = _supabase_rows(conn, the_plan, docs, target, on_event)
            adopting.take_over(conn, settings, project, on_event, target.supabase)
            if rehearse and the_plan.steps:
                if on_event:
                    on_event(f"rehearsing {len(the_plan.steps)} step(s) on a schema-only copy of {where}")
                _rehearse(settings, project, dsn, to=to, allow_out_of_order=allow_out_of_order, sandbox=sandbox,
                          sandbox_dsn=sandbox_dsn)
            steps = Applier(conn, settings, docs, on_step=on_step, on_event=on_event, also_record=also).run(the_plan)
    return MigrateResult(target=redact(dsn) or where, steps=steps,
                         duration_ms=round((time.perf_counter() - t0) * 1000, 3))


def _supabase_rows(conn: psycopg.Connection, plan: Plan, docs: Mapping[str, SqlDocument], target: supabase.Target,
                   on_event: EventFn | None) -> Callable[[Any], list[Any]] | None:
    """On a Supabase target: refuse a pending file the CLI cannot record, create the CLI's table, and give the
    Applier the CLI's row of each migration; else None."""
    if not target.supabase:
        return None
    pending = [docs[s.file].file for s in plan.steps if s.kind == FileKind.MIGRATION]
    supabase.unrecordable(pending)
    if on_event:
        on_event(f"Supabase target ({target.reason}): our auth emulation is skipped and each migration is also "
                 f"recorded in {supabase.SCHEMA}.{supabase.TABLE}, as the Supabase CLI records it")
    if pending:
        with conn.transaction():
            for stmt in supabase.ensure_sql():
                conn.execute(stmt)
    return lambda step: [supabase.file_record(docs[step.file].file)] if step.kind == FileKind.MIGRATION else []


# ------------------------------------------------------------------ status, history


def status(settings: Settings, project: Project, dsn: str) -> StatusReport:
    """Applied, pending, drifted, out-of-order, failed and unknown migrations, and INVALID indexes."""
    require_clean(project)
    with connected(dsn) as conn:
        on_supabase = supabase.detect(conn, forced=settings.supabase).supabase
        applied = adopting.applied_rows(conn, settings, project, on_supabase)
        failures = _history.failures(conn, settings.history_schema)
        progress = _history.progress(conn, settings.history_schema)
        invalid = _history.invalid_indexes(conn)
    return StatusReport(target=redact(dsn) or describe(dsn),
                        entries=status_entries(project, applied, failures, progress),
                        invalid_indexes=invalid_index_models(invalid))


def history(settings: Settings, dsn: str) -> list[HistoryRow]:
    with connected(dsn) as conn:
        return list(_history.read(conn, settings.history_schema).values())


# ------------------------------------------------------------------ rollback


def rollback(settings: Settings, project: Project, dsn: str, *, to: str | None = None, last: int | None = None,
             on_event: EventFn | None = None) -> list[StepResult]:
    """Undo applied migrations newest first with their rollback files; refuse if one has none.

    Every rollback file needed is checked (present, parses) before the first one runs.
    """
    require_clean(project)
    where = describe(dsn)
    with connected(dsn) as conn:
        check_writable(conn, where)
        with _runner_lock(conn, settings, where, on_event):
            order = project.version_order()
            applied = sorted((k for k, r in _history.read(conn, settings.history_schema).items()
                              if r.kind == FileKind.MIGRATION), key=order, reverse=True)
            if to is not None:
                if to not in applied:
                    raise PlanError(f"migration {to} is not applied", where="--to")
                keys = [k for k in applied if order(k) > order(to)]
            else:
                keys = applied[: last or 1]
            if last is not None and last > len(applied):
                raise PlanError(f"only {len(applied)} migration(s) are applied", where="--last")
            missing = [k for k in keys if k not in project.rollbacks]
            if missing:
                m = project.migration(missing[0])
                raise PlanError("no rollback file: cannot undo this migration (write "
                                f"{m.display.removesuffix('.sql') + '.rollback.sql' if m else missing[0]}); "
                                "nothing was rolled back", where=m.display if m else missing[0])
            return [rollback_step(conn, settings, k, parse_file(project.rollbacks[k]), on_event=on_event)
                    for k in keys]


# ------------------------------------------------------------------ repair


def _accept_progress(conn: psycopg.Connection, schema: str, mig: SqlFile, done: Progress) -> list[str]:
    """Accept edits to statements an interrupted attempt already ran: they count as done as they are now."""
    statements = parse_file(mig).statements
    actions = []
    for n, (digest, state) in enumerate(done):
        if n < len(statements) and statement_checksum(statements[n]) != digest:
            conn.execute(_history.progress_sql(schema, mig.key, n, statement_checksum(statements[n]), state))
            actions.append(f"{mig.display}: accepted the edited statement {n + 1} (line {statements[n].line}) "
                           "as the one an interrupted attempt ran")
    return actions


def repair(settings: Settings, project: Project, dsn: str, *, accept_checksums: bool = False,
           mark_applied: list[str] | None = None, mark_not_applied: list[str] | None = None,
           drop_invalid_indexes: bool = False, on_event: EventFn | None = None) -> RepairResult:
    """Fix the bookkeeping on purpose, never the schema (except INVALID indexes, which hold no data).

    - ``accept_checksums``: record the current checksum of every applied migration whose file changed;
    - ``mark_applied``: record migrations as applied without running them (baseline an existing database);
    - ``mark_not_applied``: forget migrations without running their rollback;
    - ``drop_invalid_indexes``: DROP INDEX CONCURRENTLY every INVALID index left by a failed concurrent build.
    """
    require_clean(project)
    where = describe(dsn)
    actions: list[str] = []
    for key in [*(mark_applied or []), *(mark_not_applied or [])]:
        if project.migration(key) is None:
            raise PlanError(f"no migration with version {key} in this project", where="--mark-applied"
                            if key in (mark_applied or []) else "--mark-not-applied")
    with connected(dsn) as conn:
        check_writable(conn, where)
        with _runner_lock(conn, settings, where, on_event):
            _history.ensure(conn, settings.history_schema)
            on_supabase = supabase.detect(conn, forced=settings.supabase).supabase
            adopting.take_over(conn, settings, project, on_event, on_supabase)
            applied = _history.read(conn, settings.history_schema)
            schema = settings.history_schema
            with conn.transaction():
                if accept_checksums:
                    progress = _history.progress(conn, schema)
                    for m in project.migrations:
                        row = applied.get(m.key)
                        if row is not None and row.checksum != m.checksum:
                            _history.update_checksum(conn, schema, m.key, m.checksum, normalize(m.text))
                            actions.append(f"{m.display}: accepted the edited file (checksum {m.checksum[:12]})")
                        elif row is None and m.key in progress:
                            actions += _accept_progress(conn, schema, m, progress[m.key])
                for key in mark_applied or []:
                    mig = project.migration(key)
                    assert mig is not None
                    if key in applied:
                        actions.append(f"{mig.display}: already applied, left as is")
                        continue
                    _history.record(conn, schema, key=mig.key, kind=mig.kind, name=mig.name, checksum=mig.checksum,
                                    script=_history.script_of(mig), execution_ms=0.0)
                    actions.append(f"{mig.display}: marked applied (not run)")
                for key in mark_not_applied or []:
                    mig = project.migration(key)
                    assert mig is not None
                    if key not in applied and key in _history.progress(conn, schema):
                        _history.forget(conn, schema, key)
                        actions.append(f"{mig.display}: forgot the statements an interrupted attempt did (they were "
                                       "not undone); the next migrate runs the whole file")
                        continue
                    if key not in applied:
                        actions.append(f"{mig.display}: not applied, left as is")
                        continue
                    _history.forget(conn, schema, key)
                    actions.append(f"{mig.display}: marked not applied (its rollback was not run)")
            if drop_invalid_indexes:
                for s, name, table, _ in _history.invalid_indexes(conn):
                    conn.execute(drop_invalid_index_sql(s, name))
                    actions.append(f"dropped INVALID index {s}.{name} on {table}")
    if on_event:
        for a in actions:
            on_event(a)
    return RepairResult(target=redact(dsn) or where, actions=actions)
