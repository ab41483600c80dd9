"""Core api functions: load, check, build, migrate, rollback, sandbox up/down."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Settings, load_settings
from ..db import connection, redact
from ..errors import ConfigError, InputError, PlanError
from ..migrate import Applier
from ..models import CheckReport, FileKind, Finding, MigrateResult, SandboxInfo, StepResult
from ..parse import parse_file
from ..project import Project, inputs_checksum, load_project
from ..sandbox import STATE_ROOT, FunctionMigrator, LocalCluster, Sandbox, open_sandbox

ProgressFn = Callable[[Any, int, int], None]


def load(root: Path | None = None, **overrides: Any) -> tuple[Settings, Project]:
    """Settings and the project's files, read once."""
    settings = load_settings(root, **overrides)
    return settings, load_project(settings)


def findings(project: Project, *, include_seed: bool = True) -> list[Finding]:
    """Every problem that stops a file from being used: unreadable, misnamed, unparseable.

    Raises ConfigError when the migrations folder does not exist: the commands that build or
    migrate (check, plan, migrate, status, rollback, repair, verify) would see an empty project.
    """
    if project.missing_folders:
        setting, folder = next(iter(project.missing_folders.items()))
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigError(f"{setting} folder {folder} {what}", where=project.settings.source(setting),
                          hint="run from the project folder, pass -C/--project DIR, or fix the setting")
    out = list(project.problems)
    for f in project.all_files():
        if f.kind == FileKind.SEED and not include_seed:
            continue
        doc = parse_file(f)
        if doc.error:
            out.append(doc.error)
        out.extend(doc.problems)
    return out


def require_clean(project: Project) -> None:
    problems = findings(project)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise InputError(first.message + more, where=first.location)


# ------------------------------------------------------------------ sandbox builds


def build_database(settings: Settings, project: Project, dsn: str, *, seed: bool = True,
                   on_step: ProgressFn | None = None) -> MigrateResult:
    """Everything into one database: auth emulation, migrations, repeatables, then the seed."""
    from ._migrate import migrate

    result = migrate(settings, project, dsn, on_step=on_step)
    if seed and project.seed is not None:
        doc = parse_file(project.seed)
        t0 = time.perf_counter()
        with connection(dsn) as conn, conn.transaction():
            Applier(conn, settings, {doc.file.display: doc}).run_statements(doc)
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
          keep: bool = False, seed: bool = True, lint: bool = True, style: bool = True, verify: bool = True,
          on_step: ProgressFn | None = None) -> CheckReport:
    """The main job: parse everything, lint it, build it in a sandbox and verify its RLS policies there.

    Reports what was applied and how long each stage took. Lint and verification failures make the
    report not ok; a file that cannot be used stops everything before the sandbox starts.
    """
    from ._lint import lint as run_lint
    from ._verify import verify as run_verify

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    problems = findings(project, include_seed=seed)
    files = project.all_files()
    statements = sum(len(parse_file(f).statements) for f in files)
    timings["parse"] = _ms_since(t0)
    if problems:
        return CheckReport(ok=False, files=len(files), statements=statements, findings=problems,
                           timings_ms=timings)
    lint_report = None
    if lint:
        t = time.perf_counter()
        lint_report = run_lint(settings, project, style=style)
        timings["lint"] = _ms_since(t)
    result: MigrateResult | None = None

    def build(dsn: str) -> None:
        nonlocal result
        result = build_database(settings, project, dsn, seed=seed, on_step=on_step)

    migrator = project_migrator(settings, project, seed=seed)
    t1 = time.perf_counter()
    verify_report = None
    with open_sandbox(sandbox or settings.sandbox, sandbox_dsn=sandbox_dsn or settings.sandbox_dsn,
                      keep=keep) as box:
        timings["sandbox_start"] = _ms_since(t1)
        t2 = time.perf_counter()
        template = box.template(FunctionMigrator(migrator.hash, build))
        timings["build"] = _ms_since(t2)
        t3 = time.perf_counter()
        clone = box.clone(template)
        timings["clone"] = _ms_since(t3)
        info = box.info(clone)
        if verify and seed:  # the policies are verified on the seeded data
            t4 = time.perf_counter()
            verify_report = run_verify(settings, project, box=box)
            timings["verify"] = _ms_since(t4)
    timings["total"] = _ms_since(t0)
    ok = (lint_report is None or lint_report.ok) and (verify_report is None or verify_report.ok)
    return CheckReport(ok=ok, sandbox=info, files=len(files), statements=statements, migrate=result,
                       lint=lint_report, verify=verify_report, timings_ms=timings)


def _ms_since(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)


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
    require_clean(project)
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
    box.detach(keep=dbname)
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
        from ..sandbox import Templates

        Templates(data["admin_dsn"], lambda n: n).drop(data["database"])
    state.unlink()
    return f"{data['provider']} sandbox {data['dsn']}"
