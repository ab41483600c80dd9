"""`pgmanager import`: convert another tool's migrations into pgmanager's own layout, for good.

Writes migrations/ (14-digit versions, .rollback.sql), policies/ and views/ (files that are clearly
repeatable) under the project (-C); refuses to overwrite a file. Each file's first line keeps the tool's
version, so that a database that tool migrated is still recognised (docs/commands/import.md).
"""

from __future__ import annotations

from pathlib import Path

import click

from ...api import adopting
from ...config import load_settings
from ...project import display_path
from .._common import echo, emit_json, format_option, handle_errors, output_option, project_option

TOOLS = ("supabase", "yoyo", "golang-migrate", "dbmate", "flyway")


@click.command("import")
@project_option
@click.option("--from", "tool", type=click.Choice(TOOLS), required=True, help="The tool whose layout DIR uses.")
@click.argument("source", metavar="DIR", type=click.Path(path_type=Path))
@format_option()
@output_option
@handle_errors
def command(project_dir: Path | None, tool: str, source: Path, fmt: str) -> None:
    """Convert the TOOL project (or migrations folder) at DIR into this project's migrations/, policies/ and
    views/. Nothing is written when a file exists already."""
    settings = load_settings(project_dir)
    written = adopting.import_project(tool, source, settings)
    rows = [{"path": display_path(f.path, settings.root), "from": f.origin} for f in written]
    if fmt == "json":
        emit_json(rows)
        return
    for row in rows:
        echo(f"wrote {row['path']} (from {row['from']})")
    echo(f"{len(rows)} file(s) written. A database {tool} migrated is taken over by `pgmanager migrate`: "
         "each file's first line keeps the version it had.")
