"""Helpers for the migrate tests: a small project written on the fly, catalog snapshots, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]

PYPROJECT = """[tool.pgmanager]
migrations = "migrations"
policies = "policies"
views = "views"
auth_emulation = ""
seed = ""
lock_timeout = "{lock_timeout}"
lock_retries = {lock_retries}
"""


@dataclass
class MiniProject:
    """A project folder with only the files a test writes."""

    root: Path
    lock_timeout: str = "5s"
    lock_retries: int = 3
    files: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for folder in ("migrations", "policies", "views"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        self.settings()

    def settings(self, **extra: str) -> None:
        text = PYPROJECT.format(lock_timeout=self.lock_timeout, lock_retries=self.lock_retries)
        text += "".join(f'{k} = "{v}"\n' for k, v in extra.items())
        (self.root / "pyproject.toml").write_text(text)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.write_bytes(text.encode("utf-8"))
        return path

    def migration(self, version: int, name: str, text: str) -> Path:
        return self.write(f"migrations/{20240101000000 + version:014d}_{name}.sql", text)

    def key(self, version: int) -> str:
        return f"{20240101000000 + version:014d}"


def wait_until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` every 10 ms; AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@dataclass
class Run:
    code: int
    out: str
    err: str


def cli_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_URL", "PGMANAGER_"))}


def pgm(project: MiniProject | Path, *args: str, timeout: float = 120) -> Run:
    """`python -m pgmanager -C <project> ...` as a real process."""
    root = project.root if isinstance(project, MiniProject) else project
    proc = subprocess.run([sys.executable, "-m", "pgmanager", *args[:1], "-C", str(root), *args[1:]],
                          env=cli_env(), capture_output=True, text=True, timeout=timeout, check=False)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def spawn(project: MiniProject | Path, *args: str) -> subprocess.Popen[str]:
    root = project.root if isinstance(project, MiniProject) else project
    return subprocess.Popen([sys.executable, "-m", "pgmanager", *args[:1], "-C", str(root), *args[1:]],
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


SNAPSHOT = """
select 'rel' as what, n.nspname || '.' || c.relname || ':' || c.relkind::text as item
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname !~ '^pg_temp'
union all
select 'col', a.attrelid::regclass::text || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
  from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
 where a.attnum > 0 and not a.attisdropped and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
union all
select 'con', conrelid::regclass::text || '.' || conname || ':' || pg_get_constraintdef(oid) from pg_constraint
 where connamespace not in (select oid from pg_namespace where nspname in ('pg_catalog', 'information_schema'))
union all
select 'idx', indexrelid::regclass::text || ':' || indisvalid from pg_index
 where indrelid in (select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
                     where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast'))
union all
select 'fn', p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
 where n.nspname not in ('pg_catalog', 'information_schema')
union all
select 'pol', polrelid::regclass::text || '.' || polname from pg_policy
union all
select 'view', c.oid::regclass::text || ':' || pg_get_viewdef(c.oid) from pg_class c
  join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'v' and n.nspname not in
  ('pg_catalog', 'information_schema')
order by 1, 2
"""


def snapshot(dsn: str, *, history: bool = True) -> list[tuple[str, str]]:
    """The user-visible catalog (relations, columns, constraints, indexes, functions, policies, views)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = [(r[0], r[1]) for r in conn.execute(SNAPSHOT).fetchall()]
        if history and conn.execute("select to_regclass('pgmanager.schema_history')").fetchone() != (None,):
            rows += [("history", r[0]) for r in conn.execute(
                "select key || ':' || checksum from pgmanager.schema_history order by key").fetchall()]
    return rows


def history_keys(dsn: str) -> list[str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("select to_regclass('pgmanager.schema_history')").fetchone() == (None,):
            return []
        return [r[0] for r in conn.execute("select key from pgmanager.schema_history order by key").fetchall()]
