"""A Supabase target: its detection (the one place), and the Supabase CLI's own history, kept as the CLI keeps it.

On a Supabase target pgmanager writes, beside its own history row and in the same transaction, the row
`supabase db push` / `supabase migration up` would write in ``supabase_migrations.schema_migrations``:
``version`` (the digits before the first ``_`` of the file name), ``name`` (the rest, without ``.sql``) and
``statements`` (the file split into statements as the CLI splits them: on ``;`` outside quotes, dollar
quotes, comments, parentheses and ``BEGIN ATOMIC ... END``; each trimmed, without its ``;``; empty ones
dropped). The table is created with the CLI's own statements. Facts from the Supabase CLI's documented
behaviour and checked against the CLI 2.117.0 in tests/supabase/test_cli_history.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import psycopg
from psycopg import sql

from ..errors import PlanError
from ..models import HistoryRow, SqlFile
from ..project import Project

SCHEMA, TABLE = "supabase_migrations", "schema_migrations"
FILE_NAME = re.compile(r"^(?P<version>[0-9]+)_(?P<name>.*)\.sql$")
"""The CLI's migration file name: the version is every digit before the first ``_``."""
COLUMNS = {"version": "text", "statements": "text[]", "name": "text"}
"""The CLI's columns and their types (version the primary key); other columns (newer CLIs') are left alone."""


@dataclass(frozen=True)
class Target:
    """What the target is, and why we think so (for messages)."""

    supabase: bool
    reason: str


def detect(conn: psycopg.Connection, *, forced: bool = False) -> Target:
    """Supabase when the platform's own objects are there: the ``supabase_admin`` role and the ``auth`` schema
    (our emulation makes ``auth`` and ``supabase_migrations`` but never ``supabase_admin``); ``forced``
    (``--supabase``, the ``supabase`` setting) says so whatever the target holds."""
    row = conn.execute("select exists (select from pg_roles where rolname = 'supabase_admin'), "
                       "to_regnamespace('auth') is not null, to_regclass('supabase_migrations.schema_migrations') "
                       "is not null").fetchone()
    admin, auth, history = row if row else (False, False, False)
    if forced:
        return Target(True, "--supabase")
    if admin and auth:
        found = "supabase_admin, auth" + (", supabase_migrations" if history else "")
        return Target(True, f"found {found}")
    return Target(False, "no supabase_admin role" if not admin else "no auth schema")


def cli_name(file_name: str) -> tuple[str, str] | None:
    """(version, name) the CLI records for a migration file name, or None when the CLI would skip the file."""
    m = FILE_NAME.match(file_name)
    return (m["version"], m["name"]) if m else None


def split(text: str) -> list[str]:
    """The statements of ``text`` as the Supabase CLI splits a migration file (see the module docstring).

    Like the CLI: no backslash escapes inside quotes (``E'\\''`` splits differently than PostgreSQL reads it),
    a backslash outside quotes hides the next character, comments stay with the statement that follows."""
    out: list[str] = []
    start = i = 0
    n = len(text)
    nesting: list[str] = []  # open '(' or BEGIN ATOMIC blocks: ';' inside them does not split

    def emit(end: int) -> None:
        piece = text[start:end].rstrip(";").strip()
        if piece:
            out.append(piece)

    while i < n:
        c = text[i]
        if c in "'\"":
            close = text.find(c, i + 1)
            while close != -1 and text.startswith(c, close + 1):  # a doubled quote stays inside
                close = text.find(c, close + 2)
            i = n if close == -1 else close + 1
            continue
        if c == "-" and text.startswith("--", i):
            nl = text.find("\n", i + 2)
            i = n if nl == -1 else nl + 1
            continue
        if c == "/" and text.startswith("/*", i):
            i = _block_end(text, i)
            continue
        if c == "$":
            tag = re.match(r"\$[\w]*\$", text[i:])
            if tag:
                close = text.find(tag[0], i + len(tag[0]))
                i = n if close == -1 else close + len(tag[0])
                continue
        if c == "\\":
            i += 2
            continue
        if c == "(":
            nesting.append(")")
        elif c == ")" and nesting and nesting[-1] == ")":
            while nesting and nesting[-1] == ")":  # the CLI closes every open '(' at the first ')'
                nesting.pop()
        elif c in "cC" and text[max(0, i - 5):i + 1].upper() == "ATOMIC" and i >= 6 and text[i - 6].isspace():
            nesting.append("END")
        elif c in "dD" and nesting and nesting[-1] == "END" and text[max(0, i - 2):i + 1].upper() == "END":
            nesting.pop()
        elif c == ";" and not nesting:
            emit(i + 1)
            start = i + 1
        i += 1
    emit(n)
    return out


def _block_end(text: str, i: int) -> int:
    depth, i = 0, i
    while i < len(text):
        if text.startswith("/*", i):
            depth += 1
            i += 2
        elif text.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return i


def ensure_sql() -> list[sql.SQL]:
    """The CLI's own statements creating its history table (idempotent; they also upgrade an older one)."""
    return [sql.SQL("create schema if not exists supabase_migrations"),
            sql.SQL("create table if not exists supabase_migrations.schema_migrations (version text not null "
                    "primary key)"),
            sql.SQL("alter table supabase_migrations.schema_migrations add column if not exists statements text[]"),
            sql.SQL("alter table supabase_migrations.schema_migrations add column if not exists name text")]


def record_sql(version: str, name: str, statements: list[str]) -> sql.Composed:
    """The CLI's history row for one migration (kept when the CLI recorded it already)."""
    return sql.SQL("insert into supabase_migrations.schema_migrations (version, name, statements) "
                   "values ({}, {}, {}::text[]) on conflict (version) do nothing").format(
        sql.Literal(version), sql.Literal(name), sql.Literal(statements))


def check_shape(conn: psycopg.Connection) -> None:
    """Refuse a ``supabase_migrations.schema_migrations`` whose columns are not the CLI's (PlanError, one line)."""
    rows = conn.execute("""select a.attname, format_type(a.atttypid, a.atttypmod),
               exists (select from pg_index i where i.indrelid = a.attrelid and i.indisprimary
                       and i.indnkeyatts = 1 and i.indkey[0] = a.attnum)
          from pg_attribute a where a.attrelid = to_regclass('supabase_migrations.schema_migrations')
           and a.attnum > 0 and not a.attisdropped order by a.attnum""").fetchall()
    if not rows:
        return
    found = {r[0]: r[1] for r in rows}
    wrong = [c for c, t in COLUMNS.items() if c in found and found[c] != t]
    keyed = any(r[0] == "version" and r[2] for r in rows)
    if "version" not in found or wrong or not keyed:
        shape = ", ".join(f"{r[0]} {r[1]}{' primary key' if r[2] else ''}" for r in rows)
        raise PlanError(f"Supabase CLI history table has ({shape}), not the CLI's (version text primary key, "
                        "statements text[], name text): not a shape pgmanager knows; nothing was changed",
                        where=f"{SCHEMA}.{TABLE}")


def file_record(f: SqlFile) -> sql.Composed:
    """The CLI's history row for migration file ``f``, read as the CLI reads it (bytes as they are)."""
    cli = cli_name(f.path.name)
    if cli is None:
        raise PlanError("the Supabase CLI cannot record this migration: its file name is not <digits>_<name>.sql",
                        where=f.display)
    return record_sql(cli[0], cli[1], split(f.path.read_bytes().decode("utf-8")))


def unrecordable(files: list[SqlFile]) -> None:
    """Refuse, before anything runs, a pending migration whose file name the CLI cannot record."""
    for f in files:
        if cli_name(f.path.name) is None:
            file_record(f)


def backfill_sql(project: Project, ours: Mapping[str, HistoryRow], recorded: set[str]) -> list[sql.Composed]:
    """The CLI rows missing for migrations our history says are applied (unchanged since): after them the
    CLI's `migration list` shows what `pgmanager status` shows."""
    out = []
    for m in project.migrations:
        row = ours.get(m.key)
        cli = cli_name(m.path.name)
        if row is not None and row.checksum == m.checksum and cli is not None and cli[0] not in recorded:
            out.append(file_record(m))
    return out
