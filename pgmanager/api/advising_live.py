"""Live advisors: the Supabase database linter's checks, from the catalogs, on a target or the project's sandbox build.

On a target (``dsn``) nothing is written: the advisors read inside one read-only transaction. Without one,
the project is built in a sandbox (as ``check`` builds it, without the seed) and the advisors run on a
clone of that build; usage statistics mean nothing there, so the advisors that read them are skipped.
Findings point at the file and line where the project defines the object, else at the object itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack

from pglast import ast

from ..advisors import run
from ..config import Settings
from ..db import connect, describe
from ..lint import LintConfig
from ..models import AdvisorsReport, Severity
from ..parse import parse_file, rangevar_name
from ..project import Project
from ..sandbox import open_sandbox
from ..schema import SchemaModel, Where, build_model
from .building import project_migrator, sandbox_extensions
from .inputs import require_clean

ProgressFn = Callable[[str, int, int], None]


def project_places(project: Project) -> tuple[SchemaModel | None, dict[tuple[str, str], Where]]:
    """The schema the project's SQL builds (where each object is defined), and where it creates what the
    model does not hold (extensions, foreign tables); nothing without migrations or when a file does not parse
    (a live target can be advised all the same)."""
    docs = [parse_file(f) for f in [*project.migrations, *project.repeatables]]
    if not docs or any(d.error for d in docs):
        return None, {}
    places: dict[tuple[str, str], Where] = {}
    for doc in docs:
        for stmt in doc.statements:
            node = stmt.node
            if isinstance(node, ast.CreateExtensionStmt) and node.extname:
                places.setdefault(("extension", node.extname), (doc.file.display, stmt.line))
            elif isinstance(node, ast.CreateForeignTableStmt) and node.base and node.base.relation:
                places.setdefault(("foreign table", rangevar_name(node.base.relation)), (doc.file.display, stmt.line))
    return build_model(docs), places


def advisors(settings: Settings, project: Project, *, dsn: str | None = None, sandbox: str | None = None,
             sandbox_dsn: str | None = None, keep: bool = False, names: Iterable[str] | None = None,
             fail_on: Severity | str | None = None, on_progress: ProgressFn | None = None) -> AdvisorsReport:
    """Run the advisors on ``dsn``, or on the project built in a sandbox when ``dsn`` is None.

    Raises ConfigError for an unknown advisor or a bad setting, InputError when the project cannot be
    built, DatabaseError when the database fails."""
    t0 = time.perf_counter()
    config = LintConfig.from_settings(settings.lint)
    threshold = Severity(fail_on) if fail_on is not None else config.fail_on
    timings: dict[str, float] = {}
    names = list(names or ())
    with ExitStack() as stack:
        if dsn is None:
            require_clean(project)
            box = stack.enter_context(open_sandbox(sandbox or settings.sandbox,
                                                   sandbox_dsn=sandbox_dsn or settings.sandbox_dsn, keep=keep,
                                                   image=settings.sandbox_image,
                                                   extensions=sandbox_extensions(project)))
            if on_progress:
                on_progress("build", 0, 1)
            template = box.template(project_migrator(settings, project, seed=False))
            clone = box.clone(template)
            stack.callback(box.drop, clone)
            target, work_dsn, statistics = f"sandbox {box.provider}", box.dsn(clone), False
            timings["build"] = _ms(t0)
        else:
            target, work_dsn, statistics = describe(dsn), dsn, True
        conn = stack.enter_context(connect(work_dsn))
        t = time.perf_counter()
        model, places = project_places(project)
        outcome = run(conn, exposed_schemas=list(settings.exposed_schemas), config=config, names=names,
                      statistics=statistics, model=model, places=places, ignore_schemas=[settings.history_schema],
                      on_progress=on_progress)
        timings["advisors"] = _ms(t)
    timings["total"] = _ms(t0)
    findings = sorted(outcome.findings, key=lambda f: (-f.severity.rank, f.rule, f.file, f.line, f.message))
    return AdvisorsReport(ok=not any(f.severity.rank >= threshold.rank for f in findings), fail_on=threshold,
                          target=target, exposed_schemas=outcome.exposed, exposed_from=outcome.exposed_from,
                          supabase=outcome.supabase, advisors=outcome.ran, skipped=outcome.skipped,
                          findings=findings, rules=outcome.rules, timings_ms=timings)


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
