"""`pgmanager mcp`: serve pgmanager's tools to an AI agent over MCP (stdio), with the official SDK."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ...errors import EXIT_USAGE
from .._common import err, handle_errors, project_option, sandbox_options


@click.command("mcp")
@project_option
@sandbox_options
@handle_errors
def command(project_dir: Path | None, sandbox: str | None, sandbox_dsn: str | None, keep: bool) -> None:
    """Run an MCP server on stdin/stdout (register it in the client's config: command `pgmanager`, args
    `mcp -C DIR`). Tools: recommend_indexes, explain_query, lint_sql, plan_migrations, verify_policies,
    bench_queries; each returns the JSON report of the matching command. Nothing writes to a live target.
    Needs the optional `mcp` SDK (pip install 'pgmanager[agents]'): exit 2 without it."""
    try:
        from ...agent.mcp_server import Context, serve  # the SDK only for this command
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("mcp"):
            raise
        err.print("error: pgmanager mcp needs the mcp SDK: pip install 'pgmanager[agents]'", markup=False)
        sys.exit(EXIT_USAGE)
    serve(Context(project_dir=project_dir, sandbox=sandbox, sandbox_dsn=sandbox_dsn, keep=keep))
