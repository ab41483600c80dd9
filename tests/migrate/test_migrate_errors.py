"""A failing statement is named by file:line:col, though a transactional file is sent in one round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _migrate_support import MiniProject, history_keys, pgm, snapshot

BODY = """-- a comment with a non-ASCII character: é
create table public.items (id int primary key, qty int);

insert into public.items values (1, 10);
{bad}
create table public.after_bad (id int);
"""


@pytest.mark.parametrize(("bad", "where", "message"), [
    # The server gives a position: the exact token.
    ("select qty, nope from public.items;", "5:13", 'column "nope" does not exist (42703)'),
    # No position (a runtime error): the file is replayed in a rolled-back transaction to find the statement.
    ("insert into public.items values (1, 20);", "5:1",
     'duplicate key value violates unique constraint "items_pkey" (23505)'),
    ("update public.items set qty = qty / 0;", "5:1", "division by zero (22012)"),
], ids=["position", "unique-violation", "division-by-zero"])
def test_error_points_at_the_statement(tmp_path: Path, empty_db, bad: str, where: str, message: str) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "first", "create table public.first (id int);\n")
    p.migration(2, "items", BODY.format(bad=bad))
    assert pgm(p, "migrate", "--dsn", empty_db.dsn, "--to", p.key(1)).code == 0
    before = snapshot(empty_db.dsn)
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 3
    assert run.err.strip() == f"error: migrations/20240101000002_items.sql:{where}: {message}"
    assert snapshot(empty_db.dsn) == before
    status = json.loads(pgm(p, "status", "--dsn", empty_db.dsn, "--format", "json").out)
    entry = {e["key"]: e for e in status["entries"]}[p.key(2)]
    assert entry["state"] == "failed" and "after 2 statement(s)" in entry["detail"]


def test_a_fixed_migration_clears_its_failure_note_and_the_others_apply_beside_it(tmp_path: Path, empty_db) -> None:
    # The engine reads which keys have a failure note once, and clears only those: the fixed file's note
    # must go, with the migration after it (no note) applied in the same run.
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "items", BODY.format(bad="update public.items set qty = qty / 0;"))
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 3
    with empty_db.connect() as conn:
        assert conn.execute("select key from pgmanager.schema_failures").fetchall() == [(p.key(1),)]
    p.migration(1, "items", BODY.format(bad="update public.items set qty = qty / 1;"))
    p.migration(2, "more", "create table public.more (id int);\n")
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 0, run.err
    assert history_keys(empty_db.dsn) == [p.key(1), p.key(2)]
    with empty_db.connect() as conn:
        assert conn.execute("select count(*) from pgmanager.schema_failures").fetchone() == (0,)
        assert conn.execute("select qty from public.items").fetchall() == [(10,)]
    status = json.loads(pgm(p, "status", "--dsn", empty_db.dsn, "--format", "json").out)
    assert [e["state"] for e in status["entries"]] == ["applied", "applied"]


def test_repeatable_runtime_error_names_its_file(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "items", "create table public.items (id int primary key);\n")
    p.write("views/a_items.sql", "create or replace view public.a_items as select id from public.items;\n")
    p.write("views/b_fail.sql", "create or replace view public.b_fail as select id from public.items;\n"
                                "select 1 / (select count(*) from public.items);\n")
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 3
    assert run.err.strip() == "error: views/b_fail.sql:2:1: division by zero (22012)"
    assert history_keys(empty_db.dsn) == [p.key(1)]  # the repeatables' transaction rolled back whole
