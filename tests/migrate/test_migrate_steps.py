"""Guarantees 5 (non-transactional statements, INVALID indexes) and 6 (repeatables), rollback and repair."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _migrate_support import MiniProject, history_keys, pgm, snapshot

TABLE = """create table public.accounts (id bigint primary key, email text, team text);
insert into public.accounts values (1, 'a@x', 'red'), (2, 'a@x', 'blue');
"""


def _states(p: MiniProject, dsn: str) -> dict[str, dict]:  # type: ignore[type-arg]
    report = json.loads(pgm(p, "status", "--dsn", dsn, "--format", "json").out)
    return {e["key"]: e for e in report["entries"]} | {"_invalid": report["invalid_indexes"]}


def test_concurrent_index_runs_outside_a_transaction_and_invalid_index_is_handled(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "accounts", TABLE)
    # No directive: the AST says this cannot run in a transaction. The unique build fails on duplicates.
    p.migration(2, "unique_email", "create unique index concurrently accounts_email_key on public.accounts (email);\n"
                                   "comment on index public.accounts_email_key is 'one account per email';\n")
    plan = json.loads(pgm(p, "plan", "--dsn", empty_db.dsn, "--format", "json").out)
    step = plan["plan"]["steps"][1]
    assert (step["transactional"], step["no_transaction_reason"]) == (False, "CREATE INDEX CONCURRENTLY")

    failed = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert failed.code == 3
    assert "migrations/20240101000002_unique_email.sql:1:1" in failed.err and "23505" in failed.err
    assert history_keys(empty_db.dsn) == [p.key(1)]  # no history row for the half-run migration
    states = _states(p, empty_db.dsn)
    assert states[p.key(2)]["state"] == "failed"
    assert [(i["name"], i["table"]) for i in states["_invalid"]] == [("accounts_email_key", "accounts")]
    assert "repair --drop-invalid-indexes" in pgm(p, "status", "--dsn", empty_db.dsn).out

    with empty_db.connect() as conn:  # the data is fixed; the retry drops the INVALID leftover first
        conn.execute("update public.accounts set email = 'b@x' where id = 2")
    retried = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert retried.code == 0, retried.err
    assert "dropping INVALID index public.accounts_email_key" in retried.err
    states = _states(p, empty_db.dsn)
    assert states[p.key(2)]["state"] == "applied" and states["_invalid"] == []
    with empty_db.connect() as conn:
        valid = conn.execute("select indisvalid from pg_index where indexrelid = 'accounts_email_key'::regclass")
        assert valid.fetchone() == (True,)


def test_repair_drops_invalid_indexes_and_marks_migrations(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "accounts", TABLE)
    p.migration(2, "team_idx", "create unique index concurrently accounts_email_key on public.accounts (email);\n")
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 3
    dropped = pgm(p, "repair", "--dsn", empty_db.dsn, "--drop-invalid-indexes")
    assert dropped.code == 0 and "dropped INVALID index public.accounts_email_key on accounts" in dropped.out
    assert _states(p, empty_db.dsn)["_invalid"] == []

    # Baseline: the index was built by hand; record the migration as applied without running it.
    with empty_db.connect() as conn:
        conn.execute("create index accounts_email_key on public.accounts (email)")
    before = snapshot(empty_db.dsn, history=False)
    marked = pgm(p, "repair", "--dsn", empty_db.dsn, "--mark-applied", p.key(2))
    assert marked.code == 0 and "marked applied (not run)" in marked.out
    assert history_keys(empty_db.dsn) == [p.key(1), p.key(2)]
    assert snapshot(empty_db.dsn, history=False) == before
    assert "nothing to do" in pgm(p, "migrate", "--dsn", empty_db.dsn).out

    unmarked = pgm(p, "repair", "--dsn", empty_db.dsn, "--mark-not-applied", p.key(2))
    assert unmarked.code == 0 and "marked not applied" in unmarked.out
    assert history_keys(empty_db.dsn) == [p.key(1)]
    assert snapshot(empty_db.dsn, history=False) == before  # nothing was run
    usage = pgm(p, "repair", "--dsn", empty_db.dsn)
    assert usage.code == 2 and "--accept-checksums" in usage.err
    unknown = pgm(p, "repair", "--dsn", empty_db.dsn, "--mark-applied", "20991231000000")
    assert unknown.code == 1 and unknown.err.strip() == (
        "error: --mark-applied: no migration with version 20991231000000 in this project")


VIEW = "create or replace view public.team_sizes as select team, count(*) as n from public.accounts group by team;\n"
POLICY = """alter table public.notes enable row level security;
drop policy if exists notes_read on public.notes;
create policy notes_read on public.notes for select using (true);
"""


def _reapplied(result_json: str) -> list[str]:
    return [s["file"] for s in json.loads(result_json)["steps"] if s["kind"] in ("view", "policy")]


def test_repeatables_reapplied_only_when_changed_or_a_dependency_changed(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "accounts", TABLE + "create table public.notes (id int, body text);\n")
    p.write("views/team_sizes.sql", VIEW)
    p.write("views/big_teams.sql", "create or replace view public.big_teams as select team from public.team_sizes "
                                   "where n > 1;\n")
    p.write("policies/notes.sql", POLICY)
    first = pgm(p, "migrate", "--dsn", empty_db.dsn, "--format", "json")
    assert first.code == 0, first.err
    # Dependency order: a view after the view it reads; views before policies.
    assert _reapplied(first.out) == ["views/team_sizes.sql", "views/big_teams.sql", "policies/notes.sql"]

    p.migration(2, "notes_col", "alter table public.notes add column author text;\n")
    p.migration(3, "seed", "insert into public.accounts values (3, 'c@x', 'red');\n")  # rows only: no reapply
    second = pgm(p, "migrate", "--dsn", empty_db.dsn, "--format", "json")
    assert _reapplied(second.out) == ["policies/notes.sql"]

    p.write("views/team_sizes.sql", VIEW.replace("count(*)", "count(id)"))
    p.migration(4, "notes_idx", "create index notes_body_idx on public.notes (body);\n")  # an index: no reapply
    third = pgm(p, "migrate", "--dsn", empty_db.dsn, "--format", "json")
    assert _reapplied(third.out) == ["views/team_sizes.sql"]
    assert "nothing to do" in pgm(p, "migrate", "--dsn", empty_db.dsn).out


def test_repeatables_apply_in_one_transaction(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "accounts", TABLE)
    p.write("views/a_sizes.sql", VIEW)
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0
    before = snapshot(empty_db.dsn)
    p.write("views/a_sizes.sql", VIEW.replace("count(*) as n", "count(*) as n, max(id) as top"))
    p.write("views/b_broken.sql", "create or replace view public.b_broken as select nope from public.accounts;\n")
    broken = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert broken.code == 3 and "views/b_broken.sql:1:" in broken.err
    assert snapshot(empty_db.dsn) == before  # the good change was rolled back with the bad one


ROLLBACKABLE = {
    1: ("t1", "create table public.t1 (id int);\n", "drop table public.t1;\n"),
    2: ("t2", "create table public.t2 (id int);\n", "drop table public.t2;\n"),
    3: ("t3", "create table public.t3 (id int);\n", None),
    4: ("t4", "create table public.t4 (id int);\n", "drop table public.t4;\n"),
    5: ("t5", "create table public.t5 (id int);\n", "drop table public.t5;\n"),
}


@pytest.fixture
def rolled(tmp_path: Path, empty_db) -> MiniProject:
    p = MiniProject(tmp_path / "proj")
    for v, (name, up, down) in ROLLBACKABLE.items():
        p.migration(v, name, up)
        if down:
            p.write(f"migrations/{p.key(v)}_{name}.rollback.sql", down)
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0
    return p


def test_rollback_last_and_to(rolled: MiniProject, empty_db) -> None:
    p = rolled
    one = pgm(p, "rollback", "--dsn", empty_db.dsn)
    assert one.code == 0, one.err
    assert history_keys(empty_db.dsn) == [p.key(v) for v in (1, 2, 3, 4)]
    with empty_db.connect() as conn:
        assert conn.execute("select to_regclass('public.t5')").fetchone() == (None,)
    assert pgm(p, "rollback", "--dsn", empty_db.dsn, "--to", p.key(3)).code == 0
    assert history_keys(empty_db.dsn) == [p.key(v) for v in (1, 2, 3)]
    # Re-applying after a rollback works: the migrations are pending again.
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0
    assert len(history_keys(empty_db.dsn)) == 5


def test_rollback_refuses_without_a_rollback_file_and_changes_nothing(rolled: MiniProject, empty_db) -> None:
    before = snapshot(empty_db.dsn)
    refused = pgm(rolled, "rollback", "--dsn", empty_db.dsn, "--last", "3")
    assert refused.code == 1
    assert refused.err.strip() == (
        "error: migrations/20240101000003_t3.sql: no rollback file: cannot undo this migration (write "
        "migrations/20240101000003_t3.rollback.sql); nothing was rolled back")
    assert snapshot(empty_db.dsn) == before


def test_statements_that_refuse_transactions_are_found_from_the_ast(tmp_path: Path, empty_db) -> None:
    """Each of these fails inside a transaction block; no directive marks the file, yet it applies."""
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "accounts", TABLE)
    p.migration(2, "maintenance", "create index concurrently accounts_team_idx on public.accounts (team);\n"
                                  "reindex (concurrently) index public.accounts_team_idx;\n"
                                  "vacuum (analyze) public.accounts;\n"
                                  "drop index concurrently if exists public.no_such_index;\n")
    p.write(f"migrations/{p.key(2)}_maintenance.rollback.sql",
            "drop index concurrently public.accounts_team_idx;\n")
    run = pgm(p, "migrate", "--dsn", empty_db.dsn, "--format", "json")
    assert run.code == 0, run.err
    step = json.loads(run.out)["steps"][1]
    assert (step["transactional"], step["statements"]) == (False, 4)
    assert history_keys(empty_db.dsn) == [p.key(1), p.key(2)]
    back = pgm(p, "rollback", "--dsn", empty_db.dsn)  # a rollback file that needs no transaction either
    assert back.code == 0, back.err
    with empty_db.connect() as conn:
        assert conn.execute("select to_regclass('public.accounts_team_idx')").fetchone() == (None,)
    assert history_keys(empty_db.dsn) == [p.key(1)]
