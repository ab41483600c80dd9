"""pytest plugin shipped with pgmanager (entry point ``pytest11``): a fresh migrated database per test.

Fixtures:
- ``pgm_server``: the session's throwaway server (a :class:`pgmanager.sandbox.Sandbox`);
- ``pgm_sandbox``: the project built once into a template (``--pgm-project``, default: the rootdir);
- ``pgm_db``: a fresh clone of that template for one test (from a pool made ahead of time);
- ``pgm_conn``: a psycopg connection to ``pgm_db``, rolled back after the test.

``as_user(conn, role, user_id=None, claims=None)`` switches identity the way Supabase does:
``SET LOCAL ROLE`` plus ``request.jwt.claims`` inside a transaction that is rolled back. It refuses a
role that bypasses RLS (superuser or BYPASSRLS) except service_role, since such a test proves nothing
(``allow_bypass=True`` when that is the point). See docs/testing.md.

Options: ``--pgm-sandbox auto|local|embedded|docker|dsn`` (env ``PGMANAGER_SANDBOX``),
``--pgm-keep`` keeps the database of a failed test and prints its DSN.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ..api import building, inputs
from ..config import Settings
from ..policies import as_user
from ..project import Project
from ..sandbox import Sandbox, open_sandbox


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pgmanager")
    group.addoption("--pgm-sandbox", default=None, help="sandbox provider (auto, local, embedded, docker, dsn)")
    group.addoption("--pgm-project", default=None, help="project folder to build (default: pytest rootdir)")
    group.addoption("--pgm-keep", action="store_true", help="keep the database of a failed test")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_failed_key] = report.failed
    return report


_failed_key = pytest.StashKey[bool]()


@dataclass
class BuiltProject:
    """The project built once into a template on the session's server."""

    box: Sandbox
    settings: Settings
    project: Project
    template: str

    def clone(self) -> str:
        return self.box.acquire(self.template, self.settings.pool_size)

    def dsn(self, dbname: str) -> str:
        return self.box.dsn(dbname)


@dataclass
class TestDatabase:
    """A fresh clone of the project's template for one test."""

    __test__ = False  # not a pytest test class
    name: str
    dsn: str

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        return psycopg.connect(self.dsn, **kwargs)


@pytest.fixture(scope="session")
def pgm_server(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    import os

    provider = request.config.getoption("--pgm-sandbox") or os.environ.get("PGMANAGER_SANDBOX") or "auto"
    with open_sandbox(provider, sandbox_dsn=os.environ.get("PGMANAGER_SANDBOX_DSN")) as box:
        yield box


@pytest.fixture(scope="session")
def pgm_sandbox(request: pytest.FixtureRequest, pgm_server: Sandbox) -> BuiltProject:
    root = request.config.getoption("--pgm-project") or str(request.config.rootpath)
    settings, project = inputs.load(Path(root))
    template = pgm_server.template(building.project_migrator(settings, project, seed=True))
    return BuiltProject(pgm_server, settings, project, template)


@pytest.fixture
def pgm_db(request: pytest.FixtureRequest, pgm_sandbox: BuiltProject) -> Iterator[TestDatabase]:
    name = pgm_sandbox.clone()
    yield TestDatabase(name, pgm_sandbox.dsn(name))
    if request.config.getoption("--pgm-keep") and request.node.stash.get(_failed_key, False):
        print(f"\npgmanager: kept database of failed test: {pgm_sandbox.dsn(name)}")
        pgm_sandbox.box.templates.created.discard(name)
        return
    pgm_sandbox.box.drop(name)


@pytest.fixture
def pgm_conn(pgm_db: TestDatabase) -> Iterator[psycopg.Connection]:
    conn = psycopg.connect(pgm_db.dsn)
    try:
        yield conn
    finally:
        conn.rollback()
        conn.close()


# as_user lives in pgmanager.policies (the verifier switches identities the same way); re-exported here.
__all__ = ["BuiltProject", "TestDatabase", "as_user"]
