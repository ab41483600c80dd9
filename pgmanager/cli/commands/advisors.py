"""`pgmanager advisors`: the Supabase database linter's checks, live from the catalogs, on a target or a sandbox."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import click

from ...api.advising_live import advisors
from ...models import Severity
from .. import _reporters as reporters
from .._common import (
    err,
    handle_errors,
    load,
    out,
    output_option,
    progress,
    project_option,
    sandbox_options,
    target_dsn,
)


@click.command("advisors")
@project_option
@click.option("--dsn", default=None,
              help="A live database to check, read-only (default: the project built in a sandbox).")
@click.option("--target", default=None, help="A named target from [tool.pgmanager.targets] to check, read-only.")
@sandbox_options
@click.option("--format", "fmt", type=click.Choice(reporters.FORMATS), default="text", show_default=True,
              help="Output format (sarif: 2.1.0, for GitHub code scanning; github: workflow annotations).")
@click.option("--fail-on", type=click.Choice([s.value for s in Severity]), default=None,
              help="Exit 1 when a finding is at or above this severity (default: lint settings, warning).")
@click.option("--advisor", "names", multiple=True, help="Run only this advisor (repeatable).")
@output_option
@handle_errors
def command(project_dir: Path | None, dsn: str | None, target: str | None, sandbox: str | None,
            sandbox_dsn: str | None, keep: bool, fmt: str, fail_on: str | None, names: tuple[str, ...]) -> None:
    """Check a database the way the Supabase dashboard's advisors do, from its catalogs: RLS missing or
    misused, policies re-evaluated per row, views and functions that bypass RLS, what the API exposes,
    foreign keys without an index, duplicate and unused indexes, and more.

    With --dsn or --target, the live database (read-only: nothing is written there); without, the
    project built in a sandbox. Exposed schemas come from the target's pgrst.db_schemas where it is
    set, else from the exposed_schemas setting. The Supabase-only checks run where the anon and
    authenticated roles (and auth.users) exist.
    """
    settings, project = load(project_dir)
    url = target_dsn(settings, dsn, target) if (dsn or target) else None
    with progress("advisors", enabled=fmt == "text") as bar:
        def on_progress(label: str, index: int, total: int) -> None:
            if bar is not None:
                bar(SimpleNamespace(file=label), index, total)

        report = advisors(settings, project, dsn=url, sandbox=sandbox, sandbox_dsn=sandbox_dsn, keep=keep,
                          names=list(names) or None, fail_on=fail_on, on_progress=on_progress)
    body = reporters.render(report, fmt, settings.root, suite="pgmanager advisors")
    if body:
        out.print(body, markup=False, soft_wrap=True)
    if fmt == "text":
        counts = ", ".join(f"{report.count(s)} {s.value}" for s in (Severity.ERROR, Severity.WARNING, Severity.INFO))
        skipped = f"; skipped {', '.join(sorted(report.skipped))}" if report.skipped else ""
        err.print(f"{report.target}: {report.advisors} advisors on schemas {', '.join(report.exposed_schemas)} "
                  f"(from {report.exposed_from}): {counts} ({report.timings_ms.get('total', 0) / 1000:.2f} s)"
                  f"{skipped}", markup=False)
    sys.exit(0 if report.ok else 1)
