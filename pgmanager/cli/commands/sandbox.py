"""`pgmanager sandbox up|down`: a built throwaway database for poking at the schema with psql."""

from __future__ import annotations

from pathlib import Path

import click

from ...api import sandboxes
from .._common import emit_json, format_option, handle_errors, load, out, project_option, sandbox_options


@click.group("sandbox")
def command() -> None:
    """Start or stop a throwaway database holding the built project."""


@command.command("up")
@project_option
@sandbox_options
@format_option()
@click.option("--no-seed", is_flag=True, help="Do not load the seed fixture.")
@handle_errors
def up(project_dir: Path | None, sandbox: str | None, sandbox_dsn: str | None, keep: bool, fmt: str,
       no_seed: bool) -> None:
    """Build the project in a sandbox that keeps running, and print its DSN."""
    settings, project = load(project_dir)
    info = sandboxes.sandbox_up(settings, project, sandbox=sandbox, sandbox_dsn=sandbox_dsn, seed=not no_seed)
    if fmt == "json":
        emit_json(info)
    else:
        out.print(info.dsn, markup=False)


@command.command("down")
@project_option
@handle_errors
def down(project_dir: Path | None) -> None:
    """Stop the sandbox `sandbox up` started and remove everything it made."""
    settings, _ = load(project_dir)
    out.print(f"stopped {sandboxes.sandbox_down(settings)}", markup=False)
