"""`pgmanager rollback`: undo applied migrations with their rollback files."""

from __future__ import annotations

from pathlib import Path

import click

from ...api import migrating
from ...db import describe, redact
from ...models import MigrateResult
from .._common import (
    emit_json,
    err,
    format_option,
    handle_errors,
    load,
    output_option,
    project_option,
    target_dsn,
    target_options,
)
from .._render import print_migrate


@click.command("rollback")
@project_option
@target_options
@format_option()
@click.option("--to", "to", default=None, metavar="VERSION", help="Undo every migration after this one.")
@click.option("--last", type=click.IntRange(min=1), default=None, help="Undo the last N migrations (default 1).")
@output_option
@handle_errors
def command(project_dir: Path | None, dsn: str | None, target: str | None, fmt: str, to: str | None,
            last: int | None) -> None:
    """Undo the newest applied migrations with their .rollback.sql files, newest first.

    Refuses, before undoing anything, when one of them has no rollback file."""
    if to and last:
        raise click.UsageError("use --to or --last, not both")
    settings, project = load(project_dir)
    url = target_dsn(settings, dsn, target)
    steps = migrating.rollback(settings, project, url, to=to, last=last,
                         on_event=lambda m: err.print(f"note: {m}", markup=False))
    result = MigrateResult(target=redact(url) or describe(url), steps=steps,
                           duration_ms=sum(s.duration_ms for s in steps))
    if fmt == "json":
        emit_json(result)
    else:
        print_migrate(result)
