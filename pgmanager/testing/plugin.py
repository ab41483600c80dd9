"""pytest plugin shipped with pgmanager (entry point ``pytest11``): a fresh migrated database per test.

Fixtures (docs/testing.md):
- ``pgm_server``: the session's throwaway server (a :class:`pgmanager.sandbox.Sandbox`);
- ``pgm_sandbox``: the project built once into a template (kept between sessions with reuse);
- ``pgm_db`` / ``pgm_conn``: a fresh clone of that template per test, and a connection to it;
- ``pgm_txn``: a connection to one clone per session, each test in a transaction rolled back;
- ``pgm_aconn``: a psycopg AsyncConnection to a fresh clone (with pytest-asyncio or anyio);
- ``pgm_factory``: databases of another project, another server, a custom load, a chosen name.

``as_user(conn, role, user_id=None, claims=None)`` switches identity the way Supabase does (from
pgmanager.policies, re-exported here).

This module imports only pytest and the standard library: a session that uses no database pays
nothing for the plugin. The rest is imported on a fixture's first use.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from . import _options

if TYPE_CHECKING:
    import psycopg

    from ..sandbox import Sandbox
    from ._session import BuiltProject, DatabaseFactory, Session, TestDatabase

_failed_key = pytest.StashKey[bool]()
_notes_key = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    _options.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    _options.fix_space_form(early_config, args)


def pytest_configure(config: pytest.Config) -> None:
    _options.check(config)
    config.pluginmanager.register(_async_fixtures(config), "pgmanager-async")
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        from ._xdist import Controller

        config.pluginmanager.register(Controller(), "pgmanager-xdist")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Tell the clone pool how many clones the tests will take, so that it makes no more than that."""
    names = [getattr(item, "fixturenames", ()) for item in session.items]
    session.config.stash[_options.EXPECTED_CLONES] = (
        sum("pgm_db" in fixtures for fixtures in names) + any("_pgm_txn_conn" in fixtures for fixtures in names))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_failed_key] = report.failed
    return report


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    for note in config.stash.get(_notes_key, []):
        terminalreporter.write_line(f"pgmanager: {note}")


@pytest.fixture(scope="session")
def _pgm_session(request: pytest.FixtureRequest) -> Iterator[Session]:
    from . import _session

    with contextlib.ExitStack() as stack:
        with _session.reported():
            session = stack.enter_context(_session.open_session(request.config))
        request.config.stash[_notes_key] = session.notes
        yield session


@pytest.fixture(scope="session")
def pgm_server(_pgm_session: Session) -> Sandbox:
    return _pgm_session.box


@pytest.fixture(scope="session")
def pgm_sandbox(_pgm_session: Session) -> BuiltProject:
    from ._session import reported

    with reported():
        return _pgm_session.built()


@pytest.fixture
def pgm_db(request: pytest.FixtureRequest, pgm_sandbox: BuiltProject) -> Iterator[TestDatabase]:
    from ._session import TestDatabase, reported

    with reported():
        name = pgm_sandbox.clone()
    yield TestDatabase(name, pgm_sandbox.dsn(name))
    if _options.resolve(request.config, "keep").value and request.node.stash.get(_failed_key, False):
        with reported():
            name = pgm_sandbox.keep(name)
        print(f"\npgmanager: kept database of failed test: {pgm_sandbox.dsn(name)}")
        return
    pgm_sandbox.release(name)


@pytest.fixture
def pgm_conn(pgm_db: TestDatabase) -> Iterator[psycopg.Connection]:
    conn = pgm_db.connect()
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture(scope="session")
def _pgm_txn_conn(pgm_sandbox: BuiltProject) -> Iterator[psycopg.Connection]:
    import psycopg

    from ._session import reported

    with reported():
        name = pgm_sandbox.clone()
    conn = psycopg.connect(pgm_sandbox.dsn(name))
    try:
        yield conn
    finally:
        conn.close()
        pgm_sandbox.release(name)


@pytest.fixture
def pgm_txn(_pgm_txn_conn: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """One clone per session (per xdist worker); each test runs in a transaction that is rolled back.
    ``conn.transaction()`` inside is a savepoint; ``conn.commit()`` is refused (use pgm_conn to commit)."""
    conn = _pgm_txn_conn
    conn.rollback()  # whatever a broken test left
    with conn.transaction(force_rollback=True):
        yield conn


@pytest.fixture
def pgm_factory(_pgm_session: Session) -> Iterator[DatabaseFactory]:
    from ._session import DatabaseFactory

    factory = DatabaseFactory(_pgm_session)
    try:
        yield factory
    finally:
        factory.close()


def _async_fixtures(config: pytest.Config) -> types.ModuleType:
    """``pgm_aconn`` for the async runner that is installed: pytest-asyncio, else anyio; neither is required."""
    plugin = types.ModuleType("pgmanager.testing.async_fixtures")
    manager = config.pluginmanager
    decorate: Any = None
    if manager.hasplugin("asyncio"):
        import pytest_asyncio

        decorate = pytest_asyncio.fixture
    elif manager.hasplugin("anyio"):
        decorate = pytest.fixture
    if decorate is None:
        @pytest.fixture
        def pgm_aconn() -> None:
            pytest.fail("pgm_aconn needs an async test runner: pip install pytest-asyncio (or anyio)", pytrace=False)
    else:
        @decorate
        async def pgm_aconn(pgm_db: TestDatabase) -> Any:
            import psycopg

            conn = await psycopg.AsyncConnection.connect(pgm_db.dsn)
            try:
                yield conn
            finally:
                await conn.rollback()
                await conn.close()
    plugin.pgm_aconn = pgm_aconn  # type: ignore[attr-defined]
    return plugin


def __getattr__(name: str) -> Any:
    """``as_user``, ``BuiltProject``, ``TestDatabase``, ``DatabaseFactory``: imported when first asked for."""
    if name == "as_user":
        from ..policies import as_user

        return as_user
    if name in ("BuiltProject", "TestDatabase", "DatabaseFactory"):
        from . import _session

        return getattr(_session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BuiltProject", "DatabaseFactory", "TestDatabase", "as_user"]  # noqa: F822 (lazy, see __getattr__)
