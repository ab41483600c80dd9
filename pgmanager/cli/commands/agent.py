"""`pgmanager agent`: run a Backend Agent task (a BackendTaskMessage in JSON) and print its BackendResultMessage."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import click

from ...agent.schemas import write_schemas
from ...agent.task import Where, run_task
from ...errors import EXIT_USAGE
from ...models import BackendResultMessage
from .._common import (
    echo,
    err,
    handle_errors,
    out,
    output_option,
    progress,
    project_option,
    sandbox_options,
)


def print_text(result: BackendResultMessage) -> None:
    say = out.print
    say(f"task {result.task_id or '?'}: {result.status}", markup=False)
    d = result.deliverables
    if d is not None:
        for label, paths in (("migration", d.migrations), ("test", d.tests), ("documentation", d.documentation)):
            for path in paths:
                say(f"  {label}: {path}", markup=False)
    p = result.performance
    if p is not None:
        say(f"  after the change: mean {p.average_response_time:.3f} ms, p95 {p.p95_response_time:.3f} ms, "
            f"{p.throughput:,.1f} requests/s", markup=False)
    for issue in result.issues:
        say(f"  issue: {issue}", markup=False)


@click.command("agent")
@project_option
@sandbox_options
@click.option("--format", "fmt", type=click.Choice(("json", "text")), default="json", show_default=True,
              help="Output format: the BackendResultMessage (json), or a summary for people (text).")
@click.argument("message", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default="-",
                required=False)
@click.option("--schemas", "schemas_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the messages' JSON Schemas into this folder and exit (docs/schemas holds them).")
@output_option
@handle_errors
def command(project_dir: Path | None, sandbox: str | None, sandbox_dsn: str | None, keep: bool, fmt: str,
            message: Path, schemas_dir: Path | None) -> None:
    """Read a BackendTaskMessage (JSON) from MESSAGE or stdin; an optimize-query task runs advise on
    specifications.query, writes the migration, benches the change and saves the baseline guarding it.
    Prints a BackendResultMessage (JSON) with status completed or failed. Exit 0 completed; 1 the change
    failed its proof or bench; 2 a malformed message, a task type not handled or a bad setting; 3 a
    database error; 4 a bug of ours. A failed task still prints its result, with the issue."""
    if schemas_dir is not None:
        for path in write_schemas(schemas_dir):
            err.print(f"wrote {path}", markup=False)
        return
    try:
        raw = sys.stdin.read() if str(message) == "-" else message.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"error: {message}: cannot read the message: {getattr(exc, 'strerror', None) or exc}",
                  markup=False)
        sys.exit(EXIT_USAGE)
    with progress("agent") as bar:
        def on_progress(label: str, index: int, total: int) -> None:
            if bar is not None:
                bar(SimpleNamespace(file=label), index, total)

        where = Where(project_dir=project_dir, sandbox=sandbox, sandbox_dsn=sandbox_dsn, keep=keep)
        result, code = run_task(raw, where, on_progress)
    if fmt == "json":
        echo(result.model_dump_json(indent=2, by_alias=True, exclude_none=True))
    else:
        print_text(result)
    for issue in result.issues if result.status == "failed" else ():
        err.print(f"error: {issue}", markup=False)
    sys.exit(code)
