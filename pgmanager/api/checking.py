"""`check`, the main job: parse everything, lint it, build it in a sandbox and verify its policies there."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import Settings
from ..models import CheckReport, MigrateResult
from ..parse import parse_file
from ..policies import tap_files
from ..project import Project
from ..sandbox import FunctionMigrator, find_local_bindir, open_sandbox
from .benching import bench as run_bench
from .building import build_database, project_extensions, project_migrator, sandbox_extensions
from .inputs import findings
from .linting import lint as run_lint
from .verifying import verify as run_verify

ProgressFn = Callable[[Any, int, int], None]
BENCH_SCALE = 0.01
BENCH_ITERATIONS = 20
"""`check --bench`: 100 users, 500 projects, 20k usage events; 20 requests per query and identity."""


def check(settings: Settings, project: Project, *, sandbox: str | None = None, sandbox_dsn: str | None = None,
          keep: bool = False, seed: bool = True, lint: bool = True, style: bool = True, verify: bool = True,
          bench: bool = False, on_step: ProgressFn | None = None) -> CheckReport:
    """The main job: parse everything, lint it, build it in a sandbox and verify its RLS policies there.

    Reports what was applied and how long each stage took. ``bench``: a short `pgmanager bench` too
    (BENCH_SCALE, BENCH_ITERATIONS), in the same sandbox. Lint and verification failures, and a bench
    query that cannot run, make the report not ok; a file that cannot be used stops everything before the
    sandbox starts.
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
    bench_report = None
    with open_sandbox(sandbox or settings.sandbox, sandbox_dsn=sandbox_dsn or settings.sandbox_dsn,
                      keep=keep, image=settings.sandbox_image, extensions=sandbox_extensions(project)) as box:
        wanted = project_extensions(project)
        warnings = [f"extension {e} is not available in this sandbox ({box.provider}): a stand-in was created "
                    "so that the build goes on; its calls raise (docs/supabase.md)"
                    for e in sorted(box.server.stubbed & wanted)]
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
        if bench:
            t5 = time.perf_counter()
            bench_report = run_bench(settings, project, scale=BENCH_SCALE, iterations=BENCH_ITERATIONS, box=box)
            timings["bench"] = _ms_since(t5)
    timings["total"] = _ms_since(t0)
    ok = (lint_report is None or lint_report.ok) and (verify_report is None or verify_report.ok) and \
        (bench_report is None or bench_report.ok)
    skipped = {}
    if verify_report is not None and verify_report.tap_skipped and tap_files(settings.root):
        skipped["pgTAP"] = _no_pgtap(info.provider, info.server_version)
    return CheckReport(ok=ok, sandbox=info, files=len(files), statements=statements, migrate=result,
                       lint=lint_report, verify=verify_report, skipped=skipped, warnings=warnings,
                       bench=bench_report.model_dump(mode="json") if bench_report is not None else None,
                       timings_ms=timings)


def _no_pgtap(provider: str, server_version: str) -> str:
    """Why pgTAP did not run (the project has pgTAP files, the server has no pgtap) and how to get it."""
    if provider == "local":
        return f"no pgtap on the local server; install postgresql-{_major(server_version) or 'NN'}-pgtap"
    bindir = find_local_bindir()
    local = _major(_bindir_version(bindir)) if bindir else ""
    how = (f"install postgresql-{local}-pgtap and use --sandbox local" if local else
           "install PostgreSQL and its postgresql-NN-pgtap package, and use --sandbox local")
    return f"no pgtap on the {provider} server; {how}"


def _major(version: str) -> str:
    """'15' for '15.18 (Debian ...)' or '15'; '' when unknown."""
    head = version.split()[0].split(".")[0] if version else ""
    return head if head.isdigit() else ""


def _bindir_version(bindir: Path) -> str:
    """The version of the server binaries in ``bindir`` ('15.18'), from `postgres --version`."""
    try:
        res = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=10,
                             check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return res.stdout.split()[-1] if res.returncode == 0 and res.stdout.split() else ""


def _ms_since(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)
