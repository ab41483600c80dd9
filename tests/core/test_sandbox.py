"""Throwaway servers: provider selection, templates and clones, `sandbox up/down`, and cleanup on
exit, on Ctrl-C, on SIGTERM and after kill -9."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgmanager.errors import SandboxError
from pgmanager.sandbox import STATE_ROOT, FunctionMigrator, Sandbox, pid_alive, reap_stale, start_server


def clusters() -> dict[Path, str]:
    """Sandbox cluster folders and their owner (a pid or 'detached')."""
    out = {}
    for folder in STATE_ROOT.glob("cluster-*"):
        try:
            out[folder] = (folder / "owner.pid").read_text().strip()
        except OSError:
            continue
    return out


def postmaster(folder: Path) -> int | None:
    try:
        pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid > 0 else None  # initdb's bootstrap backend writes a negative pid


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_auto_takes_local_binaries_here_and_says_so(cli, project_copy: Path) -> None:
    result = cli("check", "--format", "json", cwd=project_copy)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["sandbox"]["provider"] == "local"
    assert report["sandbox"]["server_version"].startswith("15")
    assert report["migrate"]["steps"][0]["file"] == "sql/supabase_auth.sql"
    # the main job lints and verifies too, on the same sandbox
    assert report["lint"]["ok"] and report["verify"]["ok"]
    assert report["verify"]["cases"] and report["verify"]["matrix"]
    assert {"parse", "lint", "build", "clone", "verify", "total"} <= set(report["timings_ms"])


def test_auto_falls_back_to_the_embedded_server(cli, project_copy: Path) -> None:
    result = cli("check", "--no-lint", "--format", "json", cwd=project_copy,
                 env={"PGMANAGER_PG_BINDIR": "/nonexistent"})
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["sandbox"]["provider"] == "embedded"
    assert report["sandbox"]["server_version"].startswith("16")  # the pgserver wheel's PostgreSQL


def test_an_explicit_provider_that_cannot_work_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGMANAGER_PG_BINDIR", "/nonexistent")
    with pytest.raises(SandboxError) as info:
        start_server("local")
    assert "local: no PostgreSQL server binaries" in str(info.value)
    assert str(info.value).startswith("--sandbox local:")


def test_dsn_provider_uses_databases_on_an_existing_server_and_drops_them(cli, project_copy: Path,
                                                                          pgm_server: Sandbox) -> None:
    """The check connects as a role of its own, so the databases it makes are the ones that role owns,
    whatever other sessions (xdist workers) make and drop on the shared server meanwhile."""
    role, password = "pgm_t_dsn_" + secrets.token_hex(4), secrets.token_urlsafe(12)
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login superuser password {}").format(sql.Identifier(role),
                                                                                 sql.Literal(password)))
    try:
        result = cli("check", "--no-lint", "--no-verify", "--sandbox", "dsn", "--sandbox-dsn",
                     psycopg.conninfo.make_conninfo(pgm_server.dsn(), user=role, password=password), "--format", "json",
                     cwd=project_copy)
        assert result.code == 0, result.err
        box = json.loads(result.out)["sandbox"]
        assert box["provider"] == "dsn" and box["database"].startswith("pgm_"), box
        with psycopg.connect(pgm_server.dsn()) as conn:
            left = conn.execute("select datname from pg_catalog.pg_database d join pg_catalog.pg_roles r "
                                "on r.oid = d.datdba where r.rolname = %s", [role]).fetchall()
        assert left == []
    finally:
        with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
            for (name,) in conn.execute("select datname from pg_catalog.pg_database d join pg_catalog.pg_roles r "
                                        "on r.oid = d.datdba where r.rolname = %s", [role]).fetchall():
                conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def test_template_is_built_once_per_hash_and_clones_are_isolated(pgm_server: Sandbox) -> None:
    builds: list[str] = []

    def build(dsn: str) -> None:
        builds.append(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create table t (a int)")

    first = pgm_server.template(FunctionMigrator("h-test-1", build))
    again = pgm_server.template(FunctionMigrator("h-test-1", build))
    other = pgm_server.template(FunctionMigrator("h-test-2", build))
    assert first == again != other
    assert len(builds) == 2
    a, b = pgm_server.clone(first), pgm_server.clone(first)
    with psycopg.connect(pgm_server.dsn(a), autocommit=True) as conn:
        conn.execute("insert into t values (1)")
    with psycopg.connect(pgm_server.dsn(b)) as conn:
        assert conn.execute("select count(*) from t").fetchone() == (0,)
    for name in (a, b, first, other):
        pgm_server.drop(name)


def test_pool_hands_out_distinct_fresh_clones(pgm_server: Sandbox) -> None:
    template = pgm_server.template(FunctionMigrator("h-pool", lambda dsn: None))
    names = [pgm_server.acquire(template, pool_size=2) for _ in range(4)]
    assert len(set(names)) == 4
    for name in names:
        pgm_server.drop(name)


def test_a_failed_build_leaves_no_template(pgm_server: Sandbox) -> None:
    from pgmanager.errors import DatabaseError

    def build(dsn: str) -> None:
        raise DatabaseError("boom", where="x.sql:1:1")

    with pytest.raises(DatabaseError):
        pgm_server.template(FunctionMigrator("h-fail", build))
    with psycopg.connect(pgm_server.dsn()) as conn:
        assert conn.execute("select count(*) from pg_database where datname like 'pgm_bld_h-fail%'"
                            " or datname like 'pgm_tpl_h-fail%'").fetchone() == (0,)


def test_sandbox_up_and_down(cli, project_copy: Path) -> None:
    up = cli("sandbox", "up", cwd=project_copy)
    assert up.code == 0, up.err
    dsn = up.out.strip()
    try:
        with psycopg.connect(dsn) as conn:
            assert conn.execute("select count(*) from public.projects").fetchone() == (3,)
        again = cli("sandbox", "up", cwd=project_copy)
        assert again.code == 1 and "already up" in again.err
    finally:
        down = cli("sandbox", "down", cwd=project_copy)
    assert down.code == 0, down.err
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=3)
    again_down = cli("sandbox", "down", cwd=project_copy)  # nothing up: a no-op that says so (exit 0)
    assert (again_down.code, again_down.out.strip()) == (0, "no sandbox is up for this project: nothing to stop")


def _slow_project(project: Path) -> None:
    (project / "migrations" / "20991231000000_slow.sql").write_text("select pg_sleep(60);\n")


def _start_check(project: Path) -> tuple[subprocess.Popen[str], Path]:
    before = set(clusters())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    proc = subprocess.Popen([sys.executable, "-m", "pgmanager", "check", "--no-lint"], cwd=project, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    found: list[Path] = []

    def started() -> bool:
        found[:] = [f for f, owner in clusters().items() if f not in before and owner == str(proc.pid)
                    and postmaster(f)]
        return bool(found)

    assert wait_for(started), "the sandbox cluster did not start"
    # wait until the slow migration runs (the build is under way)
    time.sleep(1.5)
    return proc, found[0]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_check_stops_everything(project_copy: Path, sig: signal.Signals) -> None:
    _slow_project(project_copy)
    proc, folder = _start_check(project_copy)
    pid = postmaster(folder)
    assert pid and pid_alive(pid)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    assert wait_for(lambda: not pid_alive(pid), 30)
    assert not folder.exists()


def test_a_killed_runner_is_reaped_by_the_next_sandbox(project_copy: Path) -> None:
    _slow_project(project_copy)
    proc, folder = _start_check(project_copy)
    pid = postmaster(folder)
    proc.kill()
    proc.wait(timeout=30)
    assert pid and pid_alive(pid)  # kill -9 cannot clean up...
    assert folder in reap_stale()  # ...so the next sandbox does
    assert wait_for(lambda: not pid_alive(pid), 30)
    assert not folder.exists()


def test_keep_leaves_a_failed_sandbox_for_inspection(cli, project_copy: Path) -> None:
    (project_copy / "migrations" / "20991231000000_fails.sql").write_text("select 1 / 0;\n")
    result = cli("check", "--no-lint", "--keep", cwd=project_copy)
    assert result.code == 3
    assert "division by zero" in result.err and "sandbox kept: postgresql://postgres@127.0.0.1:" in result.err
    dsn = result.err.split("sandbox kept: ")[1].split(")")[0].strip()
    kept = [f for f, owner in clusters().items() if owner == "detached"]
    try:
        with psycopg.connect(dsn) as conn:  # still up, with the failed build inside
            names = [r[0] for r in conn.execute("select datname from pg_database where datname like 'pgm_bld_%'")]
            assert names
    finally:
        port = psycopg.conninfo.conninfo_to_dict(dsn)["port"]
        assert kept
        for folder in kept:
            if f'"-p" "{port}"' in (folder / "data" / "postmaster.opts").read_text():
                from pgmanager.sandbox import LocalCluster

                LocalCluster(bindir=Path((folder / "bindir").read_text()), folder=folder, port=0).destroy()


def test_a_cluster_starts_from_a_copy_of_the_pristine_initdb_output() -> None:
    from pgmanager.sandbox import LocalCluster, find_local_bindir
    from pgmanager.sandbox._cluster import _pristine, server_user

    bindir = find_local_bindir()
    assert bindir is not None
    clusters = []
    try:
        clusters.append(LocalCluster.create(bindir))  # makes the pristine copy if no run made it yet
        pristine = _pristine(bindir, server_user())
        assert pristine is not None and pristine.parent.parent == STATE_ROOT, "initdb's output is kept for the next"
        marker = pristine / "pgmanager-test-marker"
        marker.write_text("copied")
        try:
            clusters.append(LocalCluster.create(bindir))
            assert (clusters[-1].datadir / "pgmanager-test-marker").read_text() == "copied"
        finally:
            marker.unlink()
        for cluster in clusters:  # each is a working server of its own
            with psycopg.connect(cluster.dsn()) as conn:
                conn.execute("create table t (x int)")
                assert conn.execute("select count(*) from pg_class where relname = 't'").fetchone()[0] == 1
    finally:
        for cluster in clusters:
            cluster.destroy()
