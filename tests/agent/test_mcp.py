"""`pgmanager mcp` through the SDK's own stdio client: one server process for the module, every call made in
one session; the tests then read what came back. Tools return the commands' JSON reports; a failure is the
CLI's one line as a tool error; nothing writes to a live target or into the project."""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from psycopg import sql

from pgmanager.sandbox import Sandbox
from tests.conftest import ROOT, copy_project

CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "lint": ("lint_sql", {"sql": "create index i_path on public.files (path);\n"}),
    "plan": ("plan_migrations", {}),
    "explain": ("explain_query", {"sql": "select id from public.projects where user_id = %(u)s::uuid "
                                         "order by created_at desc limit 5",
                                  "params": {"u": "00000000-0000-0000-0000-00000000000a"}}),
    "recommend": ("recommend_indexes", {"sql": "select id, path from public.files where size_bytes > %(s)s::bigint "
                                               "order by size_bytes desc limit 10", "params": {"s": "1000000"},
                                        "proof": False}),
    "unknown_table": ("explain_query", {"sql": "select * from public.nope"}),
    "live_write": ("explain_query", {"sql": "insert into public.t values (1)", "analyze": True}),
}


async def _session(project: Path, server: Sandbox, live: str) -> dict[str, Any]:
    params = StdioServerParameters(command=sys.executable, args=[
        "-m", "pgmanager", "mcp", "-C", str(project), "--sandbox", "dsn", "--sandbox-dsn", server.dsn()])
    out: dict[str, Any] = {}
    with (project / "mcp.stderr").open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            out["tools"] = [t.name for t in (await session.list_tools()).tools]
            for key, (tool, arguments) in CALLS.items():
                if key == "live_write":
                    arguments = {**arguments, "target": live}
                out[key] = await session.call_tool(tool, arguments)
    return out


@pytest.fixture(scope="module")
def calls(pgm_server: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Path]]:
    project = copy_project(tmp_path_factory.mktemp("mcp") / "project")
    live = "pgm_mcp_" + secrets.token_hex(4)
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(live)))
    try:
        with psycopg.connect(pgm_server.dsn(live), autocommit=True) as conn:
            conn.execute("create table public.t (id int)")
        yield anyio.run(_session, project, pgm_server, pgm_server.dsn(live)), project
        with psycopg.connect(pgm_server.dsn(live)) as conn:
            assert conn.execute("select count(*) from public.t").fetchone() == (0,)  # nothing written
    finally:
        with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(live)))


def _json(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    data: dict[str, Any] = json.loads(result.content[0].text)
    return data


def _error(result: Any) -> str:
    assert result.is_error
    text: str = result.content[0].text
    return text


def test_the_six_tools(calls: tuple[dict[str, Any], Path]) -> None:
    assert sorted(calls[0]["tools"]) == sorted(["recommend_indexes", "explain_query", "lint_sql", "plan_migrations",
                                                "verify_policies", "bench_queries"])


def test_lint_sql_reports_on_the_text(calls: tuple[dict[str, Any], Path]) -> None:
    report = _json(calls[0]["lint"])
    rules = {f["rule"]: f for f in report["findings"]}
    assert rules["require-concurrent-index-creation"]["file"] == "sql"
    assert report["ok"] is False and report["files"] == 1


def test_plan_migrations_is_the_offline_plan(calls: tuple[dict[str, Any], Path]) -> None:
    _, project = calls
    report = _json(calls[0]["plan"])
    migrations = sorted(p.name for p in (project / "migrations").glob("*.sql") if not p.name.endswith(".rollback.sql"))
    planned = [s["file"].rsplit("/", 1)[-1] for s in report["plan"]["steps"] if s["file"].startswith("migrations/")]
    assert planned == migrations


def test_explain_query_on_the_sandbox(calls: tuple[dict[str, Any], Path]) -> None:
    report = _json(calls[0]["explain"])
    assert report["target"] == "sandbox dsn" and report["analyzed"] is False
    assert "idx_projects_user_created" in report["shape"] and report["totalCost"] > 0


def test_recommend_indexes_writes_no_migration(calls: tuple[dict[str, Any], Path]) -> None:
    results, project = calls
    report = _json(results["recommend"])
    assert [r["table"] for r in report["recommendations"]] == ["public.files"]
    assert report["migration"] is None and report["proof"] is None
    assert sorted(p.name for p in (project / "migrations").iterdir()) == \
        sorted(p.name for p in (ROOT / "migrations").iterdir())


def test_errors_are_one_line(calls: tuple[dict[str, Any], Path]) -> None:
    assert _error(calls[0]["unknown_table"]).endswith('query: relation "public.nope" does not exist')
    assert "read-only transaction" in _error(calls[0]["live_write"])
