"""`pgmanager status`: every migration's state on a target, and INVALID indexes."""

from __future__ import annotations

from pathlib import Path

import click

from ...api import migrating
from ...models import MigrationState, StatusReport
from .._common import (
    echo,
    emit_json,
    format_option,
    handle_errors,
    load,
    output_option,
    project_option,
    target_dsn,
    target_options,
)


def print_status(report: StatusReport, verbose: bool) -> None:
    counts = ", ".join(f"{report.count(s)} {s.value}" for s in MigrationState if report.count(s))
    echo(f"{report.target}: {counts or 'no migrations'}")
    adopted: dict[str, int] = {}
    for e in report.entries:
        if e.source and e.source != "pgmanager" and e.state == MigrationState.APPLIED:
            adopted[e.source] = adopted.get(e.source, 0) + 1
        if e.state == MigrationState.APPLIED and not verbose:
            continue
        when = f" {e.applied_at[:19]}" if e.applied_at and e.state == MigrationState.APPLIED else ""
        source = f"  [{_source(e.source)}]" if e.source and (verbose or e.source != "pgmanager") else ""
        detail = f"  {e.detail}" if e.detail else ""
        echo(f"  {e.state.value:<12} {e.file or e.key}{when}{source}{detail}")
    if not verbose:
        for tool, n in adopted.items():
            echo(f"  {n} applied {'entry' if n == 1 else 'entries'} adopted from {tool} (-v lists them)")
    for ix in report.invalid_indexes:
        echo(f"  {'invalid':<12} index {ix.schema_name}.{ix.name} on {ix.table} (a failed concurrent build; "
             "`pgmanager repair --drop-invalid-indexes` drops it)")
    if report.clean:
        echo("up to date")


def _source(source: str) -> str:
    """The source column: pgmanager, or the tool whose history a row was adopted from."""
    return source if source == "pgmanager" else f"adopted from {source}"


@click.command("status")
@project_option
@target_options
@format_option()
@click.option("-v", "--verbose", is_flag=True, help="List applied migrations too.")
@click.option("--supabase", is_flag=True, default=None,
              help="Treat the target as Supabase (else detected: the supabase_admin role and the auth schema).")
@output_option
@handle_errors
def command(project_dir: Path | None, dsn: str | None, target: str | None, fmt: str, verbose: bool,
            supabase: bool | None) -> None:
    """Applied, pending, drifted, out-of-order, failed and unknown migrations, and INVALID indexes left by
    failed concurrent index builds."""
    settings, project = load(project_dir, supabase=supabase)
    report = migrating.status(settings, project, target_dsn(settings, dsn, target))
    if fmt == "json":
        emit_json(report)
    else:
        print_status(report, verbose)
