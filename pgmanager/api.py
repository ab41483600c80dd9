"""The library: one plain function per command. Returns models, raises PgmError, never prints.

The CLI, the JSON task protocol and the MCP server all call these functions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from . import __version__
from .config import Settings, load_settings
from .db import connect, describe, redact
from .errors import DatabaseError, InputError, PlanError
from .migrate import Applier, make_plan, parse_all, rollback_step
from .migrate import history as _history
from .models import CheckReport, FileKind, Finding, HistoryRow, MigrateResult, Plan, SandboxInfo, StepResult
from .parse import parse_file
from .project import Project, inputs_checksum, load_project
from .sandbox import STATE_ROOT, FunctionMigrator, LocalCluster, Sandbox, open_sandbox

ProgressFn = Callable[[Any, int, int], None]


def load(root: Path | None = None, **overrides: Any) -> tuple[Settings, Project]:
    """Settings and the project's files, read once."""
    settings = load_settings(root, **overrides)
    return settings, load_project(settings)


def findings(project: Project, *, include_seed: bool = True) -> list[Finding]:
    """Every problem that stops a file from being used: unreadable, misnamed, unparseable."""
    out = list(project.problems)
    for f in project.all_files():
        if f.kind == FileKind.SEED and not include_seed:
            continue
        doc = parse_file(f)
        if doc.error:
            out.append(doc.error)
        out.extend(doc.problems)
    return out


def _require_clean(project: Project) -> None:
    problems = findings(project)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise InputError(first.message + more, where=first.location)


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
    _require_clean(project)  # every file parses before any SQL runs
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
    _require_clean(project)
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
    _require_clean(project)
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


# ------------------------------------------------------------------ sandbox builds


def build_database(settings: Settings, project: Project, dsn: str, *, seed: bool = True,
                   on_step: ProgressFn | None = None) -> MigrateResult:
    """Everything into one database: auth emulation, migrations, repeatables, then the seed."""
    result = migrate(settings, project, dsn, on_step=on_step)
    if seed and project.seed is not None:
        doc = parse_file(project.seed)
        t0 = time.perf_counter()
        with _connected(dsn) as conn, conn.transaction():
            applier = Applier(conn, settings, {doc.file.display: doc})
            for stmt in doc.statements:
                applier._exec(doc, stmt)
        seed_step = StepResult(key=doc.file.display, file=doc.file.display, kind=FileKind.SEED, action="applied",
                               statements=len(doc.statements), duration_ms=round((time.perf_counter() - t0) * 1000, 3))
        result = result.model_copy(update={"steps": [*result.steps, seed_step]})
    return result


def project_migrator(settings: Settings, project: Project, *, seed: bool = True) -> FunctionMigrator:
    """The sandbox's migrator for this project: keyed by every input file, builds with build_database."""
    files = [f for f in project.all_files() if f.kind != FileKind.ROLLBACK and (seed or f.kind != FileKind.SEED)]
    digest = inputs_checksum(files, __version__, settings.history_schema, str(seed))

    def build(dsn: str) -> None:
        build_database(settings, project, dsn, seed=seed)

    return FunctionMigrator(digest, build)


def check(settings: Settings, project: Project, *, sandbox: str | None = None, sandbox_dsn: str | None = None,
          keep: bool = False, seed: bool = True, on_step: ProgressFn | None = None) -> CheckReport:
    """The main job: parse everything, build it in a sandbox, report what was applied and how long it took."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    problems = findings(project, include_seed=seed)
    files = project.all_files()
    statements = sum(len(parse_file(f).statements) for f in files)
    timings["parse"] = round((time.perf_counter() - t0) * 1000, 3)
    if problems:
        return CheckReport(ok=False, files=len(files), statements=statements, findings=problems, timings_ms=timings)
    result: MigrateResult | None = None

    def build(dsn: str) -> None:
        nonlocal result
        result = build_database(settings, project, dsn, seed=seed, on_step=on_step)

    migrator = project_migrator(settings, project, seed=seed)
    t1 = time.perf_counter()
    with open_sandbox(sandbox or settings.sandbox, sandbox_dsn=sandbox_dsn or settings.sandbox_dsn,
                      keep=keep) as box:
        timings["sandbox_start"] = round((time.perf_counter() - t1) * 1000, 3)
        t2 = time.perf_counter()
        template = box.template(FunctionMigrator(migrator.hash, build))
        timings["build"] = round((time.perf_counter() - t2) * 1000, 3)
        t3 = time.perf_counter()
        clone = box.clone(template)
        timings["clone"] = round((time.perf_counter() - t3) * 1000, 3)
        info = box.info(clone)
    timings["total"] = round((time.perf_counter() - t0) * 1000, 3)
    return CheckReport(ok=True, sandbox=info, files=len(files), statements=statements, migrate=result,
                       timings_ms=timings)


# ------------------------------------------------------------------ sandbox up / down

def _state_file(settings: Settings) -> Path:
    import hashlib

    return STATE_ROOT / f"up-{hashlib.sha256(str(settings.root).encode()).hexdigest()[:12]}.json"


def sandbox_up(settings: Settings, project: Project, *, sandbox: str | None = None,
               sandbox_dsn: str | None = None, seed: bool = True) -> SandboxInfo:
    """Start a sandbox holding the built project and leave it running; `sandbox_down` stops it."""
    state = _state_file(settings)
    if state.exists():
        data = json.loads(state.read_text())
        raise PlanError(f"a sandbox is already up for this project: {data['dsn']}", where="sandbox up",
                        hint="run `pgmanager sandbox down` first")
    _require_clean(project)
    with open_sandbox(sandbox or settings.sandbox, sandbox_dsn=sandbox_dsn or settings.sandbox_dsn) as box:
        template = box.template(project_migrator(settings, project, seed=seed))
        name = box.templates.clone(template, "pgmanager")
        info = box.info(name)
        _detach(box, state, name)
    return info


def _detach(box: Sandbox, state: Path, dbname: str) -> None:
    server = box.server
    data: dict[str, Any] = {"provider": box.provider, "dsn": redact(box.dsn(dbname)), "database": dbname}
    cluster = getattr(server, "cluster", None)
    if isinstance(cluster, LocalCluster):
        data.update(folder=str(cluster.folder), bindir=str(cluster.bindir))
    container = getattr(server, "container", None)
    if container is not None:
        data["container"] = container.get_wrapped_container().id
    if box.provider == "dsn":
        data["admin_dsn"] = box.dsn()
    server.detach()
    server.stop = lambda: None  # type: ignore[method-assign]  # leave it running
    if box.provider == "dsn":
        box.templates.created.discard(dbname)  # the template goes, the served database stays
    else:
        box.templates.created.clear()  # the whole server stays up
    STATE_ROOT.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps(data))
    state.chmod(0o600)


def sandbox_down(settings: Settings) -> str:
    """Stop the sandbox `sandbox_up` started for this project; returns what was stopped."""
    state = _state_file(settings)
    if not state.exists():
        raise PlanError("no sandbox is up for this project", where="sandbox down")
    data = json.loads(state.read_text())
    if "folder" in data:
        LocalCluster(bindir=Path(data["bindir"]), folder=Path(data["folder"]), port=0).destroy()
    elif "container" in data:
        import docker

        docker.from_env().containers.get(data["container"]).remove(force=True)
    elif "admin_dsn" in data:
        from .sandbox import Templates

        Templates(data["admin_dsn"], lambda n: n).drop(data["database"])
    state.unlink()
    return f"{data['provider']} sandbox {data['dsn']}"
