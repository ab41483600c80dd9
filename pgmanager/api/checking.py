"""`check`, the main job: parse everything, lint it, build it in a sandbox and verify its policies there."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..config import Settings
from ..models import CheckReport, MigrateResult
from ..parse import parse_file
from ..project import Project
from ..sandbox import FunctionMigrator, open_sandbox
from .building import build_database, project_migrator
from .inputs import findings
from .linting import lint as run_lint
from .verifying import verify as run_verify

ProgressFn = Callable[[Any, int, int], None]


def check(settings: Settings, project: Project, *, sandbox: str | None = None, sandbox_dsn: str | None = None,
          keep: bool = False, seed: bool = True, lint: bool = True, style: bool = True, verify: bool = True,
          on_step: ProgressFn | None = None) -> CheckReport:
    """The main job: parse everything, lint it, build it in a sandbox and verify its RLS policies there.

    Reports what was applied and how long each stage took. Lint and verification failures make the
    report not ok; a file that cannot be used stops everything before the sandbox starts.
    """
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
