"""`pgmanager migrate`: apply pending migrations and changed repeatables to a live database."""

from __future__ import annotations

from pathlib import Path

import click

from ... import api
from .._common import (
    emit_json,
    format_option,
    handle_errors,
    load,
    progress,
    project_option,
    target_dsn,
    target_options,
)
from .._render import print_migrate


@click.command("migrate")
@project_option
@target_options
@format_option()
@click.option("--to", "to", default=None, metavar="VERSION", help="Stop after this migration.")
@click.option("--allow-out-of-order", is_flag=True, help="Apply pending migrations older than the newest applied.")
@handle_errors
def command(project_dir: Path | None, dsn: str | None, target: str | None, fmt: str, to: str | None,
            allow_out_of_order: bool) -> None:
    """Apply pending migrations, then changed policies and views, under an advisory lock."""
    settings, project = load(project_dir)
    url = target_dsn(settings, dsn, target)
    with progress("migrating", fmt == "text") as on_step:
        result = api.migrate(settings, project, url, to=to, allow_out_of_order=allow_out_of_order, on_step=on_step)
    if fmt == "json":
        emit_json(result)
    else:
        print_migrate(result)
