"""The clone pool behind pgm_db: it makes as many clones as the tests will take (no more), hands each out
once, and a clone whose test connection just closed is dropped (not left behind)."""

from __future__ import annotations

import psycopg
import pytest
from conftest import Inner  # type: ignore[import-not-found]

from pgmanager.sandbox import ClonePool, FunctionMigrator, Sandbox

pytest_plugins = ["pytester"]


def _clones_of(box: Sandbox, names: set[str]) -> set[str]:
    with psycopg.connect(box.dsn(), autocommit=True) as conn:
        return {r[0] for r in conn.execute("select datname from pg_database where datname = any(%s)", [list(names)])}


@pytest.fixture(scope="module")
def template(pgm_server: Sandbox) -> str:
    return pgm_server.template(FunctionMigrator("h-plugin-pool", lambda dsn: None))


def test_pool_makes_only_the_expected_clones(pgm_server: Sandbox, template: str) -> None:
    before = set(pgm_server.templates.created)
    pool = ClonePool(pgm_server.templates, template, size=8, workers=2, expected=3)
    try:
        taken = [pool.acquire() for _ in range(3)]
        made = set(pgm_server.templates.created) - before
        assert len(set(taken)) == 3 and made == set(taken)  # nothing made ahead beyond the 3 expected
        extra = pool.acquire()  # more than expected: still served, made now
        assert extra not in taken
        taken.append(extra)
    finally:
        pool.close()
    assert set(pgm_server.templates.created) - before == set(taken)
    for name in taken:
        with psycopg.connect(pgm_server.dsn(name)) as conn:  # each a real, connectable clone
            assert conn.execute("select current_database()").fetchone() == (name,)
        pgm_server.drop(name)
    assert _clones_of(pgm_server, set(taken)) == set()


def test_drop_right_after_a_connection_closes(pgm_server: Sandbox, template: str) -> None:
    name = pgm_server.clone(template)
    conn = psycopg.connect(pgm_server.dsn(name))
    conn.execute("create table t (x int)")
    conn.commit()
    conn.close()  # its backend may still be exiting when the drop starts
    with pgm_server.templates.admin_connection() as admin:
        pgm_server.templates.drop(name, conn=admin)
        assert not admin.closed  # the caller's connection is reused, not closed
    assert _clones_of(pgm_server, {name}) == set()
    assert name not in pgm_server.templates.created


COUNTING_CONFTEST = """
import os

from pgmanager.sandbox import Templates

made = []
_clone = Templates.clone


def clone(self, template, name=None, conn=None):
    made.append(_clone(self, template, name, conn))
    return made[-1]


Templates.clone = clone


def pytest_unconfigure(config):
    with open(os.environ["COUNT_TO"], "w") as fh:
        fh.write("\\n".join(made))
"""


def test_session_makes_one_clone_per_test(inner: Inner, pgm_server: Sandbox) -> None:
    """5 pgm_conn tests and 2 pgm_txn tests make 6 clones (one per pgm_conn test, one for pgm_txn), however
    big the pool: none is made only to be dropped; and none is left on the server."""
    count = inner.pytester.path / "count.txt"
    inner.monkeypatch.setenv("COUNT_TO", str(count))
    (inner.pytester.path / "conftest.py").write_text(COUNTING_CONFTEST)
    inner.suite("""
        import pytest

        @pytest.mark.parametrize("i", range(5))
        def test_conn(pgm_conn, i):
            pgm_conn.execute("insert into public.items values (2, 'x')")
            pgm_conn.commit()

        def test_txn(pgm_txn):
            pgm_txn.execute("delete from public.items")

        def test_txn_again(pgm_txn):
            assert pgm_txn.execute("select count(*) from public.items").fetchone() == (1,)

        def test_no_database():
            pass
    """)
    result = inner.run(*inner.on_outer_server(), "--pgm-pool-size", "16")
    result.assert_outcomes(passed=8)
    made = set(count.read_text().split())
    assert len(made) == 6
    assert _clones_of(pgm_server, made) == set()  # every one dropped at the end of the session
