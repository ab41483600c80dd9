"""`pgmanager check`: the main job."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ... import api
from .._common import (
    emit_json,
    format_option,
    handle_errors,
    load,
    out,
    progress,
    project_option,
    sandbox_options,
)
from .._render import steps_table


@click.command("check")
@project_option
@sandbox_options
@format_option()
@click.option("--no-seed", is_flag=True, help="Do not load the seed fixture.")
@handle_errors
def command(project_dir: Path | None, sandbox: str | None, sandbox_dsn: str | None, keep: bool, fmt: str,
            no_seed: bool) -> None:
    """Parse everything, build it in a throwaway database, report what applied and how long it took."""
    settings, project = load(project_dir)
    with progress("building", fmt == "text") as on_step:
        report = api.check(settings, project, sandbox=sandbox, sandbox_dsn=sandbox_dsn, keep=keep,
                           seed=not no_seed, on_step=on_step)
    if fmt == "json":
        emit_json(report)
    else:
        for f in report.findings:  # files that cannot be used: `file:line:col: message`, like a compiler
            out.print(f"{f.location}: {f.message}", markup=False)
        out.print(f"parsed {report.files} files, {report.statements} statements "
                  f"in {report.timings_ms.get('parse', 0):.0f} ms", markup=False)
        if report.sandbox:
            out.print(f"sandbox: {report.sandbox.provider} ({report.sandbox.detail})", markup=False)
        if report.migrate:
            out.print(steps_table(report.migrate.steps))
            t = report.timings_ms
            out.print(f"built in {t.get('build', 0) / 1000:.2f} s, fresh clone in {t.get('clone', 0):.0f} ms, "
                      f"total {t.get('total', 0) / 1000:.2f} s", markup=False)
        out.print("ok" if report.ok else f"failed: {len(report.findings)} problem(s)", markup=False)
    sys.exit(0 if report.ok else 1)
