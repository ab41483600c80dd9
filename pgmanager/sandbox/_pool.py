"""A pool of ready clones of one template, made ahead of time by background threads."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Sequence

import psycopg

from ..errors import DatabaseError
from ._template import Templates


class ClonePool:
    """Clones of one template made ahead of time by background threads, so acquiring is near free.

    ``workers`` threads fill it (the server clones in parallel), each on a connection of its own; when
    a test finds it empty the pool grows by one, up to ``MAX_POOL``, so that it keeps up with a fast
    suite. ``expected``: how many clones will be asked for (the tests that use one), when known: the
    threads make no more than that, so that none is made only to be dropped at the end. ``ready``: clones
    made earlier (kept between sessions), handed out first; ``names``: what a new clone is called."""

    MAX_POOL = 64

    def __init__(self, templates: Templates, template: str, size: int = 2, workers: int = 1,
                 expected: int | None = None, ready: Sequence[str] = (),
                 names: Callable[[], str] | None = None) -> None:
        self.templates = templates
        self.template = template
        self.size = max(0, size)
        self._names = names
        self._budget = None if expected is None else max(0, expected - len(ready))
        """Clones still to make (background or on demand); None: no limit."""
        self._budget_lock = threading.Lock()
        self._in_flight = 0
        self._ready: queue.Queue[str] = queue.Queue()
        for name in ready:
            self._ready.put(name)
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

    def _spend(self, background: bool) -> bool:
        """Count one clone against the budget; False when the expected ones are all made (or being made)."""
        with self._budget_lock:
            if self._budget is not None:
                if self._budget <= 0:
                    return False
                self._budget -= 1
            self._in_flight += background
            return True

    def _landed(self) -> None:
        with self._budget_lock:
            self._in_flight -= 1

    def _fill(self) -> None:
        conn: psycopg.Connection | None = None
        try:
            while True:
                self._wanted.acquire()
                if self._closed.is_set():
                    return
                if not self._spend(background=True):
                    continue  # every expected clone is made: wait for close()
                try:
                    if conn is None:
                        conn = self.templates.admin_connection()
                    name = self.templates.clone(self.template, self._name(), conn=conn)
                except BaseException as exc:  # reported to the next acquire()
                    self._error = exc
                    self._landed()
                    return
                if self._closed.is_set():
                    self._landed()
                    with contextlib.suppress(DatabaseError, psycopg.Error):
                        self.templates.drop(name, conn=conn)
                    return
                self._ready.put(name)
                self._landed()
        finally:
            if conn is not None:
                conn.close()

    def acquire(self) -> str:
        """A fresh clone: from the pool when one is ready, else made now (and the pool grows)."""
        if self._error is not None:
            raise self._error
        try:
            name = self._ready.get_nowait()
        except queue.Empty:
            if not self._spend(background=False):
                in_flight = self._wait_in_flight()
                if in_flight is not None:
                    return in_flight
                with self._budget_lock:  # more asked for than expected (getfixturevalue): stop counting
                    self._budget = None
            name = self.templates.clone(self.template, self._name())
            if self._threads and self.size < self.MAX_POOL:
                self.size += 1
                self._wanted.release()
            return name
        self._wanted.release()
        return name

    def _wait_in_flight(self) -> str | None:
        """Every expected clone is made or being made: one in flight when it lands, None when none is."""
        while True:
            try:
                return self._ready.get(timeout=0.01)
            except queue.Empty:
                pass
            if self._error is not None:
                raise self._error
            with self._budget_lock:
                idle = self._in_flight == 0
            if idle and self._ready.empty():
                return None

    def _name(self) -> str | None:
        return self._names() if self._names is not None else None

    def close(self, keep_unused: bool = False) -> list[str]:
        """Stop the threads and drop the clones nobody took; ``keep_unused``: return them instead."""
        self._closed.set()
        for _ in self._threads:
            self._wanted.release()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=30)
        unused = []
        while not self._ready.empty():
            name = self._ready.get_nowait()
            if keep_unused:
                unused.append(name)
                continue
            with contextlib.suppress(DatabaseError, psycopg.Error):
                self.templates.drop(name)
        return unused
