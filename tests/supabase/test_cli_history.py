"""History compatible with the Supabase CLI (2.117.0, run for real): on a Supabase target pgmanager writes the
rows the CLI writes, reads the rows the CLI wrote, and both tools agree on what is applied.

A "Supabase target" here is a plain cluster of its own (not the session's server: the supabase_admin role is
cluster-wide and would make every emulated database there look like Supabase) with the platform's marks:
the supabase_admin role and the auth schema (our emulation provides auth, storage and the API roles)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgmanager.migrate import pooler
from pgmanager.migrate.supabase import cli_name, split
from pgmanager.sandbox import Sandbox, open_sandbox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "adopt"))
from _adopt_support import copy_project, no_ssl, npm_tool

ROOT = Path(__file__).resolve().parent.parent.parent
EMULATION = (ROOT / "sql" / "supabase_auth.sql").read_text()
TRICKY = """-- a comment before the first statement
create table public.t (id int primary key, s text default 'a;b', "odd;name" text);;
/* a block ; comment /* nested ; */ still */
create function public.f() returns int language plpgsql as $fn$
begin
  return 1; -- inner ;
end $fn$;
create function public.g() returns int language sql
begin atomic
  select 1;
  select 2;
end;
insert into public.t (id, s) values (1, 'it''s; ok');
select 1
-- a trailing comment
"""


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    with open_sandbox("auto") as box:
        with psycopg.connect(box.dsn(), autocommit=True) as conn:
            conn.execute("create role supabase_admin")
        yield box


def _database(box: Sandbox, *, supabase: bool = True) -> str:
    name = "sb_" + secrets.token_hex(4)
    with psycopg.connect(box.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    if supabase:
        with psycopg.connect(box.dsn(name), autocommit=True) as conn:
            conn.execute(EMULATION)  # the platform's auth, storage and roles, as on Supabase
    return box.dsn(name)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(npm_tool("supabase")), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)


def _rows(dsn: str) -> list[tuple[str, str, list[str]]]:
    with psycopg.connect(dsn) as conn:
        return [(v, n, s) for v, n, s in conn.execute(
            "select version, name, statements from supabase_migrations.schema_migrations order by version")]


def _cli_list(dsn: str, cwd: Path) -> list[tuple[str, str]]:
    """(local, remote) per row of `supabase migration list --db-url`."""
    proc = _cli("migration", "list", "--db-url", no_ssl(dsn), cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = []
    for line in proc.stdout.splitlines():
        cells = [c.strip().strip("`").strip() for c in line.split("|")]
        if len(cells) == 3 and (cells[0].isdigit() or cells[1].isdigit()):
            rows.append((cells[0], cells[1]))
    return rows


def _project(tmp_path: Path) -> Path:
    root = copy_project("supabase", tmp_path)
    (root / "supabase" / "config.toml").write_text('project_id = "notes"\n')
    return root


def test_rows_are_written_as_the_cli_writes_them(server: Sandbox, tmp_path: Path, cli) -> None:
    root = tmp_path / "tricky"
    (root / "supabase" / "migrations").mkdir(parents=True)
    (root / "supabase" / "config.toml").write_text('project_id = "tricky"\n')
    (root / "supabase" / "migrations" / "20240101000000_tricky_one.sql").write_text(TRICKY)
    (root / "pyproject.toml").write_text('[tool.pgmanager]\nlayout = "supabase"\nauth_emulation = ""\nseed = ""\n')
    by_cli, by_us = _database(server), _database(server)
    proc = _cli("migration", "up", "--db-url", no_ssl(by_cli), cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    theirs = _rows(by_cli)
    assert theirs and theirs[0][2] == split(TRICKY)  # our split is the CLI's, statement for statement
    result = cli("migrate", "-C", str(root), "--dsn", by_us)
    assert result.code == 0, result.err
    assert "Supabase target (found supabase_admin, auth" in result.err
    assert _rows(by_us) == theirs
    with psycopg.connect(by_us) as conn:  # in our own history too, and the emulation was not applied by us
        keys = [k for (k,) in conn.execute("select key from pgmanager.schema_history")]
        assert keys == ["20240101000000"]


def test_cli_and_pgmanager_agree_on_what_is_applied(server: Sandbox, tmp_path: Path, cli) -> None:
    root = _project(tmp_path)
    dsn = _database(server)
    last = root / "supabase" / "migrations" / "20240103000000_note_count.sql"
    held = last.read_text()
    last.unlink()
    with psycopg.connect(dsn) as conn:
        roles = conn.execute("select rolname, rolsuper, rolbypassrls from pg_roles order by 1").fetchall()
    proc = _cli("migration", "up", "--db-url", no_ssl(dsn), cwd=root)  # the CLI migrated the project so far
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last.write_text(held)

    report = json.loads(cli("status", "-C", str(root), "--dsn", dsn, "--format", "json").out)
    states = [(e["key"], e["state"], e["source"]) for e in report["entries"]]
    assert states == [("20240101000000", "applied", "supabase"), ("20240102000000", "applied", "supabase"),
                      ("20240103000000", "pending", None)]
    assert _cli_list(dsn, root) == [("20240101000000", "20240101000000"), ("20240102000000", "20240102000000"),
                                    ("20240103000000", "")]

    result = cli("migrate", "-C", str(root), "--dsn", dsn, "--format", "json")
    assert result.code == 0, result.err
    assert [s["key"] for s in json.loads(result.out)["steps"]] == ["20240103000000"]  # nothing re-run
    assert _cli_list(dsn, root) == [(v, v) for v in ("20240101000000", "20240102000000", "20240103000000")]
    again = _cli("migration", "up", "--db-url", no_ssl(dsn), cwd=root)
    assert again.returncode == 0 and "up to date" in again.stdout + again.stderr
    report = json.loads(cli("status", "-C", str(root), "--dsn", dsn, "--format", "json").out)
    assert {e["state"] for e in report["entries"]} == {"applied"}
    with psycopg.connect(dsn) as conn:  # roles untouched; our history holds the three, the CLI's too
        assert conn.execute("select rolname, rolsuper, rolbypassrls from pg_roles order by 1").fetchall() == roles
        assert conn.execute("select key, source from pgmanager.schema_history order by key").fetchall() == [
            ("20240101000000", "supabase"), ("20240102000000", "supabase"), ("20240103000000", "pgmanager")]


def test_versions_only_the_target_has_are_reported_and_stop_migrate(server: Sandbox, tmp_path: Path, cli) -> None:
    root = _project(tmp_path)
    dsn = _database(server)
    proc = _cli("migration", "up", "--db-url", no_ssl(dsn), cwd=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with psycopg.connect(dsn) as conn:
        conn.execute("insert into supabase_migrations.schema_migrations (version, name, statements) "
                     "values ('20250101000000', 'from_another_branch', '{select 1}')")
    report = json.loads(cli("status", "-C", str(root), "--dsn", dsn, "--format", "json").out)
    assert ("20250101000000", "unknown") in [(e["key"], e["state"]) for e in report["entries"]]
    (root / "supabase" / "migrations" / "20240104000000_tags.sql").write_text("create table public.tags (t text);\n")
    result = cli("migrate", "-C", str(root), "--dsn", dsn)
    assert result.code == 1
    line = result.err.strip().splitlines()[-1]
    assert "20250101000000" in line and "have no file here" in line
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select to_regclass('public.tags')").fetchone() == (None,)


@pytest.mark.parametrize("table", [
    "create table supabase_migrations.schema_migrations (version bigint primary key, statements text[], name text)",
    "create table supabase_migrations.schema_migrations (version text, name text)",
])
def test_a_cli_history_of_unknown_shape_is_refused(server: Sandbox, tmp_path: Path, cli, table: str) -> None:
    root = _project(tmp_path)
    dsn = _database(server)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table supabase_migrations.schema_migrations")
        conn.execute(table)
    for command in ("status", "migrate"):
        result = cli(command, "-C", str(root), "--dsn", dsn)
        assert result.code == 1, result.err
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and "supabase_migrations.schema_migrations" in lines[0]
        assert "not a shape pgmanager knows" in lines[0] and ("bigint" in lines[0] or "version text," in lines[0])
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select to_regclass('public.accounts'), to_regnamespace('pgmanager')").fetchone() == (
            None, None)


def test_supabase_flag_forces_it_on_a_plain_target(server: Sandbox, tmp_path: Path, cli) -> None:
    root = tmp_path / "plain"
    shutil.copytree(ROOT / "tests" / "adopt" / "projects" / "supabase", root)
    (root / "pyproject.toml").write_text('[tool.pgmanager]\nseed = ""\n'
                                         f'auth_emulation = {json.dumps(str(ROOT / "sql" / "supabase_auth.sql"))}\n')
    dsn = _database(server, supabase=False)
    result = cli("migrate", "-C", str(root), "--dsn", dsn, "--supabase")
    assert result.code == 0, result.err
    assert [(v, n) for v, n, _ in _rows(dsn)] == [("20240101000000", "accounts"), ("20240102000000", "notes"),
                                                  ("20240103000000", "note_count")]
    with psycopg.connect(dsn) as conn:  # our auth emulation is skipped on Supabase
        assert conn.execute("select to_regnamespace('auth'), to_regnamespace('storage')").fetchone() == (None, None)


# ------------------------------------------------------------------ pure helpers


def test_cli_file_names() -> None:
    assert cli_name("20240101000000_create_users.sql") == ("20240101000000", "create_users")
    assert cli_name("1_a_b.sql") == ("1", "a_b")
    assert cli_name("V1__x.sql") is None and cli_name("20240101_x.SQL") is None


def test_split_edge_cases_follow_the_cli() -> None:
    assert split("select 1;;\n;select 2;\n") == ["select 1", "select 2"]
    assert split("select (1;2); select 3") == ["select (1;2)", "select 3"]  # ';' inside parentheses stays
    assert split(r"select E'it\'s; x'; select 2") == [r"select E'it\'s", "x'; select 2"]  # no E'' escapes
    assert split("select \\; 1; select 2") == ["select \\; 1", "select 2"]  # a backslash hides the next character


@pytest.mark.parametrize(("dsn", "pooled"), [
    ("postgresql://postgres.ref:pw@aws-0-eu-west-1.pooler.supabase.com:6543/postgres", True),
    ("host=db.example.com port=6543 dbname=app", True),
    ("postgresql://postgres.ref:pw@aws-0-eu-west-1.pooler.supabase.com:5432/postgres", False),
    ("postgresql://postgres@db.ref.supabase.co:5432/postgres", False),
    ("postgresql://localhost/app", False),
])
def test_a_transaction_pooler_port_is_found_from_the_dsn(dsn: str, pooled: bool,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPORT", raising=False)
    assert (pooler.port_reason(dsn) is not None) == pooled
    if pooled:
        suggestion = pooler.session_url(dsn)
        assert suggestion.endswith(":5432/postgres") or suggestion.endswith(":5432/app")
        assert "pw" not in suggestion


def test_migrate_through_port_6543_is_refused_before_connecting(cli, tmp_path: Path) -> None:
    root = _project(tmp_path)
    result = cli("migrate", "-C", str(root), "--dsn", "postgresql://postgres:s3cr3t@127.0.0.1:6543/postgres")
    assert result.code == 2
    line = result.err.strip()
    assert "\n" not in line and "transaction-mode pooler" in line and "advisory locks" in line
    assert "postgresql://postgres@127.0.0.1:5432/postgres" in line and "s3cr3t" not in line


def test_a_direct_connection_is_not_a_pooler(server: Sandbox) -> None:
    dsn = server.dsn()
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert pooler.live_reason(conn, dsn) is None


# ------------------------------------------------------------------ a real PgBouncer (apt: pgbouncer)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _pgbouncer(server: Sandbox, mode: str) -> Iterator[str]:
    """PgBouncer in ``mode`` in front of the module's server; its DSN. Run as the postgres user when we are root
    (it refuses root), its files in a folder that user can read; stopped by its pid afterwards."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        pytest.skip("pgbouncer is not installed (apt pgbouncer; .ci/run installs it)")
    backend = psycopg.conninfo.conninfo_to_dict(server.dsn())
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="pgm-pgbouncer-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        (folder / "users.txt").write_text('"postgres" ""\n')
        ini = folder / "pgbouncer.ini"
        ini.write_text(f"[databases]\n* = host={backend.get('host', '127.0.0.1')} port={backend['port']}\n"
                       f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nauth_type = trust\n"
                       f"auth_file = {folder / 'users.txt'}\npool_mode = {mode}\nunix_socket_dir =\n"
                       "log_connections = 0\nlog_disconnections = 0\n")
        for p in folder.iterdir():
            p.chmod(0o644)
        proc = subprocess.Popen([binary, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(ini)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        try:
            for _ in range(100):
                try:
                    psycopg.connect(dsn, connect_timeout=2).close()
                    break
                except psycopg.OperationalError:
                    if proc.poll() is not None:
                        pytest.fail(f"pgbouncer exited: {proc.stderr.read().decode() if proc.stderr else ''}")
                    time.sleep(0.1)
            yield dsn
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def test_pgbouncer_in_transaction_mode_is_found_and_refused(server: Sandbox, tmp_path: Path, cli) -> None:
    with _pgbouncer(server, "transaction") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            reason = pooler.live_reason(conn, dsn)
        assert reason is not None and "transaction mode" in reason
        result = cli("migrate", "-C", str(_project(tmp_path)), "--dsn", dsn)
        assert result.code == 2, result.err
        line = result.err.strip()
        assert "\n" not in line and "advisory locks" in line and ":5432/postgres" in line
    with _pgbouncer(server, "session") as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        assert pooler.live_reason(conn, dsn) is None  # a session pooler keeps one server session per client
