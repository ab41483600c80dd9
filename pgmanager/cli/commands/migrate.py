"""`pgmanager migrate`: apply pending migrations and changed repeatables to a live database."""

from __future__ import annotations

from pathlib import Path

import click

from ...api import migrating
from ...config import PROVIDERS
from .._common import (
    echo,
    emit_json,
    format_option,
    handle_errors,
    load,
    output_option,
    progress,
    project_option,
    target_dsn,
    target_options,
)
from .._render import print_migrate


def warn(message: str) -> None:
    echo(f"note: {message}", err=True)


@click.command("migrate")
@project_option
@target_options
@format_option()
@click.option("--to", "to", default=None, metavar="VERSION", help="Stop after this migration.")
@click.option("--allow-out-of-order", is_flag=True, help="Apply pending migrations older than the newest applied.")
@click.option("--rehearse", is_flag=True,
              help="First apply the plan to a sandbox copy of the target's schema (pg_dump --schema-only); "
                   "stop if it fails there.")
@click.option("--sandbox", type=click.Choice(PROVIDERS), default=None, help="Where the rehearsal runs.")
@click.option("--sandbox-dsn", envvar="PGMANAGER_SANDBOX_DSN", default=None,
              help="Server for --sandbox dsn (the rehearsal is a new database on it).")
@click.option("--lock-wait", default=None, metavar="DURATION",
              help="How long to wait for another runner's migration lock (default: settings, 5min).")
@click.option("--supabase", is_flag=True, default=None,
              help="Treat the target as Supabase (else detected: the supabase_admin role and the auth schema).")
@output_option
@handle_errors
def command(project_dir: Path | None, dsn: str | None, target: str | None, fmt: str, to: str | None,
            allow_out_of_order: bool, rehearse: bool, sandbox: str | None, sandbox_dsn: str | None,
            lock_wait: str | None, supabase: bool | None) -> None:
    """Apply pending migrations, then changed policies and views, under an advisory lock.

    Each migration runs with lock_timeout (retried with backoff) in one transaction with its history
    row, or statement by statement outside a transaction when a statement requires it."""
    settings, project = load(project_dir, lock_wait=lock_wait, supabase=supabase)
    url = target_dsn(settings, dsn, target)
    with progress("migrating", fmt == "text") as on_step:
        result = migrating.migrate(settings, project, url, to=to, allow_out_of_order=allow_out_of_order,
                                   on_step=on_step, on_event=warn, rehearse=rehearse, sandbox=sandbox,
                                   sandbox_dsn=sandbox_dsn)
    if fmt == "json":
        emit_json(result)
    else:
        print_migrate(result)
