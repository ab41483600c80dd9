"""The history table on the target: one row per applied migration or repeatable, with its checksum."""

from __future__ import annotations

import functools
import getpass

import psycopg
from psycopg import sql

from ..models import FileKind, HistoryRow, SqlFile
from ..project import normalize

TABLE = "schema_history"
FAILURES = "schema_failures"
PROGRESS = "schema_progress"
RUNNING, DONE = "running", "done"
# One advisory lock key for every pgmanager runner on a database ('pgmgr' in ASCII).
LOCK_KEY = 0x70676D6772


def table(schema: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(TABLE))


def failures_table(schema: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(FAILURES))


def progress_table(schema: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(PROGRESS))


def ensure_sql(schema: str) -> list[sql.Composed]:
    """The statements that create the bookkeeping tables (idempotent); also shown by `plan --sql`."""
    return [
        sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)),
        sql.SQL("""create table if not exists {} (
    key text primary key,
    kind text not null,
    name text not null,
    checksum text not null,
    script text,
    applied_at timestamptz not null default now(),
    execution_ms double precision not null,
    applied_by text not null default current_user,
    os_user text,
    source text not null default 'pgmanager'
)""").format(table(schema)),
        sql.SQL("alter table {} add column if not exists source text not null default 'pgmanager'").format(
            table(schema)),
        sql.SQL("comment on table {} is {}").format(
            table(schema), sql.Literal("pgmanager: applied migrations and repeatables, with checksums")),
        sql.SQL("""create table if not exists {} (
    key text primary key,
    checksum text not null,
    failed_at timestamptz not null default now(),
    statements_done integer not null,
    error text not null
)""").format(failures_table(schema)),
        sql.SQL("comment on table {} is {}").format(
            failures_table(schema),
            sql.Literal("pgmanager: the last failed attempt of a migration not applied yet (cleared on success)")),
        sql.SQL("""create table if not exists {} (
    key text not null,
    statement integer not null,
    checksum text not null,
    state text not null check (state in ('running', 'done')),
    started_at timestamptz not null default now(),
    done_at timestamptz,
    primary key (key, statement)
)""").format(progress_table(schema)),
        sql.SQL("comment on table {} is {}").format(
            progress_table(schema),
            sql.Literal("pgmanager: statements done (or in flight) of a non-transactional migration not applied yet; "
                        "a re-run resumes after the last one done (cleared when its history row is written)")),
    ]


def script_of(file: SqlFile) -> str:
    """The history's ``script`` of ``file``: its normalized text as written (placeholders not replaced)."""
    return normalize(file.as_written)


def record_sql(schema: str, *, key: str, kind: FileKind, name: str, checksum: str, script: str,
               execution_ms: float | None) -> sql.Composed:
    """The history insert. ``execution_ms`` None: measured by the server since the transaction began."""
    ms: sql.Composable = sql.Literal(execution_ms) if execution_ms is not None else sql.SQL(
        "extract(epoch from clock_timestamp() - now()) * 1000")
    return sql.SQL("""insert into {} (key, kind, name, checksum, script, execution_ms, os_user)
values ({}, {}, {}, {}, {}, {}, {})
on conflict (key) do update set checksum = excluded.checksum, script = excluded.script,
    applied_at = now(), execution_ms = excluded.execution_ms,
    applied_by = current_user, os_user = excluded.os_user, source = default""").format(
        table(schema), sql.Literal(key), sql.Literal(kind.value), sql.Literal(name), sql.Literal(checksum),
        sql.Literal(script), ms, sql.Literal(_os_user()))


def adopt_sql(schema: str, row: HistoryRow) -> sql.Composed:
    """Seed one row taken over from another tool's history (its time and user kept; nothing ran)."""
    return sql.SQL("""insert into {} (key, kind, name, checksum, script, applied_at, execution_ms, applied_by,
    os_user, source) values ({}, {}, {}, {}, {}, coalesce({}::timestamptz, now()), 0, {}, {}, {})
on conflict (key) do nothing""").format(
        table(schema), sql.Literal(row.key), sql.Literal(row.kind.value), sql.Literal(row.name),
        sql.Literal(row.checksum), sql.Literal(row.text), sql.Literal(row.applied_at or None),
        sql.Literal(row.applied_by), sql.Literal(_os_user()), sql.Literal(row.source))


def clear_failure_sql(schema: str, key: str) -> sql.Composed:
    """Forget a migration's failure note and its statement progress (it is applied, or forgotten)."""
    return sql.SQL("delete from {} where key = {}; delete from {} where key = {}").format(
        failures_table(schema), sql.Literal(key), progress_table(schema), sql.Literal(key))


def progress_sql(schema: str, key: str, statement: int, checksum: str, state: str) -> sql.Composed:
    """Mark statement ``statement`` (0-based) of ``key`` running or done."""
    done_at = sql.SQL("clock_timestamp()") if state == DONE else sql.NULL
    return sql.SQL("""insert into {} (key, statement, checksum, state, done_at) values ({}, {}, {}, {}, {})
on conflict (key, statement) do update set checksum = excluded.checksum, state = excluded.state,
    started_at = case when excluded.state = 'running' then now() else {}.started_at end,
    done_at = excluded.done_at""").format(
        progress_table(schema), sql.Literal(key), sql.Literal(statement), sql.Literal(checksum), sql.Literal(state),
        done_at, sql.Identifier(PROGRESS))


def forget_progress_sql(schema: str, key: str, statement: int) -> sql.Composed:
    return sql.SQL("delete from {} where key = {} and statement = {}").format(
        progress_table(schema), sql.Literal(key), sql.Literal(statement))


def ensure(conn: psycopg.Connection, schema: str) -> None:
    """Create the history schema and tables if missing (idempotent, safe under concurrency)."""
    if _exists(conn, schema, PROGRESS) and _has_source(conn, schema):  # the newest: older installs gain them here
        return
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", [LOCK_KEY + 1])
        for stmt in ensure_sql(schema):
            conn.execute(stmt)


def _exists(conn: psycopg.Connection, schema: str, name: str) -> bool:
    row = conn.execute("select to_regclass(quote_ident(%s) || '.' || quote_ident(%s)) is not null",
                       [schema, name]).fetchone()
    return bool(row and row[0])


def _has_source(conn: psycopg.Connection, schema: str) -> bool:
    row = conn.execute("""select exists (select from pg_attribute
        where attrelid = to_regclass(quote_ident(%s) || '.' || quote_ident(%s)) and attname = 'source'
          and not attisdropped)""", [schema, TABLE]).fetchone()
    return bool(row and row[0])


def read(conn: psycopg.Connection, schema: str) -> dict[str, HistoryRow]:
    """The applied rows, or nothing when the table does not exist yet."""
    if not _exists(conn, schema, TABLE):
        return {}
    source = sql.Identifier("source") if _has_source(conn, schema) else sql.Literal("pgmanager")
    rows = conn.execute(sql.SQL(
        "select key, kind, name, checksum, applied_at::text, execution_ms, applied_by, script, {} from {} order by key"
    ).format(source, table(schema))).fetchall()
    return {
        r[0]: HistoryRow(key=r[0], kind=FileKind(r[1]), name=r[2], checksum=r[3], applied_at=r[4],
                         execution_ms=r[5], applied_by=r[6], text=r[7], source=r[8])
        for r in rows
    }


def record(conn: psycopg.Connection, schema: str, *, key: str, kind: FileKind, name: str, checksum: str,
           script: str, execution_ms: float | None) -> None:
    conn.execute(record_sql(schema, key=key, kind=kind, name=name, checksum=checksum, script=script,
                            execution_ms=execution_ms))
    conn.execute(clear_failure_sql(schema, key))


def record_failure(conn: psycopg.Connection, schema: str, *, key: str, checksum: str, statements_done: int,
                   error: str) -> None:
    """Remember a failed attempt (outside the failed transaction) so that `status` can show it."""
    conn.execute(sql.SQL("""insert into {} (key, checksum, statements_done, error) values (%s, %s, %s, %s)
        on conflict (key) do update set checksum = excluded.checksum, failed_at = now(),
            statements_done = excluded.statements_done, error = excluded.error""").format(failures_table(schema)),
        [key, checksum, statements_done, error])


def failures(conn: psycopg.Connection, schema: str) -> dict[str, tuple[str, int, str]]:
    """key -> (failed_at, statements_done, error) of the last failed attempts."""
    if not _exists(conn, schema, FAILURES):
        return {}
    rows = conn.execute(sql.SQL("select key, failed_at::text, statements_done, error from {}").format(
        failures_table(schema))).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def noted_keys(conn: psycopg.Connection, schema: str) -> set[str]:
    """Keys with a failure note or statement progress: the only ones whose notes a success has to clear.
    After :func:`ensure`, so both tables exist."""
    return {r[0] for r in conn.execute(sql.SQL("select key from {} union select key from {}").format(
        failures_table(schema), progress_table(schema))).fetchall()}


def update_checksum(conn: psycopg.Connection, schema: str, key: str, checksum: str, script: str) -> None:
    conn.execute(sql.SQL("update {} set checksum = %s, script = %s where key = %s").format(table(schema)),
                 [checksum, script, key])


def progress(conn: psycopg.Connection, schema: str) -> dict[str, list[tuple[str, str]]]:
    """key -> [(statement checksum, state)] of the statements of partially applied migrations, in order."""
    if not _exists(conn, schema, PROGRESS):
        return {}
    out: dict[str, list[tuple[str, str]]] = {}
    for key, n, checksum, state in conn.execute(sql.SQL(
            "select key, statement, checksum, state from {} order by key, statement").format(
            progress_table(schema))).fetchall():
        done = out.setdefault(key, [])
        if n == len(done):  # contiguous from the first statement; anything else is not progress
            done.append((checksum, state))
    return out


def forget(conn: psycopg.Connection, schema: str, key: str) -> None:
    conn.execute(sql.SQL("delete from {} where key = %s").format(table(schema)), [key])
    if _exists(conn, schema, PROGRESS):
        conn.execute(clear_failure_sql(schema, key))


def invalid_indexes(conn: psycopg.Connection) -> list[tuple[str, str, str, str]]:
    """(schema, index, table, definition) of every INVALID index outside the system schemas."""
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(
        """select n.nspname, c.relname, t.relname, pg_get_indexdef(c.oid)
             from pg_index i join pg_class c on c.oid = i.indexrelid
             join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
            where not i.indisvalid and n.nspname not in ('pg_catalog', 'information_schema')
              and n.nspname !~ '^pg_toast' order by 1, 2""").fetchall()]


@functools.cache
def _os_user() -> str:
    """Who runs this process (asked once: the answer does not change while it runs)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"
