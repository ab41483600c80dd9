"""`migrate --rehearse`: the plan runs first on a schema-only copy of the target, and stops there on failure."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from _migrate_support import MiniProject, history_keys, pgm, snapshot
from psycopg import sql

BASE = """create table public.accounts (id bigint primary key, email text);
insert into public.accounts values (1, 'a@x');
"""


def _databases(admin_dsn: str) -> set[str]:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        return {r[0] for r in conn.execute("select datname from pg_database").fetchall()}


def test_rehearsal_catches_a_target_that_drifted_out_of_band(tmp_path: Path, empty_db, pgm_server) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "accounts", BASE)
    p.write("policies/accounts.sql", "alter table public.accounts enable row level security;\n"
                                     "drop policy if exists accounts_read on public.accounts;\n"
                                     "create policy accounts_read on public.accounts for select to pgm_reader "
                                     "using (true);\n")
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute("drop role if exists pgm_reader")
        conn.execute("create role pgm_reader nologin")
    try:
        assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0
        with empty_db.connect() as conn:  # someone added the column by hand on the live database
            conn.execute("alter table public.accounts add column team text")
        p.migration(2, "team", "alter table public.accounts add column team text;\n")
        p.migration(3, "more", "create table public.other (id int);\n")
        before = snapshot(empty_db.dsn)
        admin = pgm_server.dsn()
        dbs = _databases(admin)
        run = pgm(p, "migrate", "--dsn", empty_db.dsn, "--rehearse", "--sandbox", "dsn", "--sandbox-dsn", admin)
        assert run.code == 1
        assert run.err.strip().splitlines()[-1] == (
            "error: migrations/20240101000002_team.sql:1:1: rehearsal on a schema-only "
                                          "copy of the target failed, nothing applied: column \"team\" of relation "
                                          "\"accounts\" already exists (42701)")
        assert snapshot(empty_db.dsn) == before
        assert _databases(admin) == dbs  # the rehearsal database is gone

        p.migration(2, "team", "alter table public.accounts add column if not exists team text;\n")
        ok = pgm(p, "migrate", "--dsn", empty_db.dsn, "--rehearse", "--format", "json")  # default provider
        assert ok.code == 0, ok.err
        assert "rehearsing 3 step(s)" in ok.err
        assert [s["key"] for s in json.loads(ok.out)["steps"]] == [p.key(2), p.key(3), "policies/accounts.sql"]
        assert history_keys(empty_db.dsn) == [p.key(1), p.key(2), p.key(3), "policies/accounts.sql"]
        with empty_db.connect() as conn:  # the rehearsal copied no data, the target kept its rows
            assert conn.execute("select count(*) from public.accounts").fetchone() == (1,)
    finally:
        with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(empty_db.name)))
            conn.execute("drop role if exists pgm_reader")
