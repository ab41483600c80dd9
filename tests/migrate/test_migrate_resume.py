"""Non-transactional migrations are resumable: progress per statement, in-flight statements reconciled.

A file with a statement that cannot run in a transaction runs statement by statement. Each statement
that can run in a transaction commits with its progress row; one that cannot is marked running before
and done after. A re-run resumes after the last statement done and judges the one left running by its
effect. Proven with kill -9 at 30 points inside slow migrations: every re-run reaches the reference schema.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import signal
import threading
import time
from pathlib import Path

import psycopg
from _migrate_support import MiniProject, history_keys, pgm, snapshot, spawn, wait_until
from psycopg import sql

from pgmanager.config import load_settings
from pgmanager.layouts import load_project
from pgmanager.migrate.plan import statement_checksum
from pgmanager.parse import parse_file

ROWS = 150_000
SLOW = f"""create table public.big (id int not null, g int not null, h int not null);
insert into public.big select i, i % 997, i % 13 from generate_series(1, {ROWS}) i;
create index concurrently big_g on public.big (g);
create index concurrently big_gh on public.big (g, h);
alter table public.big add column note text;
create unique index concurrently big_id on public.big (id);
create index concurrently big_h on public.big (h) where h > 3;
"""


def _progress(dsn: str) -> list[tuple[str, int, str]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("select to_regclass('pgmanager.schema_progress')").fetchone() == (None,):
            return []
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "select key, statement, state from pgmanager.schema_progress order by 1, 2").fetchall()]


def _new_db(server, prefix: str = "pgm_resume_") -> str:  # type: ignore[no-untyped-def]
    name = prefix + secrets.token_hex(4)
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return name


def _drop_db(server, name: str) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def _runner_active(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute("""select count(*) from pg_stat_activity where application_name = 'pgmanager'
                               and datname = current_database() and state = 'active'
                               and pid <> pg_backend_pid()""").fetchone()
    return bool(row and row[0])



KILLS = 30


def test_kill_9_at_30_points_then_a_rerun_reaches_the_reference_schema(tmp_path: Path, pgm_server) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "slow", SLOW)
    reference_db = _new_db(pgm_server)
    try:  # the reference run also measures how long the runner works on the server (start-up excluded)
        first = spawn(p, "migrate", "--dsn", pgm_server.dsn(reference_db))
        wait_until(lambda: _runner_active(pgm_server.dsn(reference_db)) or first.poll() is not None, 30, "the runner")
        t0 = time.monotonic()
        assert first.wait(timeout=120) == 0, first.communicate()
        duration = time.monotonic() - t0
        first.communicate()
        reference = snapshot(pgm_server.dsn(reference_db))
    finally:
        _drop_db(pgm_server, reference_db)
    outcomes = {"partial": 0, "in flight": 0, "none": 0, "done": 0}
    for k in range(KILLS):
        db = _new_db(pgm_server)
        dsn = pgm_server.dsn(db)
        try:
            proc = spawn(p, "migrate", "--dsn", dsn)
            wait_until(lambda dsn=dsn, proc=proc: _runner_active(dsn) or proc.poll() is not None, 30, "the runner")
            time.sleep(duration * k / KILLS)  # spread over the migration
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.communicate()
            states = [s for _, _, s in _progress(dsn)]
            outcomes["done" if p.key(1) in history_keys(dsn) else
                     "in flight" if "running" in states else "partial" if states else "none"] += 1
            again = pgm(p, "migrate", "--dsn", dsn)
            assert again.code == 0, f"kill point {k}: {again.err}"
            assert snapshot(dsn) == reference, f"kill point {k}: {again.err}"
            assert _progress(dsn) == []
            assert history_keys(dsn) == [p.key(1)]
        finally:
            _drop_db(pgm_server, db)
    # The kill points did land inside the migration, not only before or after it.
    assert outcomes["partial"] + outcomes["in flight"] >= KILLS // 4, outcomes


def test_a_failed_mixed_file_resumes_where_it_failed(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    path = p.migration(1, "mixed", "create table public.m (id int primary key, v text);\n"
                                   "create index concurrently m_v on public.m (v);\n"
                                   "insert into public.m values (1, 'a'), (1, 'b');\n")
    failed = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert failed.code == 3 and ":3:" in failed.err and "23505" in failed.err, failed.err
    status = pgm(p, "status", "--dsn", empty_db.dsn, "--format", "json")
    entry = json.loads(status.out)["entries"][0]
    assert entry["state"] == "partial", entry
    assert "partially applied: 2 of 3 statements" in entry["detail"]
    # The failing statement is fixed; the two done are skipped, not re-run ("relation m already exists").
    path.write_text(path.read_text().replace("(1, 'b')", "(2, 'b')"))
    again = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert again.code == 0, again.err
    assert "resuming at statement 3 of 3" in again.err
    with empty_db.connect() as conn:
        assert conn.execute("select count(*) from public.m").fetchone() == (2,)
    assert history_keys(empty_db.dsn) == [p.key(1)] and _progress(empty_db.dsn) == []
    text = pgm(p, "status", "--dsn", empty_db.dsn)
    assert "applied" in text.out and "partially" not in text.out


def test_an_edit_to_a_statement_already_done_is_drift(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    path = p.migration(1, "mixed", "create table public.m (id int);\n"
                                   "create index concurrently m_id on public.m (id);\n"
                                   "select 1/0;\n")
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 3
    path.write_text(path.read_text().replace("public.m (id int)", "public.m (id bigint)"))
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 1, run.err
    assert "statement 1 (line 1) ran in an interrupted attempt and has changed since" in run.err
    plan = pgm(p, "plan", "--dsn", empty_db.dsn)
    assert plan.code == 1 and "statement 1 (line 1)" in plan.out + plan.err


def _mark(dsn: str, p: MiniProject, version: int, states: list[str]) -> None:
    """Write the progress an interrupted runner would have left (statement n in states[n])."""
    doc = parse_file(next(m for m in load_project(load_settings(p.root)).migrations if m.key == p.key(version)))
    with psycopg.connect(dsn, autocommit=True) as conn:
        for n, state in enumerate(states):
            conn.execute("""insert into pgmanager.schema_progress (key, statement, checksum, state)
                            values (%s, %s, %s, %s)""", [p.key(version), n, statement_checksum(doc.statements[n]),
                                                         state])


def _ensure_bookkeeping(p: MiniProject, dsn: str) -> None:
    p.migration(0, "noop", "select 1;\n")
    assert pgm(p, "migrate", "--dsn", dsn).code == 0


def test_an_index_built_by_a_dead_runner_is_recorded_not_rebuilt(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    _ensure_bookkeeping(p, empty_db.dsn)
    p.migration(1, "idx", "create table public.r (id int);\ncreate index concurrently r_id on public.r (id);\n")
    with empty_db.connect() as conn:  # the runner died after the server finished the index
        conn.execute("create table public.r (id int)")
        conn.execute("create index concurrently r_id on public.r (id)")
        oid = conn.execute("select 'public.r_id'::regclass::oid").fetchone()
    _mark(empty_db.dsn, p, 1, ["done", "running"])
    status = json.loads(pgm(p, "status", "--dsn", empty_db.dsn, "--format", "json").out)
    assert "statement 2 was in flight" in status["entries"][1]["detail"]
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 0, run.err
    assert "had completed: recorded as done" in run.err
    with empty_db.connect() as conn:
        assert conn.execute("select 'public.r_id'::regclass::oid").fetchone() == oid
    assert history_keys(empty_db.dsn) == [p.key(0), p.key(1)]


def test_an_invalid_index_left_in_flight_is_dropped_and_rebuilt(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    _ensure_bookkeeping(p, empty_db.dsn)
    p.migration(1, "uniq", "create table public.u (id int);\ncreate unique index concurrently u_id on public.u (id);\n")
    with empty_db.connect() as conn:  # an interrupted build: the index exists, INVALID
        conn.execute("create table public.u (id int)")
        conn.execute("insert into public.u values (1), (1)")
        with contextlib.suppress(psycopg.errors.UniqueViolation):
            conn.execute("create unique index concurrently u_id on public.u (id)")
        assert conn.execute("select indisvalid from pg_index where indexrelid = 'public.u_id'::regclass"
                            ).fetchone() == (False,)
        conn.execute("delete from public.u")
    _mark(empty_db.dsn, p, 1, ["done", "running"])
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 0, run.err
    assert "dropping INVALID index public.u_id" in run.err
    with empty_db.connect() as conn:
        assert conn.execute("select indisvalid from pg_index where indexrelid = 'public.u_id'::regclass"
                            ).fetchone() == (True,)


def test_a_drop_index_concurrently_that_completed_is_recorded(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    _ensure_bookkeeping(p, empty_db.dsn)
    p.migration(1, "drop", "drop index concurrently public.gone_idx;\n")
    _mark(empty_db.dsn, p, 1, ["running"])  # it completed; the index is not there (and never was here)
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 0, run.err
    assert history_keys(empty_db.dsn) == [p.key(0), p.key(1)]


def test_an_interrupted_detach_concurrently_is_finalized(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    p.migration(1, "parts", "create table public.ev (at date not null) partition by range (at);\n"
                            "create table public.ev_2024 partition of public.ev "
                            "for values from ('2024-01-01') to ('2025-01-01');\n")
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 0
    p.migration(2, "detach", "alter table public.ev detach partition public.ev_2024 concurrently;\n")
    with empty_db.connect() as conn, psycopg.connect(empty_db.dsn) as reader:
        reader.execute("select * from public.ev")  # an old snapshot: the detach waits for it
        detacher = psycopg.connect(empty_db.dsn, autocommit=True)
        try:
            def detach() -> None:
                with contextlib.suppress(psycopg.errors.QueryCanceled):
                    detacher.execute("alter table public.ev detach partition public.ev_2024 concurrently")

            thread = threading.Thread(target=detach)
            thread.start()
            wait_until(lambda: conn.execute("select count(*) from pg_inherits where inhdetachpending").fetchone()
                       == (1,), 10, "the detach to be pending")
            conn.execute("select pg_cancel_backend(%s)", [detacher.info.backend_pid])
            thread.join(10)
        finally:
            detacher.close()
    with empty_db.connect() as conn:
        assert conn.execute("select count(*) from pg_inherits where inhdetachpending").fetchone() == (1,)
    _mark(empty_db.dsn, p, 2, ["running"])
    run = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert run.code == 0, run.err
    assert "DETACH PARTITION ... FINALIZE" in run.err
    with empty_db.connect() as conn:
        assert conn.execute("select count(*) from pg_inherits").fetchone() == (0,)
    assert history_keys(empty_db.dsn) == [p.key(1), p.key(2)]


def test_repair_accepts_an_edited_done_statement_or_forgets_the_progress(tmp_path: Path, empty_db) -> None:
    p = MiniProject(tmp_path / "proj")
    path = p.migration(1, "mixed", "create table public.m (id int);\n"
                                   "create index concurrently m_id on public.m (id);\n"
                                   "select 1/0;\n")
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 3
    # a cosmetic edit of a statement that ran, and the failing one fixed: accepted after review
    path.write_text("create table public.m (id integer);\ncreate index concurrently m_id on public.m (id);\n"
                    "select 1;\n")
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 1
    repaired = pgm(p, "repair", "--dsn", empty_db.dsn, "--accept-checksums")
    assert repaired.code == 0 and "accepted the edited statement 1 (line 1)" in repaired.out + repaired.err
    again = pgm(p, "migrate", "--dsn", empty_db.dsn)
    assert again.code == 0 and "resuming at statement 3 of 3" in again.err, again.err
    # forgetting the progress instead: the whole file runs again (here it can: it is idempotent)
    p.migration(2, "second", "create table if not exists public.n (id int);\n"
                             "create index concurrently if not exists n_id on public.n (id);\nselect 1/0;\n")
    assert pgm(p, "migrate", "--dsn", empty_db.dsn).code == 3
    assert [s for k, _, s in _progress(empty_db.dsn) if k == p.key(2)] == ["done", "done"]
    forgot = pgm(p, "repair", "--dsn", empty_db.dsn, "--mark-not-applied", p.key(2))
    assert forgot.code == 0 and "forgot the statements an interrupted attempt did" in forgot.out + forgot.err
    assert _progress(empty_db.dsn) == []
    status = json.loads(pgm(p, "status", "--dsn", empty_db.dsn, "--format", "json").out)
    assert [e["state"] for e in status["entries"]] == ["applied", "pending"]  # forgotten with its failure note
