"""`pgmanager supabase ...`: working beside the Supabase CLI (`export`: the project in the CLI's layout)."""

from __future__ import annotations

from pathlib import Path

import click

from ...api import exporting
from .._common import emit_json, format_option, handle_errors, load, out, output_option, project_option


@click.group("supabase")
def command() -> None:
    """Work beside the Supabase CLI."""


@command.command("export")
@project_option
@click.argument("folder", metavar="[DIR]", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--major-version", "major", type=click.IntRange(12, 99), default=15, show_default=True,
              help="PostgreSQL major version written to config.toml ([db] major_version).")
@format_option()
@output_option
@handle_errors
def export(project_dir: Path | None, folder: Path | None, major: int, fmt: str) -> None:
    """Write DIR/supabase (default: the project's folder) in the Supabase CLI's layout: config.toml,
    migrations/ (our repeatables as generated migrations), seed.sql, tests/ (pgTAP from the policy specs).

    Never overwrites a file with other content; re-running adds a migration only for changed repeatables."""
    settings, project = load(project_dir)
    report = exporting.export(settings, project, folder, major=major)
    if fmt == "json":
        emit_json(report)
        return
    for f in report.files:
        out.print(f"  {f.state:<10} {f.path}  (from {f.origin})", markup=False)
    out.print(f"{report.written} file(s) written to {report.folder}/supabase", markup=False)
