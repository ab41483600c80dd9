"""`pgmanager mcp`: the api as MCP tools, on stdio, with the official SDK (``pip install 'pgmanager[agents]'``).

Each tool calls the same api function as its CLI command and returns that command's model as JSON
(redacted). Nothing writes to a live target: on one (``target``: a named target or a DSN),
recommend_indexes uses hypopg in a transaction rolled back afterwards and does not prove (no copy is
made), and explain_query runs in a read-only transaction rolled back afterwards; every other
database tool runs on the project's sandbox. No tool writes a migration.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

from ..api.advising import advise
from ..api.benching import bench
from ..api.explaining import explain
from ..api.inputs import load
from ..api.linting import lint
from ..api.migrating import plan
from ..api.verifying import PARTS, verify
from ..config import Settings
from ..errors import PgmError
from ..project import Project
from ..redaction import redact
from .task import resolve_target

INSTRUCTIONS = ("pgmanager manages a PostgreSQL/Supabase project whose SQL lives in migrations/, policies/, views/ "
                "and sql/queries/. Tools run on throwaway sandboxes built from it (or read a live target without "
                "writing). Results are pgmanager's JSON reports.")
SMALL_SCALE = 0.05


@dataclass(frozen=True)
class Context:
    project_dir: Path | None = None
    sandbox: str | None = None
    sandbox_dsn: str | None = None
    keep: bool = False

    def load(self) -> tuple[Settings, Project]:
        return load(self.project_dir)  # read again per call: the agent may have edited the files

    @property
    def box(self) -> dict[str, Any]:
        return {"sandbox": self.sandbox, "sandbox_dsn": self.sandbox_dsn, "keep": self.keep}


def _json(model: BaseModel) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(redact(model.model_dump_json(by_alias=True)))
    return result


def _live(settings: Settings, target: str) -> str | None:
    try:
        return resolve_target(settings, target, "target")
    except PgmError as exc:
        raise ToolError(str(exc)) from None


def _call(fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        return _json(fn(*args, **kwargs))
    except PgmError as exc:  # the CLI's one line, as the tool's error
        raise ToolError(redact(str(exc))) from None


def build_server(ctx: Context) -> MCPServer:
    server = MCPServer("pgmanager", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool()
    def recommend_indexes(sql: str | None = None, params: dict[str, str] | None = None,
                          budget_mb: float | None = None, target: str = "sandbox", scale: float | None = None,
                          drop_secondary: bool = False, proof: bool = True, proof_iterations: int = 30) -> dict:
        """Indexes for one statement (sql, psycopg %(name)s placeholders with params) or, without sql, the
        project's workload, under budget_mb: costed with hypopg, chosen across all statements, proven on a
        sandbox clone (not on a live target). Returns pgmanager advise's JSON report; writes no migration."""
        settings, project = ctx.load()
        dsn = _live(settings, target)
        return _call(advise, settings, project, query=sql, params=params or {}, budget_mb=budget_mb,
                     scale=scale if dsn is None else None, drop=drop_secondary, proof=proof and dsn is None,
                     proof_iterations=proof_iterations, dsn=dsn, migration=False, **ctx.box)

    @server.tool()
    def explain_query(sql: str, params: dict[str, str] | None = None, analyze: bool = False,
                      target: str = "sandbox", scale: float | None = None) -> dict:
        """The JSON plan of one statement (psycopg %(name)s placeholders with params) on the project's bench
        data in a sandbox, or on a live target in a read-only transaction rolled back afterwards."""
        settings, project = ctx.load()
        return _call(explain, settings, project, sql, params=params or {}, analyze=analyze,
                     dsn=_live(settings, target), scale=scale, **ctx.box)

    @server.tool()
    def lint_sql(sql: str | None = None, paths: list[str] | None = None) -> dict:
        """pgmanager lint on some SQL text (sql), on project files (paths), or on the whole project: migration
        safety, RLS and Supabase security, performance and style findings. Returns the lint JSON report."""
        settings, project = ctx.load()
        if sql is None:
            return _call(lint, settings, project, [settings.root / p for p in paths] if paths else None)
        with tempfile.TemporaryDirectory(prefix="pgm_lint_") as folder:
            path = Path(folder) / "sql.sql"
            path.write_text(sql, encoding="utf-8")
            report = _call(lint, settings, project, [path], cache=False)
        for finding in report["findings"]:
            finding["file"] = "sql" if finding["file"] == str(path) else finding["file"]
        return report

    @server.tool()
    def plan_migrations() -> dict:
        """What `pgmanager migrate` would run on an empty database, in order, with each statement's lock,
        transaction mode and risk (offline: no database is touched)."""
        settings, project = ctx.load()
        return _call(plan, settings, project, None)

    @server.tool()
    def verify_policies(parts: list[str] | None = None, examples: int = 25) -> dict:
        """Prove the RLS policies in a sandbox: coverage matrix per identity, YAML specs, pgTAP, leak fuzzing
        (parts: any of matrix, specs, pgtap, fuzz). Returns the verify JSON report."""
        settings, project = ctx.load()
        unknown = sorted(set(parts or ()) - set(PARTS))
        if unknown:
            raise ToolError(f"parts: unknown part {unknown[0]!r} (use {', '.join(PARTS)})")
        return _call(verify, settings, project, parts=tuple(parts) if parts else PARTS, examples=examples, **ctx.box)

    @server.tool()
    def bench_queries(queries: list[str] | None = None, scale: float = SMALL_SCALE, iterations: int = 50) -> dict:
        """Time workload queries (names from sql/queries; default all) as an authenticated user through RLS and
        as service_role on generated data in a sandbox: p50/p95/p99, throughput, RLS overhead, plan flags."""
        settings, project = ctx.load()
        return _call(bench, settings, project, scale=scale, iterations=iterations, queries=tuple(queries or ()),
                     **ctx.box)

    return server


def serve(ctx: Context) -> None:
    """Serve on stdin/stdout until the client closes them.

    The SDK takes file descriptor 1 for the wire (through sys.stdout's buffer, which the CLI's redacting
    wrapper does not lend) and points it at stderr for everything else; what goes on the wire is redacted
    by each tool (``_json``, ``ToolError``)."""
    if sys.__stdout__ is not None:
        sys.stdout = sys.__stdout__
    build_server(ctx).run("stdio")
