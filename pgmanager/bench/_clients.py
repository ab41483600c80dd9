"""Bench clients as processes: one per client, each with its own connection, results merged.

Threads in one interpreter share the GIL: a client whose query has returned waits for the GIL (held by
another client drawing its next parameters, or by a progress bar) before it can read the clock, and
that wait is counted as the query's. On a busy 2-core machine it added tens of µs per request, and a
descheduled GIL holder whole milliseconds. A process per client reads its clock as soon as libpq
returns, as pgbench's threads do.

The processes are forked (``spawn`` and ``forkserver`` would import the caller's main module again: a
script without a ``__main__`` guard would run twice); a child never touches what it inherits (it opens
its own connection and leaves with ``os._exit``, so the parent's connections are not closed by it).
They live as long as the ``Clients`` and serve every run of the bench: the parent
sends a run (query, sampler, identity, load) to each, they warm up, meet at a barrier that fixes the
common start, draw request numbers from one shared counter, and send back their latencies as packed
doubles. The parent keeps one connection of its own (``conns[0]``) for EXPLAIN.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import sys
import threading
import time
from array import array
from multiprocessing.connection import Connection as Pipe
from typing import Any

import psycopg
from psycopg import sql

from ..db import connect, error_line
from ..errors import DatabaseError
from ._run import PROBE_SQL, STATEMENT_TIMEOUT, Load, Measured, RunError, _check, client_loop, positional
from ._sample import Sampler
from ._workload import Query

JOIN_S = 5.0


def setup_connection(conn: psycopg.Connection) -> None:
    conn.execute("set application_name = 'pgmanager bench'")
    conn.execute("set timezone = 'UTC'")
    conn.execute(sql.SQL("set statement_timeout = {}").format(sql.Literal(STATEMENT_TIMEOUT)))


class _Shared:
    """The run's shared state: created by the parent, inherited by each client process."""

    def __init__(self, ctx: Any, parties: int) -> None:
        self.counter = ctx.Value("q", 0)
        self.t0 = ctx.Value("d", 0.0, lock=False)
        self.active = ctx.Value("i", 0)
        self.peak_active = ctx.Value("i", 0, lock=False)
        self.peak_waiting = ctx.Value("i", 0, lock=False)
        self.stop = ctx.Event()
        self.barrier = ctx.Barrier(parties)

    def reset(self) -> None:
        self.counter.value = self.active.value = self.peak_active.value = self.peak_waiting.value = 0
        self.stop.clear()
        self.barrier.reset()

    def start(self) -> float:
        if self.barrier.wait() == 0:
            self.t0.value = time.perf_counter()
        self.barrier.wait()  # every client reads the start that one of them set
        return float(self.t0.value)

    def sync(self) -> None:
        self.barrier.wait()

    def next_index(self) -> int:
        with self.counter.get_lock():
            i = int(self.counter.value)
            self.counter.value = i + 1
        return i

    def stopped(self) -> bool:
        return bool(self.stop.is_set())

    def enter(self) -> None:
        with self.active.get_lock():
            self.active.value += 1
            if self.active.value > self.peak_active.value:
                self.peak_active.value = self.active.value

    def leave(self) -> None:
        with self.active.get_lock():
            self.active.value -= 1

    def waiting(self, count: int) -> None:
        with self.active.get_lock():
            if count > self.peak_waiting.value:
                self.peak_waiting.value = count

    def fail(self) -> None:
        self.stop.set()
        self.barrier.abort()


def _worker(dsn: str, index: int, pipe: Pipe, shared: _Shared) -> None:
    """A client process: connect, then serve runs until told to stop (None) or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C and stops its clients
    try:
        conn = connect(dsn)
        setup_connection(conn)
    except Exception as exc:  # any failure is reported to the parent in one line
        pipe.send(("error", error_line(exc)))
        return
    prepared: dict[tuple[str, str], bytes] = {}
    try:
        _check(conn.pgconn.prepare(b"pgm_bench_probe", PROBE_SQL), "cannot prepare the reference statement")
    except RunError as exc:
        pipe.send(("error", str(exc)))
        return
    pipe.send(("ready", None))
    with contextlib.suppress(EOFError, BrokenPipeError), conn:
        while (job := pipe.recv()) is not None:
            query, sampler, role, load, seed, read_only = job
            try:
                key = (query.name, query.sql)
                if key not in prepared:
                    name = f"pgm_bench_{len(prepared)}".encode()
                    _check(conn.pgconn.prepare(name, positional(query.sql, query.parameters)),
                           f"cannot prepare {query.name}")
                    prepared[key] = name
                m = client_loop(conn, prepared[key], query, sampler, role, load, seed=seed, index=index,
                                read_only=read_only, shared=shared, probe=b"pgm_bench_probe")
                pipe.send(("ok", (array("d", m.latencies).tobytes(), array("d", m.services).tobytes(), m.rows,
                                  m.wall_s, array("d", m.probes).tobytes())))
            except threading.BrokenBarrierError:
                pipe.send(("broken", None))
            except (RunError, psycopg.Error) as exc:
                with contextlib.suppress(psycopg.Error):
                    conn.pgconn.exec_(b"rollback")
                shared.fail()
                pipe.send(("error", error_line(exc)))


class Clients:
    """``count`` client processes, each with its own connection, opened once for the whole bench."""

    def __init__(self, dsn: str, count: int) -> None:
        self.conns: list[psycopg.Connection] = []
        self._pipes: list[Pipe] = []
        self._procs: list[Any] = []
        self.conns.append(connect(dsn))  # connection errors surface here, as the parent's
        try:
            setup_connection(self.conns[0])
            sys.stdout.flush()  # nothing buffered is written twice
            sys.stderr.flush()
            ctx = multiprocessing.get_context("fork")
            self._shared = _Shared(ctx, count)
            for i in range(count):
                ours, theirs = ctx.Pipe()
                proc = ctx.Process(target=_worker, args=(dsn, i, theirs, self._shared), daemon=True,
                                   name=f"pgmanager-bench-{i}")
                proc.start()
                theirs.close()
                self._pipes.append(ours)
                self._procs.append(proc)
            for i, pipe in enumerate(self._pipes):
                status, detail = self._receive(i, pipe)
                if status != "ready":
                    raise DatabaseError(f"bench client {i} cannot connect: {detail}")
        except BaseException:
            self.close()
            raise

    def _receive(self, index: int, pipe: Pipe) -> tuple[str, Any]:
        try:
            return pipe.recv()
        except EOFError:
            self._shared.fail()
            return "error", f"bench client {index} exited (code {self._procs[index].exitcode})"

    def run(self, query: Query, sampler: Sampler, role: str, load: Load, *, seed: int, read_only: bool) -> Measured:
        """One run on every client, merged; raises RunError with the first client's failure."""
        self._shared.reset()
        for pipe in self._pipes:
            pipe.send((query, sampler, role, load, seed, read_only))
        error: str | None = None
        merged = Measured()
        try:
            for i, pipe in enumerate(self._pipes):
                status, detail = self._receive(i, pipe)
                if status == "error" and error is None:
                    error = detail
                elif status == "ok":
                    latencies, services, rows, wall_s, probes = detail
                    merged.latencies.extend(array("d", latencies))
                    merged.services.extend(array("d", services))
                    merged.probes.extend(array("d", probes))
                    merged.rows += rows
                    merged.wall_s = max(merged.wall_s, wall_s)
        except BaseException:
            self._shared.fail()
            raise
        if error is not None:
            raise RunError(error)
        merged.peak_active = int(self._shared.peak_active.value)
        merged.peak_waiting = int(self._shared.peak_waiting.value)
        return merged

    def close(self) -> None:
        for pipe in self._pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for proc in self._procs:
            proc.join(JOIN_S)
            if proc.is_alive():
                proc.terminate()
                proc.join(JOIN_S)
        for pipe in self._pipes:
            pipe.close()
        self._pipes.clear()
        self._procs.clear()
        for conn in self.conns:
            conn.close()
        self.conns.clear()

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
