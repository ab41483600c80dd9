"""One statement's plan (the MCP server's explain_query): on a clone of the project's bench data, or on a
live target in a read-only transaction that is rolled back (so even EXPLAIN ANALYZE writes nothing)."""

from __future__ import annotations

from typing import Any

import psycopg

from ..advise import from_text
from ..bench import PROFILE_NAME, load_profile
from ..bench._explain import explain as explain_json
from ..bench._explain import shape
from ..config import Settings
from ..db import connect, describe, error_line
from ..errors import ConfigError, DatabaseError
from ..models import ExplainReport
from ..project import Project
from ..sandbox import open_sandbox
from .advising import DEFAULT_SCALE
from .benching import data_migrator
from .inputs import require_clean


def _plan(conn: psycopg.Connection, query_sql: str, params: dict[str, Any], analyze: bool, where: str) -> dict:
    conn.execute("begin transaction read only")
    try:
        return explain_json(conn, query_sql, params, analyze=analyze)
    except psycopg.Error as exc:
        raise DatabaseError(error_line(exc), where=where) from None
    finally:
        conn.execute("rollback")


def explain(settings: Settings, project: Project, query: str, *, params: dict[str, Any] | None = None,
            analyze: bool = False, dsn: str | None = None, scale: float | None = None, seed: int = 1,
            sandbox: str | None = None, sandbox_dsn: str | None = None, keep: bool = False) -> ExplainReport:
    """The JSON plan of ``query`` (psycopg ``%(name)s`` placeholders, values in ``params``).

    Without ``dsn``: on a clone of the bench data template at ``scale`` (default 0.05), dropped afterwards.
    Raises ConfigError for a query that does not parse or names an unknown table, DatabaseError when
    the statement fails (a missing parameter, a write under EXPLAIN ANALYZE)."""
    if scale is not None and not scale > 0:
        raise ConfigError(f"must be more than 0, got {scale:g}", where="scale")
    statement = from_text(query, "query", params or {})
    values = dict(statement.defaults)
    if dsn is not None:
        with connect(dsn, autocommit=True) as conn:
            plan = _plan(conn, statement.sql, values, analyze, "query")
        target = describe(dsn)
    else:
        require_clean(project)
        profile = load_profile(settings.path(settings.queries) / PROFILE_NAME,
                               f"{settings.queries.rstrip('/')}/{PROFILE_NAME}")
        with open_sandbox(sandbox or settings.sandbox, sandbox_dsn=sandbox_dsn or settings.sandbox_dsn, keep=keep,
                          image=settings.sandbox_image) as box:
            template = box.template(data_migrator(settings, project, profile, scale=scale or DEFAULT_SCALE,
                                                  seed=seed, built=[]))
            clone = box.clone(template)
            try:
                with connect(box.dsn(clone)) as conn:
                    plan = _plan(conn, statement.sql, values, analyze, "query")
            finally:
                box.drop(clone)
            target = f"sandbox {box.provider}"
    root = plan["Plan"]
    return ExplainReport(target=target, analyzed=analyze, shape=shape(root), total_cost=float(root["Total Cost"]),
                         execution_ms=plan.get("Execution Time"), plan=plan)
