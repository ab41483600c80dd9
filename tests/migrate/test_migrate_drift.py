"""Guarantee 1 (drift) and 7 (out of order), and `plan --sql` being exactly what migrate runs."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from _migrate_support import MiniProject, history_keys, pgm, snapshot

USERS = """-- the users table
create table public.users (
    id bigint primary key,
    email text not null
);
"""
PROJECTS = """create table public.projects (id bigint primary key, owner bigint references public.users (id));
create index projects_owner_idx on public.projects (owner);
"""
ADD_COL = "alter table public.users add column name text;\n"


@pytest.fixture
def mini(tmp_path: Path) -> MiniProject:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "users", USERS)
    p.migration(2, "projects", PROJECTS)
    return p


def test_normalized_checksums_and_drift_refused_then_repaired(mini: MiniProject, empty_db) -> None:
    first = pgm(mini, "migrate", "--dsn", empty_db.dsn)
    assert first.code == 0, first.err
    assert history_keys(empty_db.dsn) == [mini.key(1), mini.key(2)]

    # CRLF, a BOM and trailing whitespace are not a change.
    path = mini.migration(1, "users", "\ufeff" + USERS.replace("\n", "   \r\n") + "\r\n\r\n")
    again = pgm(mini, "migrate", "--dsn", empty_db.dsn)
    assert again.code == 0, again.err
    assert "nothing to do" in again.out

    # A real edit is refused, naming the file and summarizing the diff; nothing runs.
    mini.migration(3, "add_name", ADD_COL)
    path.write_text(USERS.replace("email text not null", "email text not null unique"))
    before = snapshot(empty_db.dsn)
    refused = pgm(mini, "migrate", "--dsn", empty_db.dsn)
    assert refused.code == 1
    line = refused.err.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith("error: migrations/20240101000001_users.sql: applied migration changed since it ran "
                           "(+1 -1 lines, first at line 4: email text not null unique);")
    assert "repair --accept-checksums" in line
    assert snapshot(empty_db.dsn) == before

    status = pgm(mini, "status", "--dsn", empty_db.dsn, "--format", "json")
    states = {e["key"]: e["state"] for e in json.loads(status.out)["entries"]}
    assert states[mini.key(1)] == "drifted" and states[mini.key(3)] == "pending"

    repaired = pgm(mini, "repair", "--dsn", empty_db.dsn, "--accept-checksums")
    assert repaired.code == 0, repaired.err
    assert "20240101000001_users.sql: accepted" in repaired.out
    done = pgm(mini, "migrate", "--dsn", empty_db.dsn)
    assert done.code == 0, done.err
    assert history_keys(empty_db.dsn) == [mini.key(1), mini.key(2), mini.key(3)]


def test_out_of_order_reported_and_applied_only_when_allowed(mini: MiniProject, empty_db) -> None:
    mini.migration(5, "later", ADD_COL)
    assert pgm(mini, "migrate", "--dsn", empty_db.dsn).code == 0
    # A branch merged late brings a migration older than the newest applied one.
    mini.migration(3, "from_branch", "create table public.branch_table (id int);\n")
    plan = pgm(mini, "plan", "--dsn", empty_db.dsn, "--format", "json")
    assert plan.code == 1
    assert json.loads(plan.out)["plan"]["out_of_order"] == [mini.key(3)]
    status = json.loads(pgm(mini, "status", "--dsn", empty_db.dsn, "--format", "json").out)
    assert {e["key"]: e["state"] for e in status["entries"]}[mini.key(3)] == "out-of-order"

    refused = pgm(mini, "migrate", "--dsn", empty_db.dsn)
    assert refused.code == 1
    assert "20240101000003_from_branch.sql" in refused.err and "--allow-out-of-order" in refused.err
    assert mini.key(3) not in history_keys(empty_db.dsn)

    allowed = pgm(mini, "migrate", "--dsn", empty_db.dsn, "--allow-out-of-order")
    assert allowed.code == 0, allowed.err
    assert mini.key(3) in history_keys(empty_db.dsn)


def test_plan_sql_is_what_migrate_runs(mini: MiniProject, pgm_server, tmp_path: Path) -> None:
    """Run `plan --sql` through psql on one empty database and `migrate` on another: same schema, same rows."""
    import secrets
    import subprocess

    from psycopg import sql as psql

    mini.migration(3, "concurrent", "create index concurrently users_email_idx on public.users (email);\n")
    mini.write("views/user_emails.sql",
               "create or replace view public.user_emails as select email from public.users;\n")
    script = pgm(mini, "plan", "--offline", "--sql")
    assert script.code == 0, script.err
    assert "begin;" in script.out and "pg_try_advisory_lock" in script.out and "schema_history" in script.out
    assert "create index concurrently" in script.out
    names = [f"pgm_sql_{secrets.token_hex(3)}", f"pgm_mig_{secrets.token_hex(3)}"]
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        for n in names:
            conn.execute(psql.SQL("create database {}").format(psql.Identifier(n)))
    try:
        file = tmp_path / "plan.sql"
        file.write_text(script.out)
        ran = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(file), pgm_server.dsn(names[0])],
                             capture_output=True, text=True, check=False)
        assert ran.returncode == 0, ran.stderr
        assert pgm(mini, "migrate", "--dsn", pgm_server.dsn(names[1])).code == 0
        assert snapshot(pgm_server.dsn(names[0])) == snapshot(pgm_server.dsn(names[1]))
        # ... and migrate agrees the psql-run database is up to date.
        assert "nothing to do" in pgm(mini, "migrate", "--dsn", pgm_server.dsn(names[0])).out
    finally:
        with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
            for n in names:
                conn.execute(psql.SQL("drop database if exists {} with (force)").format(psql.Identifier(n)))


def test_plan_shows_locks_rewrites_and_transactions(mini: MiniProject) -> None:
    mini.migration(3, "risky", "alter table public.users alter column email type varchar(200);\n"
                               "create index concurrently users_email_idx on public.users (email);\n")
    report = pgm(mini, "plan", "--offline", "--format", "json")
    assert report.code == 0, report.err
    details = {d["step"]["key"]: d for d in json.loads(report.out)["details"]}
    risky = details[mini.key(3)]
    assert risky["step"]["transactional"] is False
    assert risky["step"]["no_transaction_reason"] == "CREATE INDEX CONCURRENTLY"
    alter, index = risky["statements"]
    assert alter["locks"][0] | {"note": ""} == {"lock": "ACCESS EXCLUSIVE", "table": "public.users",
                                                 "rewrites": True, "scans": True, "note": ""}
    assert index["locks"][0]["lock"] == "SHARE UPDATE EXCLUSIVE" and index["transactional"] is False
    projects = details[mini.key(2)]
    assert projects["step"]["transactional"] is True
    assert [(lk["lock"], lk["table"]) for lk in projects["statements"][0]["locks"]] == [
        ("ACCESS EXCLUSIVE", "public.projects"), ("SHARE ROW EXCLUSIVE", "public.users")]
    text = pgm(mini, "plan", "--offline")
    assert "ACCESS EXCLUSIVE public.users REWRITE SCAN" in text.out
    assert "no transaction (CREATE INDEX CONCURRENTLY)" in text.out


def test_migrate_to_stops_after_that_migration(mini: MiniProject, empty_db) -> None:
    mini.migration(3, "add_name", ADD_COL)
    run = pgm(mini, "migrate", "--dsn", empty_db.dsn, "--to", mini.key(2))
    assert run.code == 0, run.err
    assert history_keys(empty_db.dsn) == [mini.key(1), mini.key(2)]
    status = pgm(mini, "status", "--dsn", empty_db.dsn)
    assert "2 applied, 1 pending" in status.out and "pending      migrations/20240101000003_add_name.sql" in status.out
    bad = pgm(mini, "migrate", "--dsn", empty_db.dsn, "--to", "20991231000000")
    assert bad.code == 1 and bad.err.strip() == "error: --to: no migration with version 20991231000000"
