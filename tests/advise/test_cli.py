"""`pgmanager advise` as users run it (a real process): the report, the proof on a clone, the migration it
writes (clean under `pgmanager lint`), and bad input as one line with its exit code."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgmanager.sandbox import Sandbox
from tests.conftest import EmptyDb, copy_project, run_cli


def _box(server: Sandbox) -> list[str]:
    return ["--sandbox", "dsn", "--sandbox-dsn", server.dsn(), "--scale", "0.05"]


@pytest.fixture(scope="module")
def report(pgm_server: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """The workload, secondary indexes dropped, proven, with a migration written into a copy of the project."""


    dest = copy_project(tmp_path_factory.mktemp("advise") / "project")
    result = run_cli("advise", "-C", str(dest), *_box(pgm_server), "--drop-secondary", "--proof-iterations", "40",
                     "--write-migration", "--format", "json")
    assert result.code in (0, 1), result.err
    return json.loads(result.out), dest


def test_the_proof_reports_a_faster_p95(report: tuple[dict, Path]) -> None:
    data, _ = report
    assert data["method"] == "hypopg" and data["recommendations"]
    assert data["relative_cost"] < 0.5
    proof = data["proof"]
    assert proof["proved"] and proof["where"].startswith("sandbox clone")
    by_name = {q["name"]: q for q in proof["queries"]}
    day = by_name["user-usage-by-day"]
    assert day["p95_after_ms"] < day["p95_before_ms"]
    assert "usage_metrics" in day["plan_after"] and "idx_usage_metrics_user_id" in day["plan_after"]
    for rec in data["recommendations"]:
        assert rec["used_by"] and rec["real_bytes"] > 0 and rec["estimated_bytes"] > 0
        assert rec["definition"].startswith("create index concurrently if not exists")
    assert proof["unused"] == []


def test_the_written_migration_lints_clean(report: tuple[dict, Path]) -> None:
    data, dest = report
    path = dest / data["migration"]
    text = path.read_text()
    # --drop-secondary: what the project already has is left out (test_whatif checks which)
    present = [n for n in data["notes"] if "left out of the migration: the project already has it as" in n]
    assert text.count("create index concurrently if not exists") == len(data["recommendations"]) - len(present) > 0
    for note in present:
        assert note.split(" ", 1)[0] not in text
    assert path.with_name(path.name.replace(".sql", ".rollback.sql")).is_file()
    linted = run_cli("lint", "-C", str(dest), str(path), "--format", "json")
    assert linted.code == 0, linted.out + linted.err
    planned = run_cli("analyze", "-C", str(dest), str(path), "--format", "json")
    assert planned.code == 0, planned.err
    assert json.loads(planned.out)["files"][0]["transactional"] is False


def test_a_query_that_does_not_parse(pgm_server: Sandbox, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("-- name: bad\n\nselect id\nfrom public.projects\nwhere user_id = = 1\n")
    result = run_cli("advise", *_box(pgm_server), "--query-file", str(bad))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert lines == [f'error: {bad}:5: syntax error at or near "="'], result.err
    assert "Traceback" not in result.err


def test_a_workload_file_that_does_not_parse_names_its_line(pgm_server: Sandbox, tmp_path: Path) -> None:
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "ok.sql").write_text("select 1\n")
    (folder / "broken.sql").write_text("-- name: broken\nselect *\nfrom public.projects\nwhere\n")
    result = run_cli("advise", *_box(pgm_server), "--workload", str(folder), "--no-proof")
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1 and "broken.sql:" in result.err, result.err


def test_an_unknown_table(pgm_server: Sandbox) -> None:
    result = run_cli("advise", *_box(pgm_server), "--query", "select * from public.nope where id = $1", "--no-proof")
    assert result.code == 2
    assert result.err.strip() == "error: --query:1: table public.nope does not exist (query query)"


def test_no_hypopg_on_a_live_target_is_one_line_and_writes_nothing(pgm_server: Sandbox, empty_db: EmptyDb) -> None:
    role, password = "pgm_nohypo_" + secrets.token_hex(3), secrets.token_hex(8)
    with psycopg.connect(empty_db.dsn, autocommit=True) as conn:
        conn.execute("create table public.t (id int primary key, owner int)")
        conn.execute(sql.SQL("create role {} login password {}").format(sql.Identifier(role), sql.Literal(password)))
        conn.execute(sql.SQL("grant select on public.t to {}").format(sql.Identifier(role)))
    try:
        dsn = psycopg.conninfo.make_conninfo(empty_db.dsn, user=role, password=password)
        result = run_cli("advise", "--dsn", dsn, "--query", "select id from public.t where owner = $1")
        assert result.code == 3
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and "hypopg is not available" in lines[0], result.err
        assert password not in result.err
        with psycopg.connect(empty_db.dsn) as conn:
            assert conn.execute("select count(*) from pg_extension where extname = 'hypopg'").fetchone() == (0,)
    finally:
        with psycopg.connect(empty_db.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def test_a_live_target_with_hypopg_in_a_rolled_back_transaction(empty_db: EmptyDb) -> None:
    with psycopg.connect(empty_db.dsn, autocommit=True) as conn:
        conn.execute("create table public.t (id int primary key, owner int, at timestamptz)")
        conn.execute("insert into public.t select g, g % 500, now() - g * interval '1 minute' "
                     "from generate_series(1, 50000) as g")
        conn.execute("analyze public.t")
    result = run_cli("advise", "--dsn", empty_db.dsn, "--query",
                     "select id from public.t where owner = %(o)s::int order by at desc limit 5", "--param", "o=7",
                     "--proof-iterations", "20", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert [r["columns"] for r in data["recommendations"]] == [["owner", "at desc"]]
    assert data["proof"]["proved"] and data["proof"]["where"].startswith("copy pgm_advise_"), data["proof"]
    with psycopg.connect(empty_db.dsn) as conn:  # nothing written on the target
        assert conn.execute("select count(*) from pg_extension where extname = 'hypopg'").fetchone() == (0,)
        assert conn.execute("select count(*) from pg_indexes where tablename = 't'").fetchone() == (1,)
