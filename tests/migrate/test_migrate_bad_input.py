"""Guarantee 8: bad input changes nothing, says which file, setting or host is at fault, never a password."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from _migrate_support import MiniProject, cli_env, history_keys, pgm, snapshot
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


# Input the tester found accepted (issue 8 part 4): each is refused before the first statement runs.

@pytest.mark.parametrize(("directive", "expected"), [
    ("lock_retries=-2", "directive lock_retries=-2: lock_retries must be between 0 and 1000, got -2"),
    ("lock_retries=99999999999999", "directive lock_retries=99999999999999: lock_retries must be a whole number"),
    ("lock_retries=1001", "lock_retries must be between 0 and 1000, got 1001"),
    ("lock_retries=three", "directive lock_retries=three: lock_retries must be a whole number, got 'three'"),
    ("lock_timeout=soon", "directive lock_timeout=soon: invalid duration 'soon'"),
    ("lock_timeout=0", "directive lock_timeout=0: lock_timeout must be more than 0 (0 means no timeout"),
    ("lock_timeout=-1s", "invalid duration '-1s'"),
    ("lock_timeout_max=0", "lock_timeout_max must be more than 0"),
    ("statement_timeout=99999999999999h", "duration '99999999999999h' is too long: statement_timeout is at most "
                                          "2147483647ms"),
])
def test_a_bad_directive_value_names_file_line_col_and_applies_nothing(tmp_path: Path, empty_db, directive: str,
                                                                       expected: str) -> None:
    p = MiniProject(tmp_path / "proj")
    _eight(p)
    p.migration(9, "directive", f"-- pgmanager: lock_timeout=2s {directive}\ncreate table public.t9 (id int);\n")
    before = snapshot(empty_db.dsn)
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 1, run.err
    line = run.err.strip()
    assert line.startswith(f"error: migrations/{p.key(9)}_directive.sql:1:31: directive {directive}: "), run.err
    assert expected in line, line
    assert "\n" not in line
    assert snapshot(empty_db.dsn) == before and history_keys(empty_db.dsn) == []
    plan = pgm(p, "plan")  # the offline plan refuses it too
    assert plan.code == 1 and expected in plan.err


def test_a_nul_byte_names_file_line_col_before_connecting(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    _eight(p)
    (p.root / "migrations" / f"{p.key(9)}_nul.sql").write_bytes(b"create table public.t9 (\n  id int\x00\n);\n")
    before = snapshot(empty_db.dsn)
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 1, run.err  # a bad file (exit 1), not a database error (exit 3)
    assert run.err.strip() == (f"error: migrations/{p.key(9)}_nul.sql:2:9: NUL byte (0x00) in the file: SQL text "
                               "cannot hold it (binary or corrupted file?)")
    assert snapshot(empty_db.dsn) == before


@pytest.mark.parametrize(("name", "expected"), [
    ("20240601000000_name.SQL", "migrations/20240601000000_name.SQL:1:1: suffix '.SQL' is not lowercase: rename the "
                                "file to 20240601000000_name.sql (files are read only with a lowercase .sql suffix)"),
    ("20241301000000_x.sql", "migrations/20241301000000_x.sql:1:1: version 20241301000000 is not a valid UTC "
                             "timestamp YYYYMMDDHHMMSS: month 13 (01-12)"),
])
def test_a_misnamed_migration_is_refused_not_skipped_or_applied(tmp_path: Path, empty_db, name: str,
                                                               expected: str) -> None:
    p = MiniProject(tmp_path / "proj")
    _eight(p)
    p.write(f"migrations/{name}", "create table public.misnamed (id int);\n")
    before = snapshot(empty_db.dsn)
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 1, run.err
    assert run.err.strip() == f"error: {expected}"
    assert snapshot(empty_db.dsn) == before


def test_a_missing_project_or_migrations_folder_is_a_usage_error_not_a_newer_schema(tmp_path: Path,
                                                                                      empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    _eight(p)
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0
    before = snapshot(empty_db.dsn)
    for command in ("migrate", "status", "plan", "rollback", "repair"):
        proc = subprocess.run([sys.executable, "-m", "pgmanager", command, "-C", str(tmp_path / "nonexistent"),
                               "--dsn", empty_db.dsn], env=cli_env(), capture_output=True, text=True, timeout=120,
                              check=False)
        assert proc.returncode == 2, (command, proc.stderr)
        assert proc.stderr == f"error: -C/--project: project folder {tmp_path / 'nonexistent'} does not exist\n", \
            proc.stderr
        assert "newer schema" not in proc.stderr + proc.stdout
    shutil.rmtree(p.root / "migrations")
    for command in ("migrate", "status", "plan", "rollback", "repair --accept-checksums"):
        run = pgm(p, *command.split(), "--dsn", empty_db.dsn)
        assert run.code == 2, (command, run.err)
        assert run.err.strip() == (
            f"error: tool.pgmanager.migrations: migrations folder {(p.root / 'migrations').resolve()} does not "
            "exist (run from the project folder, pass -C/--project DIR, or fix the setting)"), command
    assert snapshot(empty_db.dsn) == before
