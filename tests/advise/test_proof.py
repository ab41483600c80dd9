"""The proof on a real database: an index the planner is misled into using, built for real, is caught
as slower (and stays slower through the confirmations), while one that helps is not."""

from __future__ import annotations

import psycopg
import pytest

from pgmanager.advise.candidates import Candidate, Key
from pgmanager.advise.proof import prove
from pgmanager.advise.workload import from_text, prepare
from pgmanager.catalog import read_catalog
from tests.conftest import EmptyDb

# 200,000 rows in random physical order; the 20 with b = 1 and c = 1 are the ones with the smallest a.
# b and c are each 1 on half the rows, so the planner takes b = 1 and c = 1 for a quarter of the table:
# with an index on a, it expects a backward scan to meet a match within a few rows, and it has to read
# the whole index, a heap fetch per entry in random order, before it finds one.
SETUP = """
create table public.t (id int primary key, a int not null, b int not null, c int not null, pad text not null);
insert into public.t
select g, g,
       case when g <= 20 then 1 when g % 2 = 0 then 1 else 0 end,
       case when g <= 20 then 1 when g % 2 = 1 then 1 else 0 end,
       repeat('x', 40)
from generate_series(1, 200000) as g order by random();
analyze public.t;
"""
QUERY = "select id from public.t where b = %(v)s::int and c = %(v)s::int order by a desc limit 1"


@pytest.fixture
def table(empty_db: EmptyDb) -> EmptyDb:
    with empty_db.connect() as conn:
        conn.execute(SETUP)
    return empty_db


def _prove(db: EmptyDb, query: str, index: Candidate) -> tuple[bool, float, float, str]:
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        catalog = read_catalog(conn)
        stmts = prepare(conn, [from_text(query, "--query", {"v": "1"})], catalog, samples=1, seed=1, generic=False)
    report, sizes = prove(db.dsn, stmts, {"idx_t_probe": index}, where="test", iterations=20, seed=1)
    (q,) = report.queries
    assert q.p95_before_ms is not None and q.p95_after_ms is not None, q
    assert sizes["idx_t_probe"] > 0
    return q.slower, q.p95_before_ms, q.p95_after_ms, q.plan_after


def test_an_index_the_planner_is_misled_into_is_proven_slower(table: EmptyDb) -> None:
    slower, before, after, plan = _prove(table, QUERY, Candidate(table="public.t", keys=(Key("a"),)))
    assert "idx_t_probe" in plan, plan  # the planner took it
    assert slower and after > before * 1.2, (before, after)


def test_an_index_that_helps_is_not_slower(table: EmptyDb) -> None:
    slower, before, after, plan = _prove(table, QUERY, Candidate(table="public.t",
                                                              keys=(Key("b"), Key("c"), Key("a"))))
    assert "idx_t_probe" in plan, plan
    assert not slower and after < before, (before, after)
