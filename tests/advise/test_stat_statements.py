"""`pgmanager advise --from-stat-statements --dsn`: the live database's busiest statements as the workload, on
a throwaway cluster started with pg_stat_statements preloaded; and the one-line error, saying how to
enable it, where it is missing or not preloaded."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from pgmanager.sandbox import LocalCluster, find_local_bindir
from tests.conftest import EmptyDb, run_cli


@pytest.fixture(scope="module")
def pgss_dsn() -> Iterator[str]:
    """A cluster with pg_stat_statements preloaded, a table without a secondary index, a few queries run."""
    bindir = find_local_bindir()
    assert bindir is not None, "the advise tests need local PostgreSQL binaries"
    cluster = LocalCluster.create(bindir, settings={"shared_preload_libraries": "pg_stat_statements"})
    try:
        dsn = cluster.dsn()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create extension pg_stat_statements")
            conn.execute("create table public.t (id int primary key, owner int not null, at timestamptz)")
            conn.execute("insert into public.t select g, g % 500, now() - g * interval '1 minute' "
                         "from generate_series(1, 50000) as g")
            conn.execute("analyze public.t")
            conn.execute("select pg_stat_statements_reset()")
            for owner in range(25):  # sent with $n parameters: pg_stat_statements keeps one normalized entry
                conn.execute("select id from public.t where owner = %s order by at desc limit 5", [owner])
            for owner in range(3):
                conn.execute("select count(*) from public.t where id = %s", [owner])
            conn.execute("select count(*) from pg_catalog.pg_class")
        yield dsn
    finally:
        cluster.destroy()


def test_the_busiest_statement_gets_its_index_and_nothing_is_written(pgss_dsn: str) -> None:
    result = run_cli("advise", "--dsn", pgss_dsn, "--from-stat-statements", "--no-proof", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert any("pg_stat_statements" in n and "calls x mean" in n for n in data["notes"]), data["notes"]
    assert all(q["params"] == "generic" for q in data["queries"]), data["queries"]
    assert all(q["name"].startswith("top") for q in data["queries"])
    assert 1 <= len(data["queries"]) <= 2  # the catalog query and the extension's own reads are left out
    (rec,) = data["recommendations"]
    assert rec["table"] == "public.t" and rec["columns"][:2] == ["owner", "at desc"], rec
    assert data["relative_cost"] < 0.5
    with psycopg.connect(pgss_dsn) as conn:
        assert conn.execute("select count(*) from pg_indexes where tablename = 't'").fetchone() == (1,)
        assert conn.execute("select count(*) from pg_extension where extname = 'hypopg'").fetchone() == (0,)


def test_missing_or_not_preloaded_is_one_line_saying_how(empty_db: EmptyDb) -> None:
    result = run_cli("advise", "--dsn", empty_db.dsn, "--from-stat-statements", "--no-proof")
    assert result.code == 3, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "not enabled" in lines[0] and "shared_preload_libraries" in lines[0], result.err
    bindir = find_local_bindir()
    if bindir is None:
        pytest.skip("the created-but-not-preloaded half needs local PostgreSQL binaries")
    # created, but the server did not preload it (sandboxes preload it: this one is told not to)
    cluster = LocalCluster.create(bindir, settings={"shared_preload_libraries": "''"})
    try:
        with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
            conn.execute("create extension pg_stat_statements")
        result = run_cli("advise", "--dsn", cluster.dsn(), "--from-stat-statements", "--no-proof")
    finally:
        cluster.destroy()
    assert result.code == 3, result.err
    assert "shared_preload_libraries" in result.err and "Traceback" not in result.err, result.err


def test_it_needs_a_live_database() -> None:
    result = run_cli("advise", "--from-stat-statements")
    assert result.code == 2
    assert result.err.strip().splitlines() == ["error: --from-stat-statements: reads a live database's "
                                               "pg_stat_statements: give --dsn"], result.err
