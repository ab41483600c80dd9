"""Throwaway PostgreSQL: a server from a provider, template databases, fresh clones.

    with open_sandbox("auto") as box:
        template = box.template(migrator)        # built once per migrator hash
        dsn = box.dsn(box.clone(template))       # a fresh, fully built database

Everything started is stopped and dropped when the block exits, on error and on Ctrl-C too;
``keep=True`` leaves a failed sandbox running for inspection.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import psycopg

from ..db import redact
from ..errors import PgmError
from ..models import SandboxInfo
from ._base import Provider, Server
from ._cluster import STATE_ROOT, LocalCluster, pid_alive, reap_stale
from ._docker import DockerProvider, reap_stale_containers, remove_container
from ._pool import ClonePool
from ._providers import DsnProvider, EmbeddedProvider, LocalProvider, find_local_bindir, providers, start_server
from ._template import FunctionMigrator, Kept, Migrator, Templates, template_name


class Sandbox:
    """A server plus the templates and clones made on it."""

    def __init__(self, server: Server, *, keep: bool = False, strategy: str | None = None) -> None:
        self.server = server
        self.keep = keep
        # FILE_COPY clones a built template several times faster than PG15's default WAL_LOG here
        # (benchmarks/sandbox.py: 71 ms vs 229 ms for 200 migrations); the checkpoint it needs is cheap
        # with fsync off. Older servers have no STRATEGY clause.
        if strategy is None and _version_num(server.version) >= 150000:
            strategy = "file_copy"
        self.templates = Templates(server.dsn(), server.dsn, strategy)
        self._pools: dict[str, ClonePool] = {}
        self._detached = False
        self._to_drop: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._dropper: threading.Thread | None = None
        self._drops_wanted = True
        self._deferred = 0

    @property
    def provider(self) -> str:
        return self.server.provider

    def dsn(self, dbname: str = "postgres") -> str:
        return self.server.dsn(dbname)

    def template(self, migrator: Migrator, kept: Kept | None = None) -> str:
        """The migrator's template, built unless a valid one exists; ``kept``: it outlives this sandbox."""
        return self.templates.ensure(migrator, keep_failed=self.keep, kept=kept)

    def clone(self, template: str) -> str:
        return self.templates.clone(template)

    def acquire(self, template: str, pool_size: int = 2, workers: int = 1, expected: int | None = None) -> str:
        """A fresh clone from a background pool of ready clones (``workers`` threads fill it; ``expected``:
        how many clones of this template will be asked for, when known, so that none is made in vain)."""
        pool = self._pools.get(template)
        if pool is None:
            pool = self._pools[template] = ClonePool(self.templates, template, pool_size, workers, expected)
        return pool.acquire()

    def drop(self, dbname: str) -> None:
        self.templates.drop(dbname)

    DEFERRED_DROPS = 32
    """A server that stops with this sandbox takes its databases along: up to this many wait for that."""

    def drop_later(self, dbname: str) -> None:
        """Drop in a background thread (a test's teardown need not wait); close() finishes the queue.

        On a server that stops with the sandbox, the first DEFERRED_DROPS are left for the stop (a drop
        costs the server a quarter of a clone)."""
        if self.server.provider != "dsn" and not self._detached and self._deferred < self.DEFERRED_DROPS:
            self._deferred += 1
            self.templates.forget(dbname)
            return
        if self._dropper is None:
            self._dropper = threading.Thread(target=self._drop_queued, name="pgmanager-dropper", daemon=True)
            self._dropper.start()
        self._to_drop.put(dbname)

    def _drop_queued(self) -> None:
        conn: psycopg.Connection | None = None
        try:
            while (name := self._to_drop.get()) is not None:
                if not self._drops_wanted:
                    continue
                with contextlib.suppress(PgmError, psycopg.Error):
                    conn = conn if conn is not None and not conn.broken else self.templates.admin_connection()
                    self.templates.drop(name, conn=conn)
        finally:
            if conn is not None:
                conn.close()

    def hand_over(self, pid: int) -> LocalCluster | None:
        """Let process ``pid`` own this sandbox's local cluster (it stops it; pytest-xdist's controller):
        close() then stops nothing. None (and no change) when the server is not a local cluster."""
        cluster = getattr(self.server, "cluster", None)
        if not isinstance(cluster, LocalCluster):
            return None
        cluster.hand_over(pid)
        self._detached = True
        return cluster

    def info(self, dbname: str) -> SandboxInfo:
        return SandboxInfo(provider=self.provider, server_version=self.server.version,
                           dsn=redact(self.dsn(dbname)), database=dbname, detail=self.server.detail,
                           choice=self.server.choice)

    def detach(self, keep: str) -> None:
        """Leave the server and the database ``keep`` running after close (``sandbox up``)."""
        self.server.detach()
        self._detached = True
        if self.provider == "dsn":
            self.templates.forget(keep)  # its template still goes
        else:
            self.templates.created.clear()  # the whole server stays up

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
        if self._dropper is not None:
            # a server about to stop takes its databases with it: what is still queued need not be dropped
            self._drops_wanted = self.server.provider == "dsn" or self._detached
            self._to_drop.put(None)
            self._dropper.join(timeout=60)
            self._dropper = None
        try:
            if self.server.provider == "dsn":
                self.templates.drop_all()
        finally:
            if not self._detached:
                self.server.stop()


def _version_num(version: str) -> int:
    """150018 for '15.18 (Debian ...)'; 0 when unknown."""
    parts = version.split()[0].split(".") if version else []
    try:
        return int(parts[0]) * 10000 + (int(parts[1]) if len(parts) > 1 else 0)
    except (ValueError, IndexError):
        return 0


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C so that cleanup runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def open_sandbox(provider: str = "auto", *, sandbox_dsn: str | None = None, keep: bool = False,
                 strategy: str | None = None, image: str | None = None,
                 extensions: frozenset[str] = frozenset()) -> Iterator[Sandbox]:
    """Start a sandbox server; stop and drop everything on exit unless ``keep`` and it failed.
    ``image``: the docker provider's (the sandbox_image setting; PGMANAGER_SANDBOX_IMAGE when None);
    ``extensions``: those the project creates (auto picks a provider that has them; stand-ins for the rest)."""
    with _sigterm_as_interrupt():
        box = Sandbox(start_server(provider, sandbox_dsn, image, extensions), keep=keep, strategy=strategy)
        failed = True
        try:
            yield box
            failed = False
        except PgmError as exc:
            if keep:
                box.server.detach()
                exc.hint = (exc.hint + "; " if exc.hint else "") + f"sandbox kept: {redact(box.dsn())}"
            raise
        finally:
            if not (keep and failed):
                box.close()


__all__ = [
    "STATE_ROOT",
    "ClonePool",
    "DockerProvider",
    "DsnProvider",
    "EmbeddedProvider",
    "FunctionMigrator",
    "Kept",
    "LocalCluster",
    "LocalProvider",
    "Migrator",
    "Provider",
    "Sandbox",
    "Server",
    "Templates",
    "find_local_bindir",
    "open_sandbox",
    "pid_alive",
    "providers",
    "reap_stale",
    "reap_stale_containers",
    "remove_container",
    "start_server",
    "template_name",
]
