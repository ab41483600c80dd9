"""Shared fixtures. The database ones come from pgmanager's own pytest plugin (pgmanager.testing.plugin):
pgm_server (the session's throwaway server), pgm_sandbox (the project built once as a template),
pgm_db / pgm_conn (a fresh clone per test). Here: an empty database, a copy of the project, the CLI."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pgmanager.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class EmptyDb:
    name: str
    dsn: str

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn, autocommit=True)


def _leftover_clusters() -> list[tuple[str, str]]:
    """Sandbox clusters whose owner process is gone, or detached ones never brought down."""
    from pgmanager.sandbox import STATE_ROOT, pid_alive

    leftovers = []
    for folder in STATE_ROOT.glob("cluster-*"):
        try:
            owner = (folder / "owner.pid").read_text().strip()
        except OSError:
            continue
        if not owner.isdigit() or not pid_alive(int(owner)):
            leftovers.append((folder.name, owner))
    return leftovers


def _describe_clusters(found: list[tuple[str, str]]) -> str:
    """Each leftover with what may tell which test made it: when its owner was last set and its server
    log's end (the session-end check is reported at the session's last test, whichever test left it)."""
    from pgmanager.sandbox import STATE_ROOT

    out = []
    for name, owner in found:
        folder = STATE_ROOT / name
        try:
            made = time.strftime("%H:%M:%S", time.localtime((folder / "owner.pid").stat().st_mtime))
            tail = (folder / "server.log").read_text(errors="replace").splitlines()[-5:]
        except OSError as exc:
            made, tail = "?", [str(exc)]
        out.append(f"{name} (owner {owner} since {made}; server.log ends: {' | '.join(tail)})")
    return "; ".join(out)


def _sandbox_containers() -> set[str]:
    """This host's sandbox containers (the docker provider's label), running or not; none without an engine."""
    from pgmanager.errors import SandboxError
    from pgmanager.sandbox._docker import docker_client, ours

    try:
        return {c.name for c in ours(docker_client(timeout=10))}
    except SandboxError:  # no engine here: no container either
        return set()


@pytest.fixture(scope="session", autouse=True)
def no_sandbox_outlives_its_owner() -> Iterator[None]:
    """Checked after every other fixture of the session is torn down (an autouse session fixture is set
    up first, so torn down last): no sandbox server started by the suite outlives its owner, cluster or
    container. The session's own server stops before this runs; .ci/run then checks no sandbox postgres
    or container is left."""
    before = set(_leftover_clusters())
    containers_before = _sandbox_containers()
    yield
    new = [c for c in _leftover_clusters() if c not in before]
    assert new == [], f"sandbox clusters left behind by this test session: {_describe_clusters(new)}"
    new_containers = sorted(_sandbox_containers() - containers_before)
    assert new_containers == [], f"sandbox containers left behind by this test session: {new_containers}"


@pytest.fixture
def empty_db(pgm_server: Sandbox) -> Iterator[EmptyDb]:
    """A new empty database on the session's server, dropped afterwards."""
    name = "pgm_empty_" + secrets.token_hex(5)
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    yield EmptyDb(name, pgm_server.dsn(name))
    with psycopg.connect(pgm_server.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def copy_project(dest: Path) -> Path:
    """Copy this repository's SQL project (its folders, pyproject.toml, .sqlfluff) into the new folder ``dest``."""
    dest.mkdir(parents=True)
    for folder in ("migrations", "policies", "views", "sql", "supabase"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, dest / folder)
    for name in ("pyproject.toml", ".sqlfluff"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, dest / name)
    return dest


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A private copy of this repository's SQL project, to edit freely in a test."""
    return copy_project(tmp_path / "project")


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> CliResult:
    """Run `pgmanager ...` as a real process (what users run), never in-process."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_URL"))}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "pgmanager", *args], cwd=cwd or ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli():
    return run_cli
