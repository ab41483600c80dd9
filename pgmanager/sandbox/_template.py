"""Template databases keyed by the hash of their inputs, clones of them, and a pool of ready clones.

Like pgtestdb: the sandbox is handed a *migrator* (a hash of its inputs and a function that builds a
database); it builds the template once under an advisory lock and hands out
``CREATE DATABASE ... TEMPLATE`` clones. It never imports the migration code itself.
"""

from __future__ import annotations

import contextlib
import json
import queue
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from psycopg import sql

from ..db import connection, error_line, redact
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

    def clone(self, template: str, name: str | None = None) -> str:
        name = name or CLONE_PREFIX + secrets.token_hex(6)
        query = sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template))
        if self.strategy:
            query = query + sql.SQL(" strategy {}").format(sql.Identifier(self.strategy))
        try:
            with connection(self.admin_dsn) as conn:
                conn.execute(query)
                _copy_settings(conn, template, name)
        except psycopg.Error as exc:
            raise SandboxError(f"cannot clone {template}: {error_line(exc)}",
                               where="sandbox") from None
        with self._lock:
            self.created.add(name)
        return name

    def drop(self, name: str) -> None:
        with connection(self.admin_dsn) as conn:
            if name.startswith(TEMPLATE_PREFIX):
                conn.execute(sql.SQL("alter database {} is_template false").format(sql.Identifier(name)))
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        with self._lock:
            self.created.discard(name)

    def drop_all(self) -> None:
        for name in sorted(self.created, key=lambda n: n.startswith(TEMPLATE_PREFIX)):
            with contextlib.suppress(DatabaseError, psycopg.Error):
                self.drop(name)


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


def _copy_settings(conn: psycopg.Connection, source: str, target: str) -> None:
    """CREATE DATABASE ... TEMPLATE copies no ``ALTER DATABASE ... SET`` (nor ``ALTER ROLE ... IN DATABASE``):
    give the clone the template's, e.g. the search_path the Supabase emulation sets."""
    rows = conn.execute(
        "select r.rolname, unnest(s.setconfig) from pg_db_role_setting s"
        " join pg_database d on d.oid = s.setdatabase left join pg_roles r on r.oid = s.setrole"
        " where d.datname = %s", [source]).fetchall()
    for role, setting in rows:
        key, _, value = str(setting).partition("=")
        values = _list_elements(value) if key in _LIST_SETTINGS else [value]
        head = sql.SQL("alter role {} in database {}").format(sql.Identifier(role), sql.Identifier(target)) \
            if role else sql.SQL("alter database {}").format(sql.Identifier(target))
        conn.execute(head + sql.SQL(" set {} to {}").format(
            sql.Identifier(key), sql.SQL(", ").join(sql.Literal(v) for v in values)))


class ClonePool:
    """Clones of one template made ahead of time by background threads, so acquiring is near free.

    ``workers`` threads fill it (the server clones in parallel); when a test finds it empty the pool
    grows by one, up to ``MAX_POOL``, so that it keeps up with a fast suite."""

    MAX_POOL = 64

    def __init__(self, templates: Templates, template: str, size: int = 2, workers: int = 1) -> None:
        self.templates = templates
        self.template = template
        self.size = max(0, size)
        self._ready: queue.Queue[str] = queue.Queue()
        self._wanted = threading.Semaphore(0)
        self._closed = threading.Event()
        self._error: BaseException | None = None
        count = max(1, min(workers, self.size)) if self.size else 0
        self._threads = [threading.Thread(target=self._fill, name="pgmanager-clone-pool", daemon=True)
                         for _ in range(count)]
        for _ in range(self.size):
            self._wanted.release()
        for thread in self._threads:
            thread.start()

    def _fill(self) -> None:
        while True:
            self._wanted.acquire()
            if self._closed.is_set():
                return
            try:
                name = self.templates.clone(self.template)
            except BaseException as exc:  # reported to the next acquire()
                self._error = exc
                return
            if self._closed.is_set():
                with contextlib.suppress(DatabaseError, psycopg.Error):
                    self.templates.drop(name)
                return
            self._ready.put(name)

    def acquire(self) -> str:
        """A fresh clone: from the pool when one is ready, else made now (and the pool grows)."""
        if self._error is not None:
            raise self._error
        try:
            name = self._ready.get_nowait()
        except queue.Empty:
            name = self.templates.clone(self.template)
            if self._threads and self.size < self.MAX_POOL:
                self.size += 1
                self._wanted.release()
        else:
            self._wanted.release()
        return name

    def close(self) -> None:
        self._closed.set()
        for _ in self._threads:
            self._wanted.release()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=30)
        while not self._ready.empty():
            name = self._ready.get_nowait()
            with contextlib.suppress(DatabaseError, psycopg.Error):
                self.templates.drop(name)
