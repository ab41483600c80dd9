"""Template databases keyed by the hash of their inputs, clones of them, and a pool of ready clones.

Like pgtestdb: the sandbox is handed a *migrator* (a hash of its inputs and a function that builds a
database); it builds the template once under an advisory lock and hands out
``CREATE DATABASE ... TEMPLATE`` clones. It never imports the migration code itself.
"""

from __future__ import annotations

import contextlib
import queue
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

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

    def ensure(self, migrator: Migrator, keep_failed: bool = False) -> str:
        """The template for this migrator, built now unless it already exists."""
        name = template_name(migrator.hash)
        with connection(self.admin_dsn) as conn:
            conn.execute("select pg_advisory_lock(%s)", [_lock_key(name)])
            try:
                if conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
                    return name
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
                self.created.add(name)
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


class ClonePool:
    """Clones of one template made ahead of time in a background thread, so acquiring is near free."""

    def __init__(self, templates: Templates, template: str, size: int = 2) -> None:
        self.templates = templates
        self.template = template
        self.size = max(0, size)
        self._ready: queue.Queue[str] = queue.Queue()
        self._wanted = threading.Semaphore(0)
        self._closed = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._fill, name="pgmanager-clone-pool", daemon=True)
        for _ in range(self.size):
            self._wanted.release()
        if self.size:
            self._thread.start()

    def _fill(self) -> None:
        while True:
            self._wanted.acquire()
            if self._closed.is_set():
                return
            try:
                self._ready.put(self.templates.clone(self.template))
            except BaseException as exc:  # reported to the next acquire()
                self._error = exc
                return

    def acquire(self) -> str:
        """A fresh clone: from the pool when one is ready, else made now."""
        if self._error is not None:
            raise self._error
        try:
            name = self._ready.get_nowait()
        except queue.Empty:
            name = self.templates.clone(self.template)
        else:
            self._wanted.release()
        return name

    def close(self) -> None:
        self._closed.set()
        self._wanted.release()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        while not self._ready.empty():
            name = self._ready.get_nowait()
            with contextlib.suppress(DatabaseError, psycopg.Error):
                self.templates.drop(name)
