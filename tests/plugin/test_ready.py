"""Ready clones kept between sessions with reuse: a session takes the ones the previous session's detached
refill made, never a stale one, never one another session took; a killed session's clones are reaped."""

from __future__ import annotations

import json
import threading

import psycopg
from conftest import Inner, write_project  # type: ignore[import-not-found]

from pgmanager.sandbox import FunctionMigrator, Kept, Sandbox
from pgmanager.testing import _ready

pytest_plugins = ["pytester"]

RECORD = """
    import json, os
    import pytest

    @pytest.mark.parametrize("i", range(3))
    def test_record(pgm_conn, i):
        oid = pgm_conn.execute("select oid from pg_database where datname = current_database()").fetchone()[0]
        more = pgm_conn.execute("select to_regclass('public.more') is not null").fetchone()[0]
        with open(os.environ["RECORD_TO"], "a") as fh:
            fh.write(json.dumps({"oid": oid, "more": more, "worker": os.environ.get("PYTEST_XDIST_WORKER")}) + "\\n")
        pgm_conn.execute("insert into public.items values (2, 'x')")
        pgm_conn.commit()
        assert pgm_conn.execute("select count(*) from public.items").fetchone() == (2,)
"""


def _records(inner: Inner) -> list[dict]:
    path = inner.pytester.path / "records.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    path.unlink(missing_ok=True)
    return rows


def _databases(box: Sandbox, prefix: str) -> dict[str, int]:
    with psycopg.connect(box.dsn(), autocommit=True) as conn:
        return {r[0]: int(r[1]) for r in conn.execute(
            "select datname, oid from pg_database where datname like %s", [prefix.replace("_", "\\_") + "%"])}


def _cleanup(box: Sandbox, before: set[str]) -> None:
    assert _ready.wait_idle(box.dsn())
    for prefix in ("pgm_rdy_", "pgm_tpl_", "pgm_use_"):
        for name in set(_databases(box, prefix)) - before:
            box.drop(name)


def test_ready_clones_reused_and_stale_ones_not(inner: Inner, pgm_server: Sandbox) -> None:
    inner.monkeypatch.setenv("RECORD_TO", str(inner.pytester.path / "records.jsonl"))
    inner.suite(RECORD)
    args = (*inner.on_outer_server(), "--pgm-reuse", "--pgm-keep-templates", "2")
    before = set(_databases(pgm_server, "pgm_"))
    try:
        first = inner.run(*args)
        first.assert_outcomes(passed=3)
        first.stdout.fnmatch_lines(["pgmanager: 0 ready clone(s) taken"])
        used = {r["oid"] for r in _records(inner)}
        assert _ready.wait_idle(pgm_server.dsn())
        ready = _databases(pgm_server, "pgm_rdy_")
        assert len(ready) == 3  # as many as the session took (pool_size 2 is less)
        assert not used & set(ready.values()) and not _databases(pgm_server, "pgm_use_")  # used ones dropped

        second = inner.run(*args)
        second.assert_outcomes(passed=3)  # each test still sees only the seed: a fresh clone each
        second.stdout.fnmatch_lines(["pgmanager: 3 ready clone(s) taken"])
        assert {r["oid"] for r in _records(inner)} == set(ready.values())
        assert _ready.wait_idle(pgm_server.dsn())
        ready = _databases(pgm_server, "pgm_rdy_")
        assert len(ready) == 3

        # a changed project: the new schema, none of the old template's ready clones (they are dropped)
        write_project(inner.pytester.path, "create table public.more (x int);\n")
        third = inner.run(*args)
        third.assert_outcomes(passed=3)
        third.stdout.fnmatch_lines(["pgmanager: template pgm_tpl_* built in *", "pgmanager: 0 ready clone(s) taken"])
        rows = _records(inner)
        assert all(r["more"] for r in rows) and not {r["oid"] for r in rows} & set(ready.values())
        assert _ready.wait_idle(pgm_server.dsn())
        now = _databases(pgm_server, "pgm_rdy_")
        assert len(now) == 3 and not set(now.values()) & set(ready.values())
    finally:
        _cleanup(pgm_server, before)


def test_concurrent_sessions_get_distinct_clones(inner: Inner, pgm_server: Sandbox) -> None:
    """xdist workers are concurrent sessions on one server: together they take each ready clone once."""
    inner.monkeypatch.setenv("RECORD_TO", str(inner.pytester.path / "records.jsonl"))
    inner.suite(RECORD.replace("range(3)", "range(8)"))
    args = (*inner.on_outer_server(), "--pgm-reuse", "--pgm-ready", "8")
    before = set(_databases(pgm_server, "pgm_"))
    try:
        inner.run(*args).assert_outcomes(passed=8)
        _records(inner)
        assert _ready.wait_idle(pgm_server.dsn())
        ready = set(_databases(pgm_server, "pgm_rdy_").values())
        assert len(ready) == 8
        inner.run(*args, "-n", "2").assert_outcomes(passed=8)
        rows = _records(inner)
        assert {r["worker"] for r in rows} == {"gw0", "gw1"}
        oids = [r["oid"] for r in rows]
        assert len(set(oids)) == 8 and set(oids) & ready  # ready clones used, none handed out twice
    finally:
        _cleanup(pgm_server, before)


def test_claims_race_for_ready_clones_and_dead_sessions_are_reaped(pgm_server: Sandbox) -> None:
    template = pgm_server.template(FunctionMigrator("h-plugin-ready", lambda dsn: None), kept=Kept("g-ready", 1))
    before = set(_databases(pgm_server, "pgm_"))
    claims: list[_ready.Claim] = []
    job = _ready.Refill(pgm_server.dsn(), template, "g-ready", 6, [], [], pgm_server.templates.strategy)
    try:
        _ready.refill(job)
        assert len(_databases(pgm_server, "pgm_rdy_")) == 6
        claims = [_ready.claim(pgm_server.dsn()) for _ in range(3)]
        taken: list[list[str]] = [[] for _ in claims]
        threads = [threading.Thread(target=lambda i=i: taken[i].extend(claims[i].take(template, "g-ready", 6)))
                   for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        names = [name for names in taken for name in names]
        assert len(names) == len(set(names)) == 6 and not _databases(pgm_server, "pgm_rdy_")
        assert set(_databases(pgm_server, "pgm_use_")) == set(names)
        assert claims[0].take(template, "g-ready", 6) == []  # none left to take

        claims[0].conn.execute("select pg_advisory_unlock_all()")  # as if killed: its tag is no longer held
        _ready.refill(_ready.Refill(pgm_server.dsn(), template, "g-ready", 1, [], []))
        left = set(_databases(pgm_server, "pgm_use_"))
        assert left == set(taken[1] + taken[2])  # the dead session's clones reaped, the live ones' kept
        assert len(_databases(pgm_server, "pgm_rdy_")) == 1
        for claim in claims[1:]:
            claim.conn.execute("select pg_advisory_unlock_all()")
        _ready.refill(_ready.Refill(pgm_server.dsn(), template, "g-ready", 1, [], []))
        assert not _databases(pgm_server, "pgm_use_")
    finally:
        for claim in claims:
            claim.close()
        _cleanup(pgm_server, before)
