"""Helpers for the adopt tests: the five example projects, the tools that run here, and the history rows
of those that do not (golang-migrate, Flyway), written as those tools document them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pgmanager.layouts import flyway

PROJECTS = Path(__file__).resolve().parent / "projects"
TOOLS_DIR = Path(os.environ.get("PGMANAGER_TOOLS_DIR", "/var/cache/pgmanager-tools"))
NPM_PACKAGES = {"dbmate": "dbmate@2.36.0", "supabase": "supabase@2.117.0"}
"""npm package per binary; .ci/run installs the same ones into TOOLS_DIR."""


def copy_project(tool: str, dest: Path) -> Path:
    """A private copy of tests/adopt/projects/<tool>, to edit freely."""
    target = dest / tool
    shutil.copytree(PROJECTS / tool, target)
    return target


def npm_tool(name: str) -> Path:
    """The binary ``name`` from the npm cache folder, installed there once; skip only when it cannot be."""
    binary = TOOLS_DIR / "node_modules" / ".bin" / name
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"{name}: npm is not installed, so {NPM_PACKAGES[name]} cannot be installed")
    TOOLS_DIR.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([npm, "i", "--no-audit", "--no-fund", "-E", "--prefix", str(TOOLS_DIR), NPM_PACKAGES[name]],
                          capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0 or not binary.exists():
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"{name}: `npm i {NPM_PACKAGES[name]}` failed here ({last})")
    return binary


def no_ssl(dsn: str) -> str:
    """The sandbox has no TLS; Go clients (dbmate, the Supabase CLI) insist unless told."""
    return dsn + ("&" if "?" in dsn else "?") + "sslmode=disable"


def run_sql(dsn: str, *texts: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for text in texts:
            conn.execute(text)  # type: ignore[call-overload]


def golang_migrate_by_hand(dsn: str, project: Path, upto: int, *, dirty: bool = False) -> None:
    """What `migrate -path migrations -database DSN up` leaves: each up file run, then its one history row
    (schema_migrations(version bigint primary key, dirty boolean not null), as golang-migrate documents)."""
    ups = sorted((project / "migrations").glob("*.up.sql"), key=lambda p: int(p.name.split("_", 1)[0]))
    run_sql(dsn, *(p.read_text() for p in ups if int(p.name.split("_", 1)[0]) <= upto),
            "create table public.schema_migrations (version bigint not null primary key, dirty boolean not null)")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("insert into public.schema_migrations values (%s, %s)", [upto, dirty])


def flyway_by_hand(dsn: str, project: Path, *, skip: tuple[str, ...] = ()) -> None:
    """What `flyway migrate` leaves: each V file in version order then the R files, and its history table as
    Flyway creates it, one row per script with its CRC32 checksum."""
    folder = project / "db" / "migration"
    def version(p: Path) -> list[int]:
        return [int(x) for x in p.name[1:].split("__")[0].replace("_", ".").split(".")]
    versioned = sorted(folder.rglob("V*__*.sql"), key=version)
    repeatable = sorted(folder.rglob("R__*.sql"))
    run_sql(dsn, """create table public.flyway_schema_history (
        installed_rank integer not null primary key, version varchar(50), description varchar(200) not null,
        type varchar(20) not null, script varchar(1000) not null, checksum integer,
        installed_by varchar(100) not null, installed_on timestamp not null default now(),
        execution_time integer not null, success boolean not null)""")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for rank, path in enumerate([*versioned, *repeatable], 1):
            if path.name in skip:
                continue
            conn.execute(path.read_text())  # type: ignore[call-overload]
            head = path.name.removesuffix(".sql").split("__", 1)
            version = head[0][1:].replace("_", ".") if head[0] != "R" else None
            conn.execute("insert into public.flyway_schema_history values (%s, %s, %s, 'SQL', %s, %s, 'ci', now(), "
                         "3, true)", [rank, version, head[1].replace("_", " "), path.relative_to(folder).as_posix(),
                                      flyway.crc32(path.read_bytes())])


def _yoyo(dsn: str, root: Path) -> None:
    from yoyo import get_backend, read_migrations

    backend = get_backend(dsn.replace("postgresql://", "postgresql+psycopg://", 1))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(read_migrations(str(root / "migrations"))))
    backend.connection.close()


def _dbmate(dsn: str, root: Path) -> None:
    proc = subprocess.run([str(npm_tool("dbmate")), "--no-dump-schema", "up"], cwd=root, capture_output=True,
                          text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "DATABASE_URL": no_ssl(dsn)})
    assert proc.returncode == 0, proc.stderr


def _supabase(dsn: str, root: Path) -> None:
    proc = subprocess.run([str(npm_tool("supabase")), "db", "push", "--db-url", no_ssl(dsn), "--yes"], cwd=root,
                          capture_output=True, text=True, timeout=300, input="y\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr


APPLY: dict[str, Callable[[str, Path], None]] = {
    "yoyo": _yoyo, "dbmate": _dbmate, "supabase": _supabase,
    "golang-migrate": lambda dsn, root: golang_migrate_by_hand(dsn, root, upto=10),
    "flyway": lambda dsn, root: flyway_by_hand(dsn, root),
}
def status_json(cli, project: Path, dsn: str) -> dict:  # type: ignore[no-untyped-def]
    result = cli("status", "-C", str(project), "--dsn", dsn, "--format", "json")
    assert result.code in (0, 1), result.err
    return json.loads(result.out)
