"""`pgmanager check`: the main job: parse, lint, build in a sandbox and verify the policies, in one run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ...api import checking
from .. import _reporters as reporters
from .._common import (
    echo,
    emit_json,
    format_option,
    handle_errors,
    load,
    out,
    progress,
    project_option,
    sandbox_options,
)
from .._render import steps_text
from .verify import print_text as print_verify


@click.command("check")
@project_option
@sandbox_options
@format_option()
@click.option("--no-seed", is_flag=True, help="Do not load the seed fixture (and do not verify the policies).")
@click.option("--no-lint", is_flag=True, help="Skip the linter.")
@click.option("--no-style", is_flag=True, help="Lint without sqlfluff (AST rules only).")
@click.option("--no-verify", is_flag=True, help="Skip the RLS policy verification.")
@handle_errors
def command(project_dir: Path | None, sandbox: str | None, sandbox_dsn: str | None, keep: bool, fmt: str,
            no_seed: bool, no_lint: bool, no_style: bool, no_verify: bool) -> None:
    """Parse, lint, build in a throwaway database and verify the RLS policies; report what applied."""
    settings, project = load(project_dir)
    with progress("building", fmt == "text") as on_step:
        report = checking.check(settings, project, sandbox=sandbox, sandbox_dsn=sandbox_dsn, keep=keep,
                           seed=not no_seed, lint=not no_lint, style=not no_style, verify=not no_verify,
                           on_step=on_step)
    if fmt == "json":
        emit_json(report)
        sys.exit(0 if report.ok else 1)
    for f in report.findings:  # files that cannot be used: `file:line:col: message`, like a compiler
        out.print(f"{f.location}: {f.message}", markup=False)
    t = report.timings_ms
    out.print(f"parsed {report.files} files, {report.statements} statements in {t.get('parse', 0):.0f} ms",
              markup=False)
    if report.lint is not None:
        if report.lint.findings:
            out.print(reporters.text(report.lint.findings).rstrip("\n"), markup=False)
        counts = {s: sum(f.severity == s for f in report.lint.findings) for s in ("error", "warning", "info")}
        out.print(f"lint: {counts['error']} error, {counts['warning']} warning, {counts['info']} info "
                  f"in {t.get('lint', 0) / 1000:.2f} s", markup=False)
    if report.sandbox:
        out.print(f"sandbox: {report.sandbox.provider} ({report.sandbox.detail})", markup=False)
    if report.migrate:
        echo(steps_text(report.migrate.steps))
        out.print(f"built in {t.get('build', 0) / 1000:.2f} s, fresh clone in {t.get('clone', 0):.0f} ms",
                  markup=False)
    if report.verify is not None:
        out.print("verify:", markup=False)
        print_verify(report.verify, matrix=False)
    out.print(f"{'ok' if report.ok else 'failed'} in {t.get('total', 0) / 1000:.2f} s", markup=False)
    sys.exit(0 if report.ok else 1)
