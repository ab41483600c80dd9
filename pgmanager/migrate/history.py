"""The history table on the target: one row per applied migration or repeatable, with its checksum."""

from __future__ import annotations

import getpass

import psycopg
from psycopg import sql

from ..models import FileKind, HistoryRow

TABLE = "schema_history"
# One advisory lock key for every pgmanager runner on a database ('pgmgr' in ASCII).
LOCK_KEY = 0x70676D6772


def table(schema: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(TABLE))


def ensure(conn: psycopg.Connection, schema: str) -> None:
    """Create the history schema and table if missing (idempotent, safe under concurrency)."""
    exists = conn.execute("select to_regclass(%s) is not null",
                          [f'"{schema}"."{TABLE}"']).fetchone()
    if exists and exists[0]:
        return
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", [LOCK_KEY + 1])
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("""
            create table if not exists {} (
                key text primary key,
                kind text not null,
                name text not null,
                checksum text not null,
                script text,
                applied_at timestamptz not null default now(),
                execution_ms double precision not null,
                applied_by text not null default current_user,
                os_user text
            )""").format(table(schema)))
        conn.execute(sql.SQL("comment on table {} is {}").format(
            table(schema), sql.Literal("pgmanager: applied migrations and repeatables, with checksums")))


def read(conn: psycopg.Connection, schema: str) -> dict[str, HistoryRow]:
    """The applied rows, or nothing when the table does not exist yet."""
    exists = conn.execute("select to_regclass(%s) is not null", [f'"{schema}"."{TABLE}"']).fetchone()
    if not exists or not exists[0]:
        return {}
    rows = conn.execute(sql.SQL(
        "select key, kind, name, checksum, applied_at::text, execution_ms, applied_by, script from {} order by key"
    ).format(table(schema))).fetchall()
    return {
        r[0]: HistoryRow(key=r[0], kind=FileKind(r[1]), name=r[2], checksum=r[3], applied_at=r[4],
                         execution_ms=r[5], applied_by=r[6], text=r[7])
        for r in rows
    }


def record(conn: psycopg.Connection, schema: str, *, key: str, kind: FileKind, name: str, checksum: str,
           script: str, execution_ms: float) -> None:
    conn.execute(
        sql.SQL("""insert into {} (key, kind, name, checksum, script, execution_ms, os_user)
                   values (%s, %s, %s, %s, %s, %s, %s)
                   on conflict (key) do update set checksum = excluded.checksum, script = excluded.script,
                       applied_at = now(), execution_ms = excluded.execution_ms,
                       applied_by = current_user, os_user = excluded.os_user""").format(table(schema)),
        [key, kind.value, name, checksum, script, execution_ms, _os_user()],
    )


def forget(conn: psycopg.Connection, schema: str, key: str) -> None:
    conn.execute(sql.SQL("delete from {} where key = %s").format(table(schema)), [key])


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"
