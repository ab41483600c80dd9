"""Template databases keyed by the hash of their inputs, clones of them, and a pool of ready clones.

Like pgtestdb: the sandbox is handed a *migrator* (a hash of its inputs and a function that builds a
database); it builds the template once under an advisory lock and hands out
``CREATE DATABASE ... TEMPLATE`` clones. It never imports the migration code itself.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from psycopg import sql

from ..db import connect, connection, error_line, redact
from ..errors import DatabaseError, PgmError, SandboxError

TEMPLATE_PREFIX = "pgm_tpl_"
CLONE_PREFIX = "pgm_db_"


class Migrator(Protocol):
    """What builds a database: a stable hash of every input, and the build itself."""

    @property
    def hash(self) -> str: ...

    def build(self, dsn: str) -> None: ...


@dataclass(frozen=True)
class FunctionMigrator:
    """A Migrator made from a hash and a function."""

    hash: str
    build_fn: Callable[[str], None] = field(repr=False)

    def build(self, dsn: str) -> None:
        self.build_fn(dsn)


@dataclass(frozen=True)
class Kept:
    """Keep templates between sessions: ``group`` names the project, ``newest`` how many of its templates stay."""

    group: str
    newest: int = 3


_MARK = "pgmanager template "


def _mark_of(comment: str | None) -> dict[str, Any] | None:
    if not comment or not comment.startswith(_MARK):
        return None
    try:
        data = json.loads(comment[len(_MARK):])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _valid(is_template: bool, comment: str | None, full_hash: str) -> bool:
    """Complete (is_template is set only after a build succeeded) and, when marked, of this very hash."""
    mark = _mark_of(comment)
    return bool(is_template) and (mark is None or mark.get("hash") == full_hash)


def _mark(conn: psycopg.Connection, name: str, full_hash: str, group: str) -> None:
    text = _MARK + json.dumps({"hash": full_hash, "group": group, "built": time.time()})
    conn.execute(sql.SQL("comment on database {} is {}").format(sql.Identifier(name), sql.Literal(text)))


def _prune(conn: psycopg.Connection, kept: Kept, current: str) -> list[str]:
    """Drop the group's kept templates beyond the newest ``kept.newest``; one in use stays."""
    rows = conn.execute("select datname, shobj_description(oid, 'pg_database') from pg_database"
                        " where datistemplate and datname like %s", [TEMPLATE_PREFIX + "%"]).fetchall()
    marked = [(mark.get("built", 0), name) for name, comment in rows
              if (mark := _mark_of(comment)) is not None and mark.get("group") == kept.group and name != current]
    dropped = []
    for _built, name in sorted(marked, reverse=True)[max(0, kept.newest - 1):]:
        ident = sql.Identifier(name)
        try:
            conn.execute(sql.SQL("alter database {} is_template false").format(ident))
            conn.execute(sql.SQL("drop database {}").format(ident))  # no force: a session cloning it wins
        except psycopg.Error:
            with contextlib.suppress(psycopg.Error):
                conn.execute(sql.SQL("alter database {} is_template true").format(ident))
            continue
        dropped.append(name)
    return dropped


def _lock_key(name: str) -> int:
    return int.from_bytes(name.encode()[-8:].rjust(8, b"\0"), "big", signed=True)


def template_name(migrator_hash: str) -> str:
    return TEMPLATE_PREFIX + migrator_hash[:20]


class Templates:
    """Templates and clones on one server (through its maintenance database)."""

    def __init__(self, admin_dsn: str, dsn_for: Callable[[str], str], strategy: str | None = None) -> None:
        self.admin_dsn = admin_dsn
        self.dsn_for = dsn_for
        self.strategy = strategy
        self._lock = threading.Lock()
        self.created: set[str] = set()
        self.reused: set[str] = set()
        """Templates found built (by an earlier session or another process), not built here."""
        self.pruned: list[str] = []
        """Older kept templates of the same group dropped here."""
        self._template_settings: dict[str, list[tuple[str | None, str]]] = {}

    def ensure(self, migrator: Migrator, keep_failed: bool = False, kept: Kept | None = None) -> str:
        """The template for this migrator, built now unless a valid one already exists.

        With ``kept`` the template outlives this process (it is not dropped on close): it is marked with
        its full hash and group, reused by later sessions, and the group's older ones beyond
        ``kept.newest`` are dropped."""
        name = template_name(migrator.hash)
        with connection(self.admin_dsn) as conn:
            conn.execute("select pg_advisory_lock(%s)", [_lock_key(name)])
            try:
                row = conn.execute("select datistemplate, shobj_description(oid, 'pg_database') from pg_database"
                                   " where datname = %s", [name]).fetchone()
                if row is not None and _valid(row[0], row[1], migrator.hash):
                    self.reused.add(name)
                    if kept is not None and not _mark_of(row[1]):
                        _mark(conn, name, migrator.hash, kept.group)
                    return name
                if row is not None:  # half-made (killed before is_template) or another hash's prefix
                    self.drop(name)
                building = f"pgm_bld_{migrator.hash[:12]}_{secrets.token_hex(3)}"
                conn.execute(sql.SQL("create database {}").format(sql.Identifier(building)))
                self.created.add(building)
                try:
                    migrator.build(self.dsn_for(building))
                except BaseException as exc:
                    if keep_failed and isinstance(exc, PgmError):
                        exc.hint = f"failed build kept for inspection: {redact(self.dsn_for(building))}"
                        self.created.discard(building)
                    else:
                        self.drop(building)
                    raise
                conn.execute(sql.SQL("alter database {} rename to {}").format(
                    sql.Identifier(building), sql.Identifier(name)))
                conn.execute(sql.SQL("alter database {} with is_template true allow_connections true").format(
                    sql.Identifier(name)))
                self.created.discard(building)
                if kept is None:
                    self.created.add(name)
                else:
                    _mark(conn, name, migrator.hash, kept.group)
                    self.pruned.extend(_prune(conn, kept, name))
                return name
            finally:
                conn.execute("select pg_advisory_unlock(%s)", [_lock_key(name)])

    @contextlib.contextmanager
    def _admin(self, conn: psycopg.Connection | None) -> Iterator[psycopg.Connection]:
        """``conn`` when a caller keeps one open (a pool's or dropper's thread: a new backend per clone costs
        the server about half a small clone), else a connection for this call."""
        if conn is not None and not conn.closed:
            yield conn
            return
        with connection(self.admin_dsn) as fresh:
            yield fresh

    def admin_connection(self) -> psycopg.Connection:
        """A connection to the maintenance database for a thread that clones or drops many (close it)."""
        return connect(self.admin_dsn)

    def clone(self, template: str, name: str | None = None, conn: psycopg.Connection | None = None) -> str:
        name = name or CLONE_PREFIX + secrets.token_hex(6)
        query = sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template))
        if self.strategy:
            query = query + sql.SQL(" strategy {}").format(sql.Identifier(self.strategy))
        try:
            with self._admin(conn) as admin:
                admin.execute(query)
                _copy_settings(admin, self._settings_of(admin, template), name)
        except psycopg.Error as exc:
            raise SandboxError(f"cannot clone {template}: {error_line(exc)}",
                               where="sandbox") from None
        with self._lock:
            self.created.add(name)
        return name

    def _settings_of(self, conn: psycopg.Connection, template: str) -> list[tuple[str | None, str]]:
        """The template's ``ALTER DATABASE/ROLE ... SET`` rows, read once (a template does not change)."""
        rows = self._template_settings.get(template)
        if rows is None:
            rows = self._template_settings[template] = _settings_rows(conn, template)
        return rows

    LEAVE_WAIT = 0.05
    """How long a drop waits for closed connections' backends to go: one still there when the drop starts
    costs PostgreSQL's 100 ms sleep (a test's connection closed just before its database is dropped)."""

    def drop(self, name: str, conn: psycopg.Connection | None = None) -> None:
        with self._admin(conn) as admin:
            if name.startswith(TEMPLATE_PREFIX):
                admin.execute(sql.SQL("alter database {} is_template false").format(sql.Identifier(name)))
            _wait_for_leavers(admin, name, self.LEAVE_WAIT)
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        with self._lock:
            self.created.discard(name)
            self._template_settings.pop(name, None)

    def forget(self, *names: str) -> None:
        """Leave these databases on the server: ``drop_all`` (the sandbox's close) no longer drops them."""
        with self._lock:
            self.created.difference_update(names)

    def drop_all(self) -> None:
        for name in sorted(self.created, key=lambda n: n.startswith(TEMPLATE_PREFIX)):
            with contextlib.suppress(DatabaseError, psycopg.Error):
                self.drop(name)


def _wait_for_leavers(conn: psycopg.Connection, name: str, limit: float) -> None:
    """Wait up to ``limit`` seconds while backends are connected to ``name`` (those of closed connections
    leave within milliseconds; a live one is left to DROP ... WITH (FORCE))."""
    deadline = time.monotonic() + limit
    query = "select exists (select from pg_stat_activity where datname = %s)"
    while (row := conn.execute(query, [name]).fetchone()) is not None and row[0] and time.monotonic() < deadline:
        time.sleep(0.002)


# settings whose value is a list: ALTER ... SET takes them as one literal per element
_LIST_SETTINGS = {"search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries"}


def _list_elements(value: str) -> list[str]:
    """'"$user", public, extensions' (as pg_db_role_setting stores a list) -> ['$user', 'public', 'extensions']."""
    out, cur, quoted, i = [], "", False, 0
    while i < len(value):
        ch = value[i]
        if quoted:
            if ch == '"' and value[i + 1:i + 2] == '"':
                cur += '"'
                i += 1
            elif ch == '"':
                quoted = False
            else:
                cur += ch
        elif ch == '"':
            quoted = True
        elif ch == ",":
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
        i += 1
    out.append(cur.strip())
    return [e for e in out if e]


def _settings_rows(conn: psycopg.Connection, source: str) -> list[tuple[str | None, str]]:
    return [(role, str(setting)) for role, setting in conn.execute(
        "select r.rolname, unnest(s.setconfig) from pg_db_role_setting s"
        " join pg_database d on d.oid = s.setdatabase left join pg_roles r on r.oid = s.setrole"
        " where d.datname = %s", [source]).fetchall()]


def _copy_settings(conn: psycopg.Connection, rows: list[tuple[str | None, str]], target: str) -> None:
    """CREATE DATABASE ... TEMPLATE copies no ``ALTER DATABASE ... SET`` (nor ``ALTER ROLE ... IN DATABASE``):
    give the clone the template's (``rows``: _settings_rows), e.g. the search_path the Supabase emulation sets."""
    for role, setting in rows:
        key, _, value = str(setting).partition("=")
        values = _list_elements(value) if key in _LIST_SETTINGS else [value]
        head = sql.SQL("alter role {} in database {}").format(sql.Identifier(role), sql.Identifier(target)) \
            if role else sql.SQL("alter database {}").format(sql.Identifier(target))
        conn.execute(head + sql.SQL(" set {} to {}").format(
            sql.Identifier(key), sql.SQL(", ").join(sql.Literal(v) for v in values)))
