"""`plan --dsn` shows each locked table's rows and size on the target and grades the lock's risk.

The grading function is pure and tested level by level; the live facts on a real server: a table of
200k rows, an empty one, tables created by the plan, a read-only target (the default rate), offline.
Expected levels are computed from the reported bytes and rate, never from timings.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from _migrate_support import MiniProject, pgm, snapshot
from psycopg import sql

from pgmanager.analyze.risk import DEFAULT_RATE_MB_S, LEVEL_SECONDS, MB, Risk, grade, level_for_seconds
from pgmanager.migrate.sizes import copy_rate, table_sizes

AE, SHARE, SUE, ROW_EXCLUSIVE = "ACCESS EXCLUSIVE", "SHARE", "SHARE UPDATE EXCLUSIVE", "ROW EXCLUSIVE"
ROWS = 200_000


# ------------------------------------------------------------------ the grading function (pure)


def mb_for(seconds: float, rate: float = 100.0) -> int:
    """Bytes that take ``seconds`` at ``rate`` MB/s."""
    return int(seconds * rate * MB)


GRADES = [
    # (lock, rewrites, scans, heap, total, new) -> level
    pytest.param("", False, False, None, None, False, Risk.NONE, id="no lock"),
    pytest.param(AE, True, True, mb_for(500), mb_for(900), True, Risk.NONE, id="created earlier in the plan"),
    pytest.param(AE, False, False, mb_for(500), mb_for(900), False, Risk.LOW, id="metadata only, huge table"),
    pytest.param(AE, False, False, None, None, False, Risk.LOW, id="metadata only, size unknown"),
    pytest.param(AE, True, True, 0, 16384, False, Risk.LOW, id="rewrite of an empty table"),
    pytest.param(AE, True, True, 8192, 16384, False, Risk.MEDIUM, id="ACCESS EXCLUSIVE on data is at least medium"),
    pytest.param(AE, True, True, mb_for(0.1), mb_for(5), False, Risk.MEDIUM, id="rewrite ~5 s: medium"),
    pytest.param(AE, True, True, mb_for(20), mb_for(0.5), False, Risk.MEDIUM, id="rewrite counts total bytes"),
    pytest.param(AE, False, True, mb_for(20), mb_for(90), False, Risk.HIGH, id="scan counts heap bytes: high"),
    pytest.param(AE, True, True, mb_for(10), mb_for(59), False, Risk.HIGH, id="rewrite ~59 s: high"),
    pytest.param(AE, True, True, mb_for(10), mb_for(60), False, Risk.CRITICAL, id="rewrite 60 s: critical"),
    pytest.param(SHARE, False, True, mb_for(5), mb_for(6), False, Risk.LOW, id="SHARE, ~5 s: one level lower"),
    pytest.param(SHARE, False, True, mb_for(30), mb_for(40), False, Risk.MEDIUM, id="SHARE, ~30 s"),
    pytest.param(SHARE, False, True, mb_for(100), mb_for(120), False, Risk.HIGH, id="SHARE, ~100 s"),
    pytest.param(SUE, False, True, mb_for(30), mb_for(40), False, Risk.LOW, id="SHARE UPDATE EXCLUSIVE ~30 s"),
    pytest.param(SUE, False, True, mb_for(100), mb_for(120), False, Risk.MEDIUM, id="SUE ~100 s: two lower"),
    pytest.param(ROW_EXCLUSIVE, False, True, mb_for(1000), mb_for(2000), False, Risk.MEDIUM, id="update all rows"),
]


@pytest.mark.parametrize(("lock", "rewrites", "scans", "heap", "total", "new", "expected"), GRADES)
def test_grade_levels(lock: str, rewrites: bool, scans: bool, heap: int | None, total: int | None, new: bool,
                      expected: Risk) -> None:
    g = grade(lock, "public.t", rewrites=rewrites, scans=scans, heap_bytes=heap, total_bytes=total, rate_mb_s=100.0,
              new=new)
    assert g is not None
    assert g.risk == expected, g.reason
    assert g.reason


def test_grade_estimate_and_unknown_size() -> None:
    g = grade(AE, "public.t", rewrites=True, scans=True, heap_bytes=mb_for(1), total_bytes=mb_for(3),
              rate_mb_s=100.0)
    assert g is not None and g.estimate_s == pytest.approx(3.0, rel=1e-6) and "~3 s" in g.reason
    faster = grade(AE, "public.t", rewrites=True, scans=True, heap_bytes=mb_for(1), total_bytes=mb_for(3),
                   rate_mb_s=1000.0)
    assert faster is not None and faster.estimate_s == pytest.approx(0.3, rel=1e-6)
    # the size is needed for a rewrite: unknown (not on the target, not created by the plan) grades as unknown
    assert grade(AE, "public.t", rewrites=True, scans=True, heap_bytes=None, total_bytes=None, rate_mb_s=100) is None
    assert grade(AE, None, rewrites=False, scans=False, heap_bytes=None, total_bytes=None, rate_mb_s=100) == grade(
        "", "public.t", rewrites=False, scans=False, heap_bytes=None, total_bytes=None, rate_mb_s=100)
    assert [level_for_seconds(s) for s in (0, *LEVEL_SECONDS)] == [Risk.LOW, Risk.MEDIUM, Risk.HIGH, Risk.CRITICAL]


# ------------------------------------------------------------------ live: plan --dsn


def expected_ae_rewrite(total_bytes: int, rate_mb_s: float) -> Risk:
    """The documented grade of a rewrite under ACCESS EXCLUSIVE of a table holding data, from bytes and rate."""
    return max(level_for_seconds(total_bytes / (rate_mb_s * MB)), Risk.MEDIUM, key=lambda r: r.rank)


def fill(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table public.big (id int primary key, payload text)")
        conn.execute("insert into public.big select g, md5(g::text) from generate_series(1, %s) g", [ROWS])
        conn.execute("create table public.empty (id int primary key, payload text)")
        conn.execute("create table public.recreated (id int, payload text)")
        conn.execute("insert into public.recreated select g, md5(g::text) from generate_series(1, 1000) g")
        conn.execute("vacuum analyze public.big")


PLAN = """alter table public.big add column note text;
alter table public.big alter column payload type varchar(100);
alter table public.empty alter column payload type varchar(100);
create table public.fresh (id int, v text);
alter table public.fresh alter column v type varchar(10);
drop table public.recreated;
create table public.recreated (id int, payload text);
alter table public.recreated alter column payload type varchar(10);
"""


def locks_of(report: dict, key: str) -> list[dict]:
    detail = next(d for d in report["details"] if d["step"]["key"] == key)
    return [lk for st in detail["statements"] for lk in st["locks"]]


@pytest.fixture
def mini(tmp_path: Path) -> MiniProject:
    return MiniProject(tmp_path / "proj")


def test_plan_dsn_shows_rows_bytes_and_risk(mini: MiniProject, empty_db) -> None:
    fill(empty_db.dsn)
    mini.migration(1, "risky", PLAN)
    mini.migration(2, "later", "create table public.later (id int, v text);\n")
    mini.migration(3, "alter_later", "alter table public.later alter column v type varchar(10);\n")
    before = snapshot(empty_db.dsn)
    run = pgm(mini, "plan", "--dsn", empty_db.dsn, "--format", "json")
    assert run.code == 0, run.err
    assert snapshot(empty_db.dsn) == before  # nothing written: sizes are read, the rate probe is rolled back
    report = json.loads(run.out)
    rate = report["rate_mb_s"]
    assert rate > 0 and report["rate_measured"] is True and report["rate_note"].startswith("measured ")

    add, alter, empty, fresh_new, fresh_alter, drop, re_new, re_alter = locks_of(report, mini.key(1))
    assert (add["table"], alter["table"], empty["table"]) == ("public.big", "public.big", "public.empty")
    for lk in (add, alter):
        assert abs(lk["rows"] - ROWS) <= ROWS * 0.05, lk
        assert 0 < lk["bytes"] < lk["total_bytes"]
    # add column without default: metadata only, whatever the size
    assert add["risk"] == "low" and "estimate_s" not in add
    # alter column type: a rewrite of everything, graded from the reported bytes and rate
    assert alter["rewrites"] is True
    assert alter["estimate_s"] == pytest.approx(alter["total_bytes"] / (rate * MB), rel=0.01, abs=1e-3)
    assert alter["risk"] == expected_ae_rewrite(alter["total_bytes"], rate).value
    # the empty table's rewrite is low, and lower than the big one's
    assert empty["bytes"] == 0 and empty["rows"] == 0 and empty["risk"] == "low"
    assert Risk(alter["risk"]).rank > Risk(add["risk"]).rank
    assert Risk(alter["risk"]).rank > Risk(empty["risk"]).rank
    # created by this migration: no size, no risk, even where the target had a table of that name
    for lk in (fresh_new, fresh_alter, re_new, re_alter):
        assert lk["risk"] == "none" and "rows" not in lk and "bytes" not in lk, lk
    assert drop["table"] == "public.recreated" and drop["bytes"] > 0 and drop["risk"] == "low"
    # created by an earlier pending migration of the same plan
    (later,) = locks_of(report, mini.key(3))
    assert later["rewrites"] is True and later["risk"] == "none" and "bytes" not in later
    step = next(d for d in report["details"] if d["step"]["key"] == mini.key(1))
    assert step["risk"] == alter["risk"]

    text = pgm(mini, "plan", "--dsn", empty_db.dsn)
    assert text.code == 0, text.err
    assert "table sizes from the target; rewrite rate measured " in text.out
    line = next(ln for ln in text.out.splitlines() if "alter column payload type" in ln and "public.big" in ln)
    assert "ACCESS EXCLUSIVE public.big REWRITE SCAN" in line and "200k rows" in line and alter["risk"] in line
    assert f"risk {alter['risk']}" in text.out
    assert "new in this plan  none" in text.out


def test_read_only_target_assumes_the_default_rate(mini: MiniProject, empty_db, pgm_server) -> None:
    fill(empty_db.dsn)
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("alter database {} set default_transaction_read_only = on")
                     .format(sql.Identifier(empty_db.name)))
    mini.migration(1, "risky", PLAN)
    run = pgm(mini, "plan", "--dsn", empty_db.dsn, "--format", "json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["rate_mb_s"] == DEFAULT_RATE_MB_S and report["rate_measured"] is False
    assert "assumed" in report["rate_note"] and "read-only" in report["rate_note"]
    alter = locks_of(report, mini.key(1))[1]
    assert alter["estimate_s"] == pytest.approx(alter["total_bytes"] / (DEFAULT_RATE_MB_S * MB), rel=0.01)
    assert alter["risk"] == expected_ae_rewrite(alter["total_bytes"], DEFAULT_RATE_MB_S).value
    assert "rewrite rate assumed 100 MB/s" in pgm(mini, "plan", "--dsn", empty_db.dsn).out


def test_no_rate_measured_when_nothing_with_data_is_rewritten(mini: MiniProject, empty_db) -> None:
    fill(empty_db.dsn)
    mini.migration(1, "light", "alter table public.big add column note text;\n"
                               "alter table public.empty alter column payload type varchar(100);\n")
    report = json.loads(pgm(mini, "plan", "--dsn", empty_db.dsn, "--format", "json").out)
    assert report["rate_mb_s"] is None and report["rate_note"] == ""
    assert [lk["risk"] for lk in locks_of(report, mini.key(1))] == ["low", "low"]


def test_offline_plan_has_no_sizes(mini: MiniProject) -> None:
    mini.migration(1, "risky", PLAN)
    run = pgm(mini, "plan", "--offline", "--format", "json")
    assert run.code == 0, run.err
    report = json.loads(run.out)
    assert report["rate_mb_s"] is None and report["rate_measured"] is False
    locks = locks_of(report, mini.key(1))
    assert locks and all(set(lk) == {"lock", "table", "rewrites", "scans", "note"} for lk in locks)
    assert all(d["risk"] is None for d in report["details"])
    text = pgm(mini, "plan", "--offline").out
    assert "rows" not in text and "table sizes" not in text and "ACCESS EXCLUSIVE public.big REWRITE SCAN" in text


# ------------------------------------------------------------------ the live-facts module directly


def test_table_sizes_partitions_odd_names_and_missing(empty_db) -> None:
    with empty_db.connect() as conn:
        conn.execute("create table public.parted (id int, v text) partition by range (id)")
        conn.execute("create table public.parted_1 partition of public.parted for values from (0) to (1000)")
        conn.execute("create table public.parted_2 partition of public.parted for values from (1000) to (2000)")
        conn.execute("insert into public.parted select g, md5(g::text) from generate_series(0, 1999) g")
        conn.execute('create table public."Odd.Name" (id int)')
        conn.execute('insert into public."Odd.Name" select generate_series(1, 100)')
        conn.execute("vacuum analyze public.parted, public.\"Odd.Name\"")
        conn.execute("create index odd_idx on public.\"Odd.Name\" (id)")
        conn.execute("create view public.odd_view as select id from public.\"Odd.Name\"")
        conn.execute("create sequence public.odd_seq")
        sizes = table_sizes(conn, ["public.parted", "public.parted_1", "public.Odd.Name", "public.missing",
                                   "public.odd_idx", "public.odd_view", "public.odd_seq"])
        assert (sizes["public.odd_idx"].kind, sizes["public.odd_view"].kind, sizes["public.odd_seq"].kind) == (
            "i", "v", "S")
        assert sizes["public.odd_idx"].heap_bytes > 0 and sizes["public.odd_view"].heap_bytes == 0
        leaves = sum(sizes[p].heap_bytes for p in ("public.parted_1",)) + table_sizes(
            conn, ["public.parted_2"])["public.parted_2"].heap_bytes
        assert sizes["public.parted"].kind == "p" and sizes["public.parted"].heap_bytes == leaves > 0
        assert sizes["public.parted"].rows == 2000 and sizes["public.parted_1"].rows == 1000
        assert sizes["public.Odd.Name"].rows == 100 and sizes["public.Odd.Name"].heap_bytes > 0
        assert "public.missing" not in sizes
        rate = copy_rate(conn)
        assert rate.measured and rate.mb_s > 0
        # the probe left nothing behind and no transaction open
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        assert conn.execute("select to_regclass('pg_temp.pgmanager_rate_probe')").fetchone() == (None,)
