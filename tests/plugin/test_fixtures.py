"""The plugin's fixtures in small suites run as a user runs them: isolation, rollback, async, factory."""

from __future__ import annotations

from conftest import Inner  # type: ignore[import-not-found]

pytest_plugins = ["pytester"]


def test_a_commit_in_one_test_is_not_seen_in_the_next(inner: Inner) -> None:
    inner.suite("""
        def test_write(pgm_conn):
            pgm_conn.execute("insert into public.items values (2, 'mine')")
            pgm_conn.commit()
            assert pgm_conn.execute("select count(*) from public.items").fetchone() == (2,)

        def test_fresh(pgm_conn, pgm_db):
            assert pgm_conn.execute("select name from public.items").fetchall() == [("seeded",)]
            assert pgm_conn.execute("select current_database()").fetchone() == (pgm_db.name,)
    """)
    result = inner.run()  # the default provider: a server of the session's own
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["pgmanager: template pgm_tpl_* built in *"])


def test_rollback_fixture_isolates_by_transaction(inner: Inner) -> None:
    inner.suite("""
        import psycopg
        import pytest

        seen = []

        def test_write_without_commit(pgm_txn):
            seen.append(pgm_txn.execute("select current_database()").fetchone()[0])
            pgm_txn.execute("insert into public.items values (2, 'gone')")
            with pytest.raises(ZeroDivisionError), pgm_txn.transaction():  # nested: a savepoint
                pgm_txn.execute("insert into public.items values (3, 'gone too')")
                1 / 0
            assert pgm_txn.execute("select count(*) from public.items").fetchone() == (2,)

        def test_commit_is_refused(pgm_txn):
            with pytest.raises(psycopg.ProgrammingError):
                pgm_txn.commit()

        def test_nothing_left(pgm_txn):
            assert pgm_txn.execute("select count(*) from public.items").fetchone() == (1,)
            assert pgm_txn.execute("select current_database()").fetchone()[0] == seen[0]  # one clone
    """)
    inner.run(*inner.on_outer_server()).assert_outcomes(passed=3)


def test_async_connection(inner: Inner) -> None:
    inner.suite("""
        import pytest

        @pytest.mark.asyncio
        async def test_async(pgm_aconn):
            cur = await pgm_aconn.execute("select name from public.items")
            assert await cur.fetchall() == [("seeded",)]
    """)
    inner.run(*inner.on_outer_server()).assert_outcomes(passed=1)
    no_runner = inner.run(*inner.on_outer_server(), "-p", "no:asyncio", "-p", "no:anyio")
    no_runner.stdout.fnmatch_lines(["*pgm_aconn needs an async test runner*"])


def test_factory_load_name_and_another_project(inner: Inner) -> None:
    from conftest import write_project  # type: ignore[import-not-found]

    write_project(inner.pytester.path / "other", "create table public.other_only (x int);\n")
    (inner.pytester.path / "extra.sql").write_text(
        "create table public.loaded (v text); insert into public.loaded values ('a');\n")
    inner.suite("""
        import psycopg
        from pathlib import Path

        def add_row(dsn):
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("insert into public.loaded values ('b')")

        def test_custom_load(pgm_factory):
            db = pgm_factory(load=[Path("extra.sql"), add_row], dbname="pgm_factory_custom")
            with db.connect() as conn:
                assert conn.execute("select current_database()").fetchone() == ("pgm_factory_custom",)
                assert conn.execute("select v from public.loaded order by v").fetchall() == [("a",), ("b",)]
                assert conn.execute("select to_regclass('public.items')").fetchone() == (None,)

        def test_project_plus_load(pgm_factory):
            db = pgm_factory(project=".", load=["extra.sql"])
            with db.connect() as conn:
                assert conn.execute("select count(*) from public.items, public.loaded").fetchone() == (1,)

        def test_another_project(pgm_factory):
            with pgm_factory(project="other").connect() as conn:
                assert conn.execute("select to_regclass('public.other_only')").fetchone() == ("other_only",)

        def test_bad_load_file_is_one_line(pgm_factory, tmp_path):
            bad = tmp_path / "bad.sql"
            bad.write_text("create tabel nope;")
            pgm_factory(load=[bad])
    """)
    result = inner.run(*inner.on_outer_server())
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*bad.sql: load failed: syntax error at or near \"tabel\"*"])
