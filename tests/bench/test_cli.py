"""`pgmanager bench` as users run it: a real process on this repository's project, its JSON, the baseline
gate, and read-only targets."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import psycopg
import pytest

from pgmanager.api.benching import bench
from pgmanager.api.inputs import load
from pgmanager.sandbox import Sandbox
from tests.conftest import ROOT, run_cli

QUERIES = {"project-members", "project-recent-files", "usage-analytics", "user-project-analytics", "user-projects",
           "user-usage-by-day"}

LATENCY = {"type": "object", "required": ["count", "p50", "p95", "p99", "p999", "mean", "min", "max"],
           "properties": {k: {"type": "number", "minimum": 0} for k in ("p50", "p95", "p99", "p999", "mean", "max")}}
# BackendMetrics.database (the backend agent's monitoring type), plus the per-query figures
SCHEMA = {
    "type": "object",
    "required": ["database", "queries", "settings", "data", "ok"],
    "properties": {
        "database": {
            "type": "object",
            "required": ["queryTime", "connectionPool", "slowQueries"],
            "properties": {
                "queryTime": {"type": "array", "items": {"type": "number"}},
                "connectionPool": {"type": "object", "required": ["active", "idle", "waiting"],
                                   "properties": {k: {"type": "integer", "minimum": 0}
                                                  for k in ("active", "idle", "waiting")}},
                "slowQueries": {"type": "array", "items": {
                    "type": "object", "required": ["query", "duration"],
                    "properties": {"query": {"type": "string"}, "duration": {"type": "number"}}}},
            },
        },
        "queries": {"type": "array", "items": {
            "type": "object", "required": ["name", "runs", "rls_ratio", "rls_flagged", "plans"],
            "properties": {
                "rls_ratio": {"type": "number", "exclusiveMinimum": 0},
                "runs": {"type": "array", "minItems": 2, "items": {
                    "type": "object", "required": ["identity", "latency", "samples_us", "throughput_rps"],
                    "properties": {"latency": LATENCY, "samples_us": {"type": "array", "minItems": 20,
                                                                      "items": {"type": "integer"}}}}},
                "plans": {"type": "array", "minItems": 2, "items": {
                    "type": "object", "required": ["fingerprint", "shape", "flags"]}},
            }}},
    },
}


@pytest.fixture(scope="module")
def baseline(pgm_server: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One real run on this repository's project, saved as a baseline."""
    saved = tmp_path_factory.mktemp("bench") / "base.json"
    result = run_cli("bench", "--scale", "0.01", "--iterations", "20", "--clients", "2", "--slow-ms", "0",
                     "--format", "json", "--save", str(saved), "--sandbox", "dsn", "--sandbox-dsn", pgm_server.dsn())
    assert result.code == 0, result.err
    return saved, json.loads(result.out)


def test_every_query_runs_through_rls_and_as_service_role(baseline: tuple[Path, dict]) -> None:
    saved, report = baseline
    jsonschema.validate(report, SCHEMA)
    assert json.loads(saved.read_text()) == report
    assert {q["name"] for q in report["queries"]} == QUERIES and report["problems"] == []
    for q in report["queries"]:
        runs = {r["identity"]: r for r in q["runs"]}
        assert set(runs) == {"authenticated", "service_role"}
        assert all(r["requests"] == 20 == r["latency"]["count"] for r in runs.values())
        assert q["rls_ratio"] == round(runs["authenticated"]["latency"]["p95"] / runs["service_role"]["latency"]["p95"],
                                       3)
        assert q["rls_flagged"] == (q["rls_ratio"] > 2)
        assert all(p["analyzed"] for p in q["plans"])  # --slow-ms 0: every query is slow, so EXPLAIN ANALYZEd
    assert report["database"]["queryTime"] == [q["runs"][0]["latency"]["p95"] for q in report["queries"]]
    assert report["database"]["connectionPool"]["active"] + report["database"]["connectionPool"]["idle"] == 2
    assert len(report["database"]["slowQueries"]) == 12
    data = report["data"]
    assert data["where"] == "sandbox" and not data["reused"] and data["rows"]["public.usage_metrics"] == 20_010
    # RLS is really in the way: as the sampled owner, a user sees only their own usage events
    analytics = next(q for q in report["queries"] if q["name"] == "usage-analytics")
    assert analytics["runs"][0]["rows_mean"] < analytics["runs"][1]["rows_mean"]


def test_a_dropped_index_fails_the_baseline_with_the_plan_change_named(baseline: tuple[Path, dict], project_copy: Path,
                                                                        pgm_server: Sandbox) -> None:
    saved, _ = baseline
    (project_copy / "migrations" / "20240601000000_drop_usage_index.sql").write_text(
        "drop index public.idx_usage_metrics_user_date;\n")
    result = run_cli("bench", "--scale", "0.01", "--iterations", "20", "--clients", "2", "--baseline", str(saved),
                     "--sandbox", "dsn", "--sandbox-dsn", pgm_server.dsn(), cwd=project_copy)
    assert result.code == 1, result.out + result.err
    assert result.err == ""  # nothing else went wrong: the baseline failed the run
    changed = [line for line in result.out.splitlines() if line.startswith("plan changed: user-usage-by-day as ")]
    assert len(changed) == 2, result.out
    assert "Bitmap Index Scan using idx_usage_metrics_user_date" in changed[0].split("; now ")[0]
    assert "Seq Scan on public.usage_metrics" in changed[0].split("; now ")[1]
    assert "plan changed: user-projects" not in result.out  # its index is still there


def test_a_broken_query_file_is_named_and_the_others_still_run(project_copy: Path, pgm_server: Sandbox) -> None:
    queries = project_copy / "sql" / "queries"
    (queries / "broken.sql").write_text("-- name: broken\n-- param: user_id sampled somehow\n"
                                        "select %(user_id)s::uuid;\n")
    (queries / "no-column.sql").write_text("-- name: no-column\n-- params: {}\n"
                                           "-- param: owner from public.projects.owner_id\nselect %(owner)s::uuid;\n")
    result = run_cli("bench", "--scale", "0.01", "--iterations", "3", "--format", "json", "--sandbox", "dsn",
                     "--sandbox-dsn", pgm_server.dsn(), cwd=project_copy)
    assert result.code == 1
    assert result.err.splitlines() == [
        "error: sql/queries/broken.sql:2: unknown parameter source 'sampled': use `from schema.table.column`, "
        "`range A..B`, `one of a,b,c` or `after PARAM by A..B unit`",
        "error: sql/queries/no-column.sql:3: parameter owner: column public.projects.owner_id does not exist",
    ]
    assert {q["name"] for q in json.loads(result.out)["queries"]} == QUERIES


def test_read_only_on_a_target(pgm_db, cli) -> None:
    refused = cli("bench", "--dsn", "postgresql://nobody@127.0.0.1:1/nowhere", "--scale", "0.01")
    assert refused.code == 2
    assert refused.err.strip() == (
        "error: --dsn: bench is read-only on a real target: generating data at --scale 0.01 inserts rows into it; "
        "add --allow-write to do that, or drop --scale to bench its own data")

    def counts() -> list[tuple[str, int]]:
        with psycopg.connect(pgm_db.dsn) as conn:
            return conn.execute("select relname, n_tup_ins + n_tup_upd + n_tup_del from pg_stat_user_tables "
                                "order by 1").fetchall()

    before = counts()
    result = cli("bench", "--dsn", pgm_db.dsn, "--iterations", "5", "--query", "user-projects", "--query",
                 "usage-analytics", "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["data"]["where"] == "target" and report["data"]["rows"]["public.projects"] == 3  # the seed
    assert {q["name"] for q in report["queries"]} == {"user-projects", "usage-analytics"}
    assert counts() == before

    # --allow-write generates into the target itself, through its triggers and foreign-key checks
    written = cli("bench", "--dsn", pgm_db.dsn, "--allow-write", "--scale", "0.01", "--iterations", "3",
                  "--query", "user-projects", "--format", "json")
    assert written.code == 0, written.err
    rows = json.loads(written.out)["data"]["rows"]
    assert rows["public.projects"] == 500 and rows["public.usage_metrics"] == 20_000
    with psycopg.connect(pgm_db.dsn) as conn:
        assert conn.execute("select count(*) from public.projects").fetchone() == (503,)


def test_a_second_run_clones_the_data_template_and_rate_runs_an_open_loop(pgm_server: Sandbox) -> None:
    settings, project = load(ROOT)
    first = bench(settings, project, scale=0.01, seed=4242, iterations=5, queries=("user-projects",), box=pgm_server)
    second = bench(settings, project, scale=0.01, seed=4242, iterations=30, rate=400.0, clients=2,
                   queries=("user-projects",), box=pgm_server)
    assert not first.data.reused and first.data.generated_s is not None
    assert second.data.reused and second.data.generated_s is None and second.data.template == first.data.template
    assert second.data.rows == first.data.rows
    run = second.queries[0].runs[0]
    assert second.settings.mode == "open" and run.service is not None and run.requests == 30
    assert run.latency.max >= run.service.max  # from the scheduled start: never shorter than the service time
