"""Guarantees 2 (one runner at a time), 3 (atomic migrations under kill -9) and 4 (lock timeouts)."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import psycopg
import pytest
from _migrate_support import MiniProject, history_keys, pgm, snapshot, spawn, wait_until

LOG = "create table public.applied_log (name text not null);\n"



def _runner_backends(conn: psycopg.Connection, pattern: str = "%") -> int:
    row = conn.execute("select count(*) from pg_stat_activity where application_name = 'pgmanager' "
                       "and pid <> pg_backend_pid() and query like %s and state = 'active'", [pattern]).fetchone()
    return int(row[0]) if row else 0


def test_concurrent_runners_apply_each_migration_once(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "log", LOG)
    for i in range(2, 7):
        slow = "select pg_sleep(1.5);\n" if i == 3 else ""
        p.migration(i, f"step{i}", f"create table public.t{i} (id int);\n{slow}"
                                   f"insert into public.applied_log values ('m{i}');\n")
    procs = [spawn(p, "migrate", "--dsn", empty_db.dsn, "--format", "json") for _ in range(5)]
    results = [(proc.wait(timeout=120), *proc.communicate()) for proc in procs]
    assert [code for code, _, _ in results] == [0] * 5, [err for _, _, err in results]
    # Those that waited said for whom (the lock is held for over a second, the runners start together).
    assert any("note: waiting for the migration lock held by pid" in err for _, _, err in results)
    applied_counts = sorted(len(json.loads(out)["steps"]) for _, out, _ in results)
    assert applied_counts == [0, 0, 0, 0, 6]  # one runner did everything, the others found nothing to do
    with empty_db.connect() as conn:
        logged = sorted(r[0] for r in conn.execute("select name from public.applied_log").fetchall())
    assert logged == [f"m{i}" for i in range(2, 7)]
    assert history_keys(empty_db.dsn) == [p.key(i) for i in range(1, 7)]


KILL_POINTS = 10
STATEMENTS = 14
PAUSE = 0.08


def test_kill_9_leaves_the_database_as_before_the_migration(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "base", "create table public.base (id int primary key);\n")
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0
    before = snapshot(empty_db.dsn)
    body = "".join(f"create table public.k{i} (id int references public.base (id));\n"
                   f"create index k{i}_idx on public.k{i} (id);\nselect pg_sleep({PAUSE});\n"
                   for i in range(STATEMENTS))
    p.migration(2, "long", body + "alter table public.base add column note text;\n")
    duration = STATEMENTS * PAUSE
    killed_mid_migration = 0
    with empty_db.connect() as watch:
        for k in range(KILL_POINTS):
            proc = spawn(p, "migrate", "--dsn", empty_db.dsn)
            wait_until(lambda p=proc: _runner_backends(watch, "%pg_sleep%") > 0 or p.poll() is not None, 30,
                        "the runner to start the long migration")
            time.sleep(duration * k / KILL_POINTS)
            alive = proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.communicate()
            # The server notices the dead client after the statement in flight, then rolls back.
            wait_until(lambda: _runner_backends(watch) == 0, 30, "the killed runner's session to end")
            after = snapshot(empty_db.dsn)
            if p.key(2) in history_keys(empty_db.dsn):  # killed after the commit: all of it, with its row
                assert any(item == "public.k0:r" for _, item in after)
                break
            assert after == before, f"kill point {k}: partial migration left behind"
            killed_mid_migration += alive
    assert killed_mid_migration >= KILL_POINTS - 2
    rerun = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert rerun.code == 0, rerun.err
    assert history_keys(empty_db.dsn) == [p.key(1), p.key(2)]
    assert ("col", "base.note:text") in snapshot(empty_db.dsn)


def test_lock_timeout_gives_up_and_never_queues_readers_longer(tmp_path: Path, empty_db) -> None:
    lock_timeout_s, retries = 1.0, 2
    p = MiniProject(tmp_path / "proj", lock_timeout="1s", lock_retries=retries)
    p.migration(1, "table", "create table public.busy (id int);\ninsert into public.busy values (1);\n")
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0
    p.migration(2, "alter", "alter table public.busy add column note text;\n")
    with psycopg.connect(empty_db.dsn) as holder, psycopg.connect(empty_db.dsn, autocommit=True) as reader:
        holder.execute("select * from public.busy").fetchall()  # ACCESS SHARE held by an open transaction
        holder_pid = holder.info.backend_pid
        t0 = time.monotonic()
        proc = spawn(p, "migrate", "--dsn", empty_db.dsn)
        worst = 0.0
        while proc.poll() is None:
            q0 = time.monotonic()
            reader.execute("select count(*) from public.busy").fetchone()
            worst = max(worst, time.monotonic() - q0)
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        _, err = proc.communicate()
        holder.rollback()
    assert proc.returncode == 3, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: migrations/20240101000002_alter.sql:1:1: gave up after 3 attempt(s)")
    assert f"held by pid {holder_pid}" in last and "ACCESS EXCLUSIVE on public.busy" in last
    assert sum(line.startswith("note:") and "retry" in line for line in err.splitlines()) == retries
    # Bounds from the settings: 3 waits of lock_timeout, backoff 0.5 s + 1 s, plus generous process slack.
    assert elapsed < (retries + 1) * lock_timeout_s + 1.5 + 15
    assert elapsed >= (retries + 1) * lock_timeout_s
    # A plain SELECT queued behind the waiting ALTER at most for one lock_timeout (it did queue: > 0.3 s).
    assert 0.3 * lock_timeout_s < worst < 2.5 * lock_timeout_s
    status = json.loads(pgm(p, "status", "--dsn", empty_db.dsn, "--format", "json").out)
    failed = {e["key"]: e for e in status["entries"]}[p.key(2)]
    assert failed["state"] == "failed" and "lock_timeout" in failed["detail"]
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0  # the holder is gone: it applies
    assert json.loads(pgm(p, "status", "--dsn", empty_db.dsn, "--format", "json").out)["entries"][1]["state"] \
        == "applied"


@pytest.mark.parametrize("directive", ["-- pgmanager: lock_timeout=300ms lock_retries=0"])
def test_directive_overrides_lock_timeout(tmp_path: Path, empty_db, directive: str) -> None:
    p = MiniProject(tmp_path / "proj", lock_timeout="20s")
    p.migration(1, "table", "create table public.busy (id int);\n")
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0
    p.migration(2, "alter", f"{directive}\nalter table public.busy add column note text;\n")
    with psycopg.connect(empty_db.dsn) as holder:
        holder.execute("select * from public.busy").fetchall()
        run = pgm(p, "migrate", "--dsn", empty_db.dsn)
        holder.rollback()
    assert run.code == 3
    assert "gave up after 1 attempt(s): waited 300ms (lock_timeout)" in run.err
