"""`pgmanager diff`: schema drift between a live database and what the project's SQL builds.

Exit 0 when they are equal, 1 when they differ; with ``--sql`` the text output is the migration that brings
the live database to the project's state (destructive statements commented out unless ``--allow-destructive``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ...api import diffing
from ...config import PROVIDERS
from ...errors import EXIT_CHECKS_FAILED, EXIT_OK
from ...models import DiffReport
from .._common import (
    echo,
    emit_json,
    err,
    format_option,
    handle_errors,
    interactive,
    load,
    out,
    output_option,
    project_option,
    target_dsn,
    target_options,
)

LABEL = {"missing": "missing in live", "extra": "extra in live", "changed": "changed"}


def _short(value: object, width: int = 70) -> str:
    text = " ".join(str(value).split()) if value is not None else "(none)"
    return text if len(text) <= width else text[: width - 1] + "…"


def print_diff(report: DiffReport) -> None:
    if report.equal:
        out.print(f"{report.target}: no differences with the project's build", markup=False)
        return
    out.print(f"{report.target}: {len(report.differences)} difference(s) with the project's build", markup=False)
    for d in report.differences:
        out.print(f"  {LABEL[d.change]:<16} {d.kind} {d.identity}", markup=False)
        for p in d.properties:
            out.print(f"      {p.name}: live {_short(p.live)} -> project {_short(p.project)}", markup=False)


@click.command("diff")
@project_option
@target_options
@format_option()
@click.option("--sql", "with_sql", is_flag=True,
              help="Print the migration that brings the live database to the project's state.")
@click.option("--allow-destructive", is_flag=True,
              help="Leave destructive statements (drop table or column, type narrowing...) active in --sql.")
@click.option("--supabase", is_flag=True, default=None,
              help="Treat the target as Supabase (default: detected): what Supabase owns is not compared.")
@click.option("--sandbox", type=click.Choice(PROVIDERS), default=None, help="Where the project is built.")
@click.option("--sandbox-dsn", envvar="PGMANAGER_SANDBOX_DSN", default=None,
              help="Server for --sandbox dsn (the build is a new database on it).")
@output_option
@handle_errors
def command(project_dir: Path | None, dsn: str | None, target: str | None, fmt: str, with_sql: bool,
            allow_destructive: bool, supabase: bool | None, sandbox: str | None, sandbox_dsn: str | None) -> None:
    """Compare a live database with the project built in a sandbox: tables, columns, types, defaults,
    constraints, indexes (INVALID ones too), RLS, policies, views and their options, functions, triggers,
    grants, publications, extensions. Exit 1 when they differ."""
    settings, project = load(project_dir)
    url = target_dsn(settings, dsn, target)

    def note(message: str) -> None:
        if interactive():
            err.print(f"{message}...", markup=False)

    report = diffing.diff(settings, project, url, with_sql=with_sql, allow_destructive=allow_destructive,
                          supabase=supabase or None, sandbox=sandbox, sandbox_dsn=sandbox_dsn, on_event=note)
    if fmt == "json":
        emit_json(report)
    elif with_sql:
        echo(report.sql or "", nl=False)
        if report.destructive and not allow_destructive:
            err.print(f"note: {report.destructive} destructive change(s) commented out; review them, then use "
                      "--allow-destructive", markup=False)
    else:
        print_diff(report)
    sys.exit(EXIT_OK if report.equal else EXIT_CHECKS_FAILED)
