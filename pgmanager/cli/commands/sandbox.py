"""`pgmanager sandbox up|down`: a built throwaway database for poking at the schema with psql."""

from __future__ import annotations

from pathlib import Path

import click

from ...api import sandboxes
from .._common import emit_json, err, format_option, handle_errors, load, out, project_option, sandbox_options
from .._render import sandbox_choice


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
    """Build the project in a sandbox that keeps running, and print its DSN (text: the DSN alone on stdout,
    the provider and why it was chosen on stderr)."""
    settings, project = load(project_dir)
    info = sandboxes.sandbox_up(settings, project, sandbox=sandbox, sandbox_dsn=sandbox_dsn, seed=not no_seed)
    chosen = sandbox_choice(sandbox or settings.sandbox, sandbox_dsn or settings.sandbox_dsn, info.provider)
    if fmt == "json":
        emit_json({**info.model_dump(mode="json"), "chosen_by": chosen})
    else:
        err.print(f"sandbox: {info.provider} ({info.detail}), chosen by {chosen}", markup=False)
        out.print(info.dsn, markup=False)


@command.command("down")
@project_option
@format_option()
@handle_errors
def down(project_dir: Path | None, fmt: str) -> None:
    """Stop the sandbox `sandbox up` started and remove everything it made; with none up, say so and exit 0."""
    settings, _ = load(project_dir)
    stopped = sandboxes.sandbox_down(settings)
    if fmt == "json":
        emit_json({"stopped": stopped})
    elif stopped is None:
        out.print("no sandbox is up for this project: nothing to stop", markup=False)
    else:
        out.print(f"stopped {stopped}", markup=False)
