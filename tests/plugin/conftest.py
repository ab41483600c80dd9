"""Helpers for the plugin's tests: a tiny project and small suites run by pytester in a subprocess
(as a user runs pytest), on the outer session's own server (dsn) unless a test needs a server of its own."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from pgmanager.sandbox import Sandbox

MIGRATION = """\
create table public.items (id integer primary key, name text not null);
create sequence public.ticket;
"""
SEED = "insert into public.items values (1, 'seeded');\n"


def write_project(folder: Path, extra_migration: str | None = None) -> Path:
    """A small pgmanager project: one table with one seeded row."""
    (folder / "migrations").mkdir(parents=True, exist_ok=True)
    (folder / "sql").mkdir(exist_ok=True)
    (folder / "pyproject.toml").write_text('[tool.pgmanager]\nauth_emulation = ""\nseed = "sql/seed.sql"\n')
    (folder / "migrations" / "20240101000000_items.sql").write_text(MIGRATION)
    (folder / "sql" / "seed.sql").write_text(SEED)
    if extra_migration:
        (folder / "migrations" / "20240102000000_more.sql").write_text(extra_migration)
    return folder


@dataclass
class Inner:
    pytester: pytest.Pytester
    server_dsn: str
    monkeypatch: pytest.MonkeyPatch

    def suite(self, source: str, name: str = "test_inner.py") -> Path:
        path = self.pytester.path / name
        path.write_text(textwrap.dedent(source))
        return path

    def on_outer_server(self) -> list[str]:
        return ["--pgm-sandbox", "dsn", "--pgm-sandbox-dsn", self.server_dsn]

    def run(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", *args,
                                                  timeout=240)


@pytest.fixture
def inner(pytester: pytest.Pytester, pgm_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Inner:
    """pytester in a folder holding the project (its pyproject.toml is the suite's ini file too)."""
    for var in ("PGMANAGER_SANDBOX", "PGMANAGER_SANDBOX_DSN", "PGMANAGER_POOL_SIZE", "PYTEST_XDIST_WORKER"):
        monkeypatch.delenv(var, raising=False)
    write_project(pytester.path)
    return Inner(pytester, pgm_server.dsn(), monkeypatch)
