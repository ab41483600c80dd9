"""Bad input: one line naming the file:line or setting at fault, a non-zero exit, no traceback,
no password, and nothing changed on the target."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgmanager.sandbox import Sandbox

SYNTAX_MIGRATION = "20240101000300_create_files.sql"


def assert_one_line_error(result, code: int, *fragments: str, secret: str | None = None) -> None:
    assert result.code == code, (result.out, result.err)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in result.err + result.out
    if secret:
        assert secret not in result.err + result.out


def break_migration(project: Path) -> str:
    path = project / "migrations" / SYNTAX_MIGRATION
    lines = path.read_text().splitlines()
    i = next(n for n, line in enumerate(lines) if line.lower().startswith("create table"))
    lines[i] = lines[i].replace("create table", "create TABL", 1)
    path.write_text("\n".join(lines) + "\n")
    return f"migrations/{SYNTAX_MIGRATION}:{i + 1}:8: syntax error at or near \"TABL\""


def test_check_reports_a_syntax_error_at_file_line_col(cli, project_copy: Path) -> None:
    expected = break_migration(project_copy)
    result = cli("check", "--format", "text", cwd=project_copy)
    assert result.code == 1
    assert expected in result.out
    assert "sandbox:" not in result.out  # found before anything was built
    assert "Traceback" not in result.out + result.err


def test_migrate_finds_the_syntax_error_before_any_sql_runs(cli, project_copy: Path, empty_db) -> None:
    expected = break_migration(project_copy)
    result = cli("migrate", "--dsn", empty_db.dsn, cwd=project_copy)
    assert_one_line_error(result, 1, expected)
    with empty_db.connect() as conn:
        assert conn.execute("select to_regclass('pgmanager.schema_history'), to_regclass('public.users'),"
                            " to_regnamespace('auth')").fetchone() == (None, None, None)


def test_non_utf8_file(cli, project_copy: Path) -> None:
    (project_copy / "views" / "latin1.sql").write_bytes("-- caf\xe9\nselect 1;\n".encode("latin-1"))
    result = cli("check", cwd=project_copy)
    assert result.code == 1
    assert "views/latin1.sql:1:7: not valid UTF-8 (byte 0xe9)" in result.out


def test_dependency_cycle_between_repeatables(cli, project_copy: Path, empty_db) -> None:
    (project_copy / "views" / "a_cycle.sql").write_text(
        "create or replace view public.cycle_a as select * from public.cycle_b;\n")
    (project_copy / "views" / "b_cycle.sql").write_text(
        "create or replace view public.cycle_b as select * from public.cycle_a;\n")
    result = cli("migrate", "--dsn", empty_db.dsn, cwd=project_copy)
    assert_one_line_error(result, 1, "dependency cycle: views/a_cycle.sql -> views/b_cycle.sql -> views/a_cycle.sql")
    with empty_db.connect() as conn:
        assert conn.execute("select to_regclass('public.users')").fetchone() == (None,)


def test_missing_dependency_names_the_file_and_line(cli, project_copy: Path, empty_db) -> None:
    (project_copy / "views" / "orphan.sql").write_text(
        "-- a view over a table nobody creates\ncreate or replace view public.orphan as\n"
        "    select id from public.no_such_table;\n")
    result = cli("migrate", "--dsn", empty_db.dsn, cwd=project_copy)
    assert_one_line_error(result, 3, 'views/orphan.sql:3:20: relation "public.no_such_table" does not exist (42P01)')
    with empty_db.connect() as conn:  # the repeatables ran in one transaction: none of them stayed
        assert conn.execute("select to_regclass('public.project_analytics')").fetchone() == (None,)


def test_missing_python_dependency_for_a_provider(cli, project_copy: Path) -> None:
    result = cli("check", "--no-lint", "--sandbox", "docker", cwd=project_copy)
    assert result.code == 3
    assert "--sandbox docker: no sandbox provider works here: docker:" in result.err


def test_unreachable_host(cli, project_copy: Path) -> None:
    result = cli("migrate", "--dsn", "postgresql://app:Sup3rSecret@127.0.0.1:1/app", cwd=project_copy)
    assert_one_line_error(result, 3, "127.0.0.1:1/app: database unreachable", secret="Sup3rSecret")


@pytest.fixture
def password_role(pgm_server: Sandbox):
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute("drop role if exists pgm_pw_user")
        conn.execute(sql.SQL("create role pgm_pw_user login password {}").format(sql.Literal("right-pass")))
    yield "pgm_pw_user"
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute("drop role if exists pgm_pw_user")


def test_wrong_password(cli, project_copy: Path, pgm_server: Sandbox, password_role: str) -> None:
    port = psycopg.conninfo.conninfo_to_dict(pgm_server.dsn())["port"]
    dsn = f"postgresql://{password_role}:WrongPass123@127.0.0.1:{port}/postgres"
    result = cli("migrate", "--dsn", dsn, cwd=project_copy)
    assert_one_line_error(result, 3, "authentication failed: wrong user or password", secret="WrongPass123")


def test_password_in_keyword_dsn_is_not_printed(cli, project_copy: Path, pgm_server: Sandbox,
                                                password_role: str) -> None:
    port = psycopg.conninfo.conninfo_to_dict(pgm_server.dsn())["port"]
    dsn = f"host=127.0.0.1 port={port} user={password_role} password=WrongPass456 dbname=postgres"
    result = cli("migrate", "--dsn", dsn, "--format", "json", cwd=project_copy)
    assert_one_line_error(result, 3, "authentication failed", secret="WrongPass456")


def test_missing_database(cli, project_copy: Path, pgm_server: Sandbox) -> None:
    port = psycopg.conninfo.conninfo_to_dict(pgm_server.dsn())["port"]
    result = cli("migrate", "--dsn", f"postgresql://postgres@127.0.0.1:{port}/no_such_db", cwd=project_copy)
    assert_one_line_error(result, 3, "database 'no_such_db' does not exist")


def test_no_target_at_all(cli, project_copy: Path) -> None:
    result = cli("migrate", cwd=project_copy)
    assert_one_line_error(result, 2, "--dsn: no target database")


def test_bad_setting_names_the_setting(cli, project_copy: Path) -> None:
    pyproject = project_copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('lock_timeout = "5s"', 'lock_timeout = "soon"'))
    result = cli("check", cwd=project_copy)
    assert_one_line_error(result, 2, "tool.pgmanager.lock_timeout: invalid duration 'soon'")


def test_unknown_target_name(cli, project_copy: Path) -> None:
    result = cli("migrate", "--target", "prod", cwd=project_copy)
    assert_one_line_error(result, 2, "--target: unknown target 'prod'")
