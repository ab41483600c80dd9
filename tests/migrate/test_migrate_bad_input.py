"""Guarantee 8: bad input changes nothing, says which file, setting or host is at fault, never a password."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from _migrate_support import MiniProject, history_keys, pgm, snapshot
from psycopg import conninfo, sql

from pgmanager.db import describe


def _eight(p: MiniProject, broken: int | None = None) -> None:
    for v in range(1, 9):
        body = f"create table public.t{v} (id int primary key);\ninsert into public.t{v} values ({v});\n"
        if v == broken:
            body = f"create table public.t{v} (id int primary key);\ninsert into public.t{v} valuez ({v});\n"
        p.migration(v, f"t{v}", body)


def test_syntax_error_in_fifth_of_eight_applies_nothing(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    _eight(p, broken=5)
    before = snapshot(empty_db.dsn)
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 1
    assert run.err.strip() == 'error: migrations/20240101000005_t5.sql:2:23: syntax error at or near "valuez"'
    assert snapshot(empty_db.dsn) == before  # not even the history table: the error came before any SQL
    assert history_keys(empty_db.dsn) == []


def test_newer_schema_than_the_project_knows(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    _eight(p)
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0
    for v in (7, 8):  # an older checkout: the target is ahead of it
        next((p.root / "migrations").glob(f"{p.key(v)}_*.sql")).unlink()
    p.migration(9, "late", "create table public.late (id int);\n")
    before = snapshot(empty_db.dsn)
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 1
    assert run.err.strip() == (
        f"error: {describe(empty_db.dsn)}: the target has a newer schema than this project knows: applied "
        f"migration(s) {p.key(7)}, {p.key(8)} have no file here; update your checkout")
    assert snapshot(empty_db.dsn) == before
    status = pgm(p, "status", "--dsn", empty_db.dsn)
    assert f"unknown      {p.key(7)}" in status.out


def test_read_only_target(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    _eight(p)
    with empty_db.connect() as conn:
        conn.execute(sql.SQL("alter database {} set default_transaction_read_only = on").format(
            sql.Identifier(empty_db.name)))
    before = snapshot(empty_db.dsn)
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 3
    assert run.err.strip() == (f"error: {describe(empty_db.dsn)}: target is read-only (default_transaction_read_only "
                               "is on): nothing applied")
    assert snapshot(empty_db.dsn) == before


@pytest.fixture
def password_role(pgm_server, empty_db):  # type: ignore[no-untyped-def]
    """A login role with a password (the sandbox's pg_hba asks non-postgres roles for scram)."""
    role, secret = "pgm_pw_user", "S3cret-Right-pw"
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("create role {} login password {}").format(sql.Identifier(role), sql.Literal(secret)))
        conn.execute(sql.SQL("alter database {} owner to {}").format(sql.Identifier(empty_db.name),
                                                                     sql.Identifier(role)))
    with empty_db.connect() as conn:
        conn.execute(sql.SQL("alter schema public owner to {}").format(sql.Identifier(role)))
    yield role, secret
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(empty_db.name)))
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


def test_wrong_password_names_the_host_and_never_prints_a_password(tmp_path: Path, empty_db, password_role) -> None:
    role, secret = password_role
    p = MiniProject(tmp_path / "proj")
    _eight(p)
    wrong = conninfo.make_conninfo(empty_db.dsn, user=role, password="Wr0ng-Secret-pw")
    before = snapshot(empty_db.dsn)
    for command in ("migrate", "plan", "status"):
        run = pgm(p, command, "--dsn", wrong)
        assert run.code == 3, (command, run.err)
        assert run.err.strip() == f"error: {describe(wrong)}: authentication failed: wrong user or password"
        assert "Wr0ng-Secret-pw" not in run.out + run.err
    assert snapshot(empty_db.dsn) == before
    right = conninfo.make_conninfo(empty_db.dsn, user=role, password=secret)
    ok = pgm(p, "migrate", "--dsn", right, "--format", "json")
    assert ok.code == 0, ok.err
    assert secret not in ok.out + ok.err and "***" in ok.out
    assert len(history_keys(empty_db.dsn)) == 8
