"""`pgmanager repair`: fix the bookkeeping on purpose after a review, without running migrations."""

from __future__ import annotations

from pathlib import Path

import click

from ...api import migrating
from .._common import (
    emit_json,
    format_option,
    handle_errors,
    load,
    out,
    output_option,
    project_option,
    target_dsn,
    target_options,
)


@click.command("repair")
@project_option
@target_options
@format_option()
@click.option("--accept-checksums", is_flag=True,
              help="Record the current checksum of every applied migration whose file was edited (after review).")
@click.option("--mark-applied", multiple=True, metavar="VERSION",
              help="Record a migration as applied without running it (baseline an existing database).")
@click.option("--mark-not-applied", multiple=True, metavar="VERSION",
              help="Forget a migration without running its rollback.")
@click.option("--drop-invalid-indexes", is_flag=True,
              help="DROP INDEX CONCURRENTLY every INVALID index left by a failed concurrent build.")
@output_option
@handle_errors
def command(project_dir: Path | None, dsn: str | None, target: str | None, fmt: str, accept_checksums: bool,
            mark_applied: tuple[str, ...], mark_not_applied: tuple[str, ...], drop_invalid_indexes: bool) -> None:
    """Accept edited checksums, mark migrations applied or not applied, drop INVALID indexes."""
    settings, project = load(project_dir)
    if not (accept_checksums or mark_applied or mark_not_applied or drop_invalid_indexes):
        raise click.UsageError("say what to repair: --accept-checksums, --mark-applied VERSION, "
                               "--mark-not-applied VERSION or --drop-invalid-indexes")
    result = migrating.repair(settings, project, target_dsn(settings, dsn, target), accept_checksums=accept_checksums,
                        mark_applied=list(mark_applied), mark_not_applied=list(mark_not_applied),
                        drop_invalid_indexes=drop_invalid_indexes)
    if fmt == "json":
        emit_json(result)
    else:
        for a in result.actions:
            out.print(a, markup=False)
        out.print(f"{result.target}: {len(result.actions)} repair(s)" if result.actions
                  else f"{result.target}: nothing to repair", markup=False)
