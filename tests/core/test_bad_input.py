"""Bad input: one line naming the file:line or setting at fault, a non-zero exit, no traceback,
no password, and nothing changed on the target."""

from __future__ import annotations

import re
import shutil
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


def test_an_explicit_provider_that_cannot_work_here(cli, project_copy: Path) -> None:
    # no engine at that socket (one may run on this machine: tests/sandbox_docker use it)
    result = cli("check", "--no-lint", "--sandbox", "docker", cwd=project_copy,
                 env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
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


def set_setting(project: Path, name: str, toml_value: str | None) -> None:
    """Set (or, with None, remove) one key of [tool.pgmanager] in the project's pyproject.toml."""
    pyproject = project / "pyproject.toml"
    text = re.sub(rf"(?m)^{name} = .*\n", "", pyproject.read_text())
    if toml_value is not None:
        text = text.replace("[tool.pgmanager]\n", f"[tool.pgmanager]\n{name} = {toml_value}\n", 1)
    pyproject.write_text(text)


def test_bad_setting_names_the_setting(cli, project_copy: Path) -> None:
    set_setting(project_copy, "lock_timeout", '"soon"')
    result = cli("check", cwd=project_copy)
    assert_one_line_error(result, 2, "tool.pgmanager.lock_timeout: invalid duration 'soon'")


# (setting, TOML value, the one line's expected part): every setting is checked against its range
BAD_SETTINGS = [
    ("lock_timeout", '"99999999999999h"', "tool.pgmanager.lock_timeout: duration '99999999999999h' is too long: "
     "lock_timeout is at most 2147483647ms"),
    ("lock_timeout", '"0"', "tool.pgmanager.lock_timeout: lock_timeout must be more than 0 (0 means no timeout"),
    ("lock_timeout", "0", "tool.pgmanager.lock_timeout: lock_timeout must be more than 0"),
    ("lock_timeout_max", '"0ms"', "tool.pgmanager.lock_timeout_max: lock_timeout_max must be more than 0"),
    ("lock_wait", '"2147483648ms"', "tool.pgmanager.lock_wait: duration '2147483648ms' is too long"),
    ("lock_wait", '"-1s"', "tool.pgmanager.lock_wait: invalid duration '-1s'"),
    ("statement_timeout", '"596524h"', "tool.pgmanager.statement_timeout: duration '596524h' is too long"),
    ("lock_retries", "-1", "tool.pgmanager.lock_retries: lock_retries must be between 0 and 1000, got -1"),
    ("lock_retries", "1001", "tool.pgmanager.lock_retries: lock_retries must be between 0 and 1000, got 1001"),
    ("lock_retries", "true", "tool.pgmanager.lock_retries: lock_retries must be a whole number, got True"),
    ("pool_size", "0", "tool.pgmanager.pool_size: pool_size must be between 1 and 64, got 0"),
    ("pool_size", "-3", "tool.pgmanager.pool_size: pool_size must be between 1 and 64, got -3"),
    ("pool_size", "65", "tool.pgmanager.pool_size: pool_size must be between 1 and 64, got 65"),
    ("auth_emulation", '"sql/no_such_auth.sql"', "tool.pgmanager.auth_emulation: file 'sql/no_such_auth.sql' "
     "does not exist"),
    ("auth_emulation", '"sql"', "tool.pgmanager.auth_emulation: 'sql' is not a file"),
    ("seed", '"sql/no_such_seed.sql"', "tool.pgmanager.seed: file 'sql/no_such_seed.sql' does not exist"),
    ("history_schema", '"Pgm-History"', "tool.pgmanager.history_schema: 'Pgm-History' is not a usable schema name"),
    ("history_schema", '"pg_history"', "tool.pgmanager.history_schema: 'pg_history' is not a usable schema name"),
    ("exposed_schemas", "[]", "tool.pgmanager.exposed_schemas: name at least one schema"),
    ("exposed_schemas", '["public", ""]', "tool.pgmanager.exposed_schemas: '' is not a schema name"),
    ("migrations", '""', "tool.pgmanager.migrations: migrations must name a folder"),
]


@pytest.mark.parametrize(("name", "value", "expected"), BAD_SETTINGS)
def test_every_setting_is_checked_against_its_range(cli, project_copy: Path, name: str, value: str,
                                                    expected: str) -> None:
    set_setting(project_copy, name, value)
    result = cli("plan", cwd=project_copy)  # offline: the settings are read before anything else
    assert_one_line_error(result, 2, expected)


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("PGMANAGER_LOCK_RETRIES", "-1", "PGMANAGER_LOCK_RETRIES: lock_retries must be between 0 and 1000, got -1"),
    ("PGMANAGER_LOCK_TIMEOUT", "0", "PGMANAGER_LOCK_TIMEOUT: lock_timeout must be more than 0"),
    ("PGMANAGER_POOL_SIZE", "many", "PGMANAGER_POOL_SIZE: Input should be a valid integer"),
    ("PGMANAGER_AUTH_EMULATION", "nowhere.sql", "PGMANAGER_AUTH_EMULATION: file 'nowhere.sql' does not exist"),
    ("PGMANAGER_EXPOSED_SCHEMAS", " , ", "PGMANAGER_EXPOSED_SCHEMAS: name at least one schema"),
])
def test_a_bad_environment_override_names_the_variable(cli, project_copy: Path, variable: str, value: str,
                                                       expected: str) -> None:
    result = cli("plan", cwd=project_copy, env={variable: value})
    assert_one_line_error(result, 2, expected)


def test_the_limits_themselves_are_accepted(cli, project_copy: Path) -> None:
    for name, value in (("lock_timeout", '"1ms"'), ("statement_timeout", '"2147483647ms"'), ("lock_retries", "0"),
                        ("lock_retries", "1000"), ("pool_size", "64"), ("lock_wait", "0")):
        set_setting(project_copy, name, value)
    result = cli("plan", cwd=project_copy)
    assert result.code == 0, result.err


def test_a_default_file_may_be_absent_and_an_empty_one_is_off(cli, project_copy: Path) -> None:
    set_setting(project_copy, "seed", None)  # the default, sql/seed.sql, which is not there
    (project_copy / "sql" / "seed.sql").unlink()
    set_setting(project_copy, "auth_emulation", '""')
    (project_copy / "sql" / "supabase_auth.sql").unlink()
    result = cli("plan", "--format", "json", cwd=project_copy)
    assert result.code == 0, result.err
    assert "supabase_auth" not in result.out


@pytest.mark.parametrize("command", ["migrate", "status", "plan", "check", "verify"])
def test_a_project_folder_that_does_not_exist_is_a_usage_error(cli, tmp_path: Path, command: str) -> None:
    missing = tmp_path / "no_such_project"
    result = cli(command, "-C", str(missing), cwd=tmp_path, env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.code == 2, result.err
    assert_one_line_error(result, 2, f"-C/--project: project folder {missing} does not exist")
    assert "newer schema" not in result.err + result.out and "Traceback" not in result.err


def test_a_missing_migrations_folder_is_a_configuration_error(cli, project_copy: Path) -> None:
    shutil.rmtree(project_copy / "migrations")
    folder = (project_copy / "migrations").resolve()
    for args in (("plan",), ("check", "--no-lint"), ("migrate", "--dsn", "postgresql://nobody@127.0.0.1:1/none"),
                 ("status", "--dsn", "postgresql://nobody@127.0.0.1:1/none"), ("verify",)):
        result = cli(*args, cwd=project_copy)
        assert_one_line_error(result, 2, f"tool.pgmanager.migrations: migrations folder {folder} does not exist")
    result = cli("plan", cwd=project_copy, env={"PGMANAGER_MIGRATIONS": "db/migrations"})
    assert_one_line_error(result, 2, "PGMANAGER_MIGRATIONS: migrations folder "
                                     f"{(project_copy / 'db' / 'migrations').resolve()} does not exist")


def test_a_nul_byte_in_a_migration_names_file_line_col(cli, project_copy: Path) -> None:
    path = project_copy / "migrations" / "20990101000000_nul.sql"
    path.write_bytes(b"-- a binary paste\nselect 'a\x00b';\n")
    result = cli("check", cwd=project_copy)
    assert result.code == 1, result.err
    assert "migrations/20990101000000_nul.sql:2:10: NUL byte (0x00) in the file" in result.out
    assert "sandbox:" not in result.out and "Traceback" not in result.out + result.err


@pytest.mark.parametrize(("name", "expected"), [
    ("20240601000000_name.SQL", "migrations/20240601000000_name.SQL:1:1: suffix '.SQL' is not lowercase: rename the "
                                "file to 20240601000000_name.sql"),
    ("20240601000000_name.rollback.Sql", "suffix '.Sql' is not lowercase"),
    ("20241301000000_x.sql", "migrations/20241301000000_x.sql:1:1: version 20241301000000 is not a valid UTC "
                             "timestamp YYYYMMDDHHMMSS: month 13 (01-12)"),
    ("20240230000000_x.sql", "version 20240230000000 is not a valid UTC timestamp YYYYMMDDHHMMSS: day 30 "
                             "(2024-02 has 29 days)"),
    ("20230229000000_x.sql", "day 29 (2023-02 has 28 days)"),
    ("20240101240000_x.sql", "hour 24 (00-23)"),
    ("20240101006000_x.sql", "minute 60 (00-59)"),
    ("20240101000060_x.sql", "second 60 (00-59)"),
    ("00000101000000_x.sql", "year 0000"),
])
def test_a_misnamed_migration_is_refused_with_the_reason(cli, project_copy: Path, name: str, expected: str) -> None:
    (project_copy / "migrations" / name).write_text("create table public.misnamed (id int);\n")
    result = cli("check", cwd=project_copy)
    assert result.code == 1, result.err
    assert expected in result.out
    assert "sandbox:" not in result.out  # refused before anything was built


def test_an_uppercase_suffix_in_policies_or_views_is_not_skipped(cli, project_copy: Path) -> None:
    (project_copy / "policies" / "extra.SQL").write_text("select 1;\n")
    result = cli("check", cwd=project_copy)
    assert result.code == 1
    assert "policies/extra.SQL:1:1: suffix '.SQL' is not lowercase" in result.out


def test_unknown_target_name(cli, project_copy: Path) -> None:
    result = cli("migrate", "--target", "prod", cwd=project_copy)
    assert_one_line_error(result, 2, "--target: unknown target 'prod'")
