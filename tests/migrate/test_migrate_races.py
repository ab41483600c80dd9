"""Racing runners, the runner lock's wait, server errors on a live connection, lock timeouts that escalate.

The runner lock is polled, never waited for inside a statement: a runner blocked in pg_advisory_lock
holds a snapshot that the winner's CREATE INDEX CONCURRENTLY must outlive, and the deadlock detector
then aborts one of them (found by racing 8 runners on this project, which builds indexes concurrently).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

import psycopg
import pytest
from _migrate_support import MiniProject, history_keys, pgm, spawn
from psycopg import sql

from pgmanager.config import load_settings
from pgmanager.errors import DatabaseError
from pgmanager.layouts import load_project
from pgmanager.migrate import history
from pgmanager.migrate.session import connected, database_error

RUNNERS = 8
ROUNDS = 3


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_racing_runners_on_this_project_never_deadlock(round_: int, project_copy: Path, empty_db) -> None:
    project = load_project(load_settings(project_copy))
    assert any("concurrently" in m.text.lower() for m in project.migrations)  # the case that deadlocked
    procs = [spawn(project_copy, "migrate", "--dsn", empty_db.dsn, "--format", "json") for _ in range(RUNNERS)]
    results = [(proc.wait(timeout=300), *proc.communicate()) for proc in procs]
    assert [code for code, _, _ in results] == [0] * RUNNERS, [err for _, _, err in results if err]
    applied = sorted(len(json.loads(out)["steps"]) for _, out, _ in results)
    assert applied[:-1] == [0] * (RUNNERS - 1) and applied[-1] > len(project.migrations)
    assert history_keys(empty_db.dsn).count(project.migrations[-1].key) == 1
    assert [k for k in history_keys(empty_db.dsn) if k.isdigit()] == [m.key for m in project.migrations]
    with empty_db.connect() as conn:
        invalid = conn.execute("select count(*) from pg_index where not indisvalid").fetchone()
    assert invalid == (0,)


def _hold_runner_lock(dsn: str) -> psycopg.Connection:
    conn = psycopg.connect(dsn, autocommit=True, application_name="lock-holder")
    conn.execute("select pg_advisory_lock(%s)", [history.LOCK_KEY])
    return conn


def test_a_runner_gives_up_after_lock_wait_naming_the_holder(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "t", "create table public.t (id int);\n")
    holder = _hold_runner_lock(empty_db.dsn)
    try:
        pid = holder.info.backend_pid
        t0 = time.monotonic()
        run = pgm(p, "migrate", "--dsn", empty_db.dsn, "--lock-wait", "1s")
        waited = time.monotonic() - t0
    finally:
        holder.close()
    assert run.code == 3, run.err
    assert f"waiting for the migration lock held by pid {pid} (lock-holder" in run.err
    assert re.search(rf"error: .*gave up after waiting 1s for the migration lock held by pid {pid}", run.err)
    assert "Traceback" not in run.err and waited >= 1.0
    assert history_keys(empty_db.dsn) == []
    # Once the holder is gone the same command goes through.
    assert pgm(p, "migrate", "--dsn", empty_db.dsn, "--lock-wait", "1s").code == 0


def test_a_lock_wait_that_is_not_a_duration_is_a_usage_error(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    run = pgm(p, "migrate", "--dsn", empty_db.dsn, "--lock-wait", "soon")
    assert run.code == 2, run.err
    assert "--lock-wait" in run.err and "soon" in run.err


def test_the_runner_lock_of_another_database_does_not_block(tmp_path: Path, pgm_server, empty_db) -> None:
    """Advisory locks are per database: a runner on a sibling database holds nothing here."""
    other = "pgm_other_" + secrets.token_hex(4)
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(other)))
    holder = _hold_runner_lock(pgm_server.dsn(other))
    try:
        p = MiniProject(tmp_path / "proj")
        p.migration(1, "t", "create table public.t (id int);\n")
        run = pgm(p, "migrate", "--dsn", empty_db.dsn, "--lock-wait", "1s")
        assert run.code == 0, run.err
        assert "waiting for the migration lock" not in run.err
    finally:
        holder.close()
        with psycopg.connect(pgm_server.dsn(), autocommit=True) as admin:
            admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(other)))


def test_a_server_error_on_a_live_connection_is_not_connection_lost(empty_db) -> None:
    with psycopg.connect(empty_db.dsn, autocommit=True) as conn:
        conn.execute("set statement_timeout = '10ms'")
        with pytest.raises(psycopg.OperationalError) as raised:
            conn.execute("select pg_sleep(1)")
        live = database_error(raised.value, conn, "here")
    assert isinstance(live, DatabaseError) and live.sqlstate == "57014"
    assert live.message == "canceling statement due to statement timeout (57014)"
    with pytest.raises(DatabaseError) as lost, connected(empty_db.dsn) as conn:
        conn.execute("select pg_terminate_backend(pg_backend_pid())")
    assert lost.value.message.startswith("connection lost: "), lost.value.message


def test_lock_timeouts_escalate_up_to_the_cap_and_the_blocker_is_named(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj", lock_timeout="100ms", lock_retries=3)
    p.settings(lock_timeout_max="250ms")
    p.migration(1, "t", "create table public.t (id int);\n")
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0
    p.migration(2, "alter", "alter table public.t add column note text;\n")
    with psycopg.connect(empty_db.dsn, application_name="reader") as holder:
        holder.execute("select * from public.t")  # ACCESS SHARE, held: the transaction stays open
        run = pgm(p, "migrate", "--dsn", empty_db.dsn)
        pid = holder.info.backend_pid
    assert run.code == 3, run.err
    waits = [int(m) for m in re.findall(r"waited (\d+)ms \(lock_timeout\)", run.err)]
    assert waits == [100, 150, 225, 250], run.err  # x1.5 per attempt, capped at lock_timeout_max
    assert f"held by pid {pid} (reader" in run.err and "gave up after 4 attempt(s)" in run.err
    assert history_keys(empty_db.dsn) == [p.key(1)]


def test_the_blocker_list_names_sessions_of_the_target_database_only(tmp_path: Path, pgm_server) -> None:
    """Databases cloned from one template share relation OIDs: a lock in a sibling is not a blocker."""
    base, target, sibling = ("pgm_tpl_" + secrets.token_hex(4), "pgm_tgt_" + secrets.token_hex(4),
                             "pgm_sib_" + secrets.token_hex(4))
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(base)))
        with psycopg.connect(pgm_server.dsn(base), autocommit=True) as conn:
            conn.execute("create table public.t (id int)")
        for name in (target, sibling):
            admin.execute(sql.SQL("create database {} template {}").format(sql.Identifier(name),
                                                                          sql.Identifier(base)))
    p = MiniProject(tmp_path / "proj", lock_timeout="100ms", lock_retries=0)
    p.migration(1, "alter", "alter table public.t add column note text;\n")
    try:
        with psycopg.connect(pgm_server.dsn(target), application_name="here") as here, \
                psycopg.connect(pgm_server.dsn(sibling), application_name="elsewhere") as elsewhere:
            here.execute("select * from public.t")
            elsewhere.execute("select * from public.t")
            run = pgm(p, "migrate", "--dsn", pgm_server.dsn(target))
            ours, theirs = here.info.backend_pid, elsewhere.info.backend_pid
        assert run.code == 3, run.err
        assert f"pid {ours} (here" in run.err
        assert f"pid {theirs}" not in run.err and "elsewhere" not in run.err
    finally:
        with psycopg.connect(pgm_server.dsn(), autocommit=True) as admin:
            for name in (target, sibling, base):
                admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
