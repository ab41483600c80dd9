"""`migrate --rehearse`: copy the target's current schema (no data) into a sandbox database.

pg_dump --schema-only of the target, restored with psql into an empty sandbox database, plus the
target's history rows, so the same plan can be applied there first. The roles the target knows are
created (NOLOGIN) in the sandbox first, so grants and policies naming them restore.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import conninfo as _conninfo
from psycopg import sql

from ..db import connect, describe, redact
from ..errors import SandboxError
from . import history


def _split_password(dsn: str) -> tuple[str, dict[str, str]]:
    """The DSN without its password, and the environment carrying it (never on a command line)."""
    params = _conninfo.conninfo_to_dict(dsn) if dsn else {}
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return _conninfo.make_conninfo(**{k: str(v) for k, v in params.items()}), env


def _tool(bindir: Path | None, name: str) -> str:
    for folder in (bindir, Path("/usr/bin")):
        if folder is not None and (folder / name).is_file():
            return str(folder / name)
    raise SandboxError(f"{name} not found: install the PostgreSQL client tools to rehearse",
                       where="--rehearse")


def dump_schema(target_dsn: str, bindir: Path | None) -> str:
    """The target's schema as SQL (pg_dump --schema-only --no-owner)."""
    dsn, env = _split_password(target_dsn)
    proc = subprocess.run([_tool(bindir, "pg_dump"), "--schema-only", "--no-owner", "--dbname", dsn],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    if proc.returncode != 0:
        first = redact(proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else "pg_dump failed")
        raise SandboxError(f"cannot dump the target's schema: {first.removeprefix('pg_dump: error: ')}",
                           where=describe(target_dsn))
    return proc.stdout


def _roles(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute("select rolname from pg_roles where rolname !~ '^pg_' order by 1").fetchall()
    return [r[0] for r in rows]


def clone_schema(target_dsn: str, admin_dsn: str, dsn_for: Callable[[str], str], bindir: Path | None,
                 schema: str) -> str:
    """Create a sandbox database holding the target's schema and history rows; returns its name."""
    name = "pgm_rehearse_" + secrets.token_hex(4)
    dump = dump_schema(target_dsn, bindir)
    with connect(target_dsn) as target:
        roles = _roles(target)
    with connect(admin_dsn) as admin:
        existing = set(_roles(admin))
        for role in roles:
            if role not in existing:
                admin.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    plain, env = _split_password(dsn_for(name))
    proc = subprocess.run([_tool(bindir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--dbname", plain],
                          input=dump, capture_output=True, text=True, env=env, timeout=600, check=False)
    if proc.returncode != 0:
        first = redact(proc.stderr.strip().splitlines()[0] if proc.stderr.strip() else "psql failed")
        raise SandboxError(f"cannot restore the target's schema into the sandbox: {first}", where="--rehearse")
    with connect(target_dsn) as target, connect(dsn_for(name)) as sandbox:
        copy_history(target, sandbox, schema)
    return name


def copy_history(target: psycopg.Connection, sandbox: psycopg.Connection, schema: str) -> int:
    """Copy the target's history rows into the sandbox (the dump has the table, not its rows)."""
    if target.execute("select to_regclass(%s)", [f'"{schema}"."{history.TABLE}"']).fetchone() == (None,):
        return 0
    cols = sql.SQL("key, kind, name, checksum, script, applied_at, execution_ms, applied_by, os_user")
    rows = target.execute(sql.SQL("select {} from {}").format(cols, history.table(schema))).fetchall()
    with sandbox.cursor() as cur:
        cur.executemany(sql.SQL("insert into {} ({}) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)").format(
            history.table(schema), cols), rows)
    return len(rows)
