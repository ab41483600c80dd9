"""The load generator: clients, identities, warm-up, and closed or open loops.

Each client is a thread with its own connection (psycopg_pool is not a dependency; a pool of C
connections held by C busy clients is the same thing). A request runs the way the API's does: a
transaction that switches identity (``SET LOCAL ROLE`` and ``request.jwt.claims``, as PostgREST does,
in one round trip), the query as a prepared statement, then a rollback. Only the query's round trip
is timed, and it is one libpq call (``PQexecPrepared``, which releases the GIL): the parameters are
encoded before the clock starts and the rows are not turned into Python objects, so the figure is the
server's time plus one round trip, as pgbench measures it, not psycopg's per-call overhead.

- closed loop (default): every client sends its next request as soon as the last one returned;
  ``iterations`` requests in all, or as many as fit in ``duration_s``;
- open loop (``rate``): requests are due at fixed intervals whatever happens, and a request's latency
  is measured from when it was due, not from when a free client got to it, so time spent queued behind
  a slow request counts (no coordinated omission).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any

import psycopg
from psycopg import pq, sql

from ..db import connect, error_line
from ._models import SERVICE_ROLE
from ._sample import Sampler
from ._workload import Query

WARMUP_MAX_S = 2.0
"""A client stops warming up after this long, whatever its count."""
STATEMENT_TIMEOUT = "60s"
_PSYCOPG_PLACEHOLDER = re.compile(r"%%|%\((?P<name>[A-Za-z_][A-Za-z0-9_]*)\)s")


@dataclass(frozen=True)
class Load:
    clients: int = 1
    iterations: int | None = None
    duration_s: float | None = None
    rate: float | None = None
    warmup: int = 5

    @property
    def open_loop(self) -> bool:
        return self.rate is not None

    @property
    def total(self) -> int | None:
        """Requests to send; None: until the duration is over (closed loop)."""
        if self.iterations is not None:
            return self.iterations
        if self.rate is not None and self.duration_s is not None:
            return max(1, math.ceil(self.rate * self.duration_s))
        return None


@dataclass
class Measured:
    latencies: list[float] = field(default_factory=list)
    """Seconds, per request: from its start (closed loop) or from when it was due (open loop)."""
    services: list[float] = field(default_factory=list)
    """Seconds from the actual start (the same as latencies in a closed loop)."""
    rows: int = 0
    wall_s: float = 0.0
    peak_active: int = 0
    peak_waiting: int = 0


class RunError(Exception):
    """A request failed: the query's run stops, the others go on."""


def positional(query_sql: str, names: list[str]) -> bytes:
    """psycopg's ``%(name)s`` placeholders as the protocol's ``$n`` (``%%`` is a ``%``)."""
    index = {name: i + 1 for i, name in enumerate(names)}
    return _PSYCOPG_PLACEHOLDER.sub(lambda m: f"${index[m.group('name')]}" if m.group("name") else "%",
                                    query_sql).encode()


def text_value(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text format, typed by the server (the queries cast their parameters)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, (datetime, date, clock_time)):
        return value.isoformat().encode()
    if isinstance(value, (dict, list)):
        return json.dumps(value).encode()
    return str(value).encode()


def _check(result: pq.abc.PGresult, what: str) -> pq.abc.PGresult:
    if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        return result
    message = (result.error_message or b"").decode(errors="replace").strip().splitlines()
    raise RunError(f"{what}: {message[0] if message else pq.ExecStatus(result.status).name}")


def identity_sql(role: str, user_id: str | None, read_only: bool) -> sql.Composed:
    """Open the request's transaction as ``role`` (and user): one simple-protocol round trip."""
    claims: dict[str, Any] = {"role": role}
    if user_id is not None and role != SERVICE_ROLE:
        claims["sub"] = user_id
    return sql.SQL("begin{}; set local role {}; select set_config('request.jwt.claims', {}, true)").format(
        sql.SQL(" read only" if read_only else ""), sql.Identifier(role), sql.Literal(json.dumps(claims)))


def end_request(conn: psycopg.Connection) -> None:
    """Roll the request's transaction back below psycopg, which forgets every prepared statement when it
    sees a ROLLBACK go by (and would prepare again, in the timed call, for the next request)."""
    _check(conn.pgconn.exec_(b"rollback"), "rollback")


class Clients:
    """One connection per client, opened once for the whole bench."""

    def __init__(self, dsn: str, count: int) -> None:
        self.conns: list[psycopg.Connection] = []
        self._prepared: dict[tuple[int, str], bytes] = {}
        try:
            for _ in range(count):
                conn = connect(dsn)
                conn.execute("set application_name = 'pgmanager bench'")
                conn.execute("set timezone = 'UTC'")
                conn.execute(sql.SQL("set statement_timeout = {}").format(sql.Literal(STATEMENT_TIMEOUT)))
                self.conns.append(conn)
        except BaseException:
            self.close()
            raise

    def prepare(self, index: int, query: Query) -> bytes:
        """The name of ``query``'s prepared statement on client ``index``'s connection."""
        key = (index, query.name)
        if key not in self._prepared:
            name = f"pgm_bench_{len(self._prepared)}".encode()
            _check(self.conns[index].pgconn.prepare(name, positional(query.sql, query.parameters)),
                   f"cannot prepare {query.name}")
            self._prepared[key] = name
        return self._prepared[key]

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        self.conns.clear()

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def client_rng(seed: int, query: str, client: int) -> random.Random:
    """The same stream of requests for every identity: the runs differ only by who sends them."""
    return random.Random(f"{seed}:{query}:{client}")


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.peak_active = 0
        self.peak_waiting = 0
        self.t0 = 0.0
        self.stop = threading.Event()
        self.error: str | None = None

    def enter(self) -> None:
        with self.lock:
            self.active += 1
            self.peak_active = max(self.peak_active, self.active)

    def leave(self) -> None:
        with self.lock:
            self.active -= 1

    def waiting(self, count: int) -> None:
        with self.lock:
            self.peak_waiting = max(self.peak_waiting, count)

    def fail(self, message: str) -> None:
        with self.lock:
            if self.error is None:
                self.error = message
        self.stop.set()


def run(clients: Clients, query: Query, sampler: Sampler, role: str, load: Load, *, seed: int,
        read_only: bool, on_request: Callable[[], None] | None = None) -> Measured:
    """Run one query as one identity on every client; raises RunError when a request fails."""
    conns = clients.conns
    state = _State()
    results = [Measured() for _ in conns]
    counter = itertools.count()
    total = load.total
    interval = 1.0 / load.rate if load.rate else 0.0
    names = query.parameters

    def start_clock() -> None:
        state.t0 = time.perf_counter()

    barrier = threading.Barrier(len(conns), action=start_clock)

    switches: dict[str | None, bytes] = {}  # composed once per user: less Python per request, less GIL held

    def request(conn: psycopg.Connection, statement: bytes, rng: random.Random) -> tuple[float, float, int]:
        params, user = sampler.draw(rng)
        values = [text_value(params[n]) for n in names]
        switch = switches.get(user)
        if switch is None:
            switch = switches[user] = identity_sql(role, user, read_only).as_bytes(conn)
        pgconn = conn.pgconn
        _check(pgconn.exec_(switch), f"switching to {role}")
        state.enter()
        t0 = time.perf_counter()
        try:
            result = pgconn.exec_prepared(statement, values)  # type: ignore[arg-type]  # None is NULL to libpq
            t1 = time.perf_counter()
        finally:
            state.leave()
        try:
            _check(result, f"as {role}")
        finally:
            pgconn.exec_(b"rollback")
        return t0, t1, result.ntuples

    def client(index: int) -> None:
        out = results[index]
        conn = conns[index]
        rng = client_rng(seed, query.name, index)
        try:
            statement = clients.prepare(index, query)
            warm_until = time.perf_counter() + WARMUP_MAX_S
            for _ in range(load.warmup):
                if time.perf_counter() > warm_until or state.stop.is_set():
                    break
                request(conn, statement, rng)
            barrier.wait()
            deadline = state.t0 + load.duration_s if load.duration_s is not None and not load.open_loop \
                else math.inf
            while not state.stop.is_set():
                i = next(counter)
                if total is not None and i >= total:
                    break
                due = state.t0 + i * interval
                now = time.perf_counter()
                if now >= deadline:
                    break
                if load.open_loop:
                    if due > now:
                        time.sleep(due - now)
                    else:
                        state.waiting(math.floor((now - state.t0) / interval) - i + 1)
                start, end, rows = request(conn, statement, rng)
                out.latencies.append(end - (due if load.open_loop else start))
                out.services.append(end - start)
                out.rows += rows
                out.wall_s = max(out.wall_s, end - state.t0)
                if on_request is not None:
                    on_request()
        except threading.BrokenBarrierError:
            return
        except (RunError, psycopg.Error) as exc:
            with contextlib.suppress(psycopg.Error):
                conn.pgconn.exec_(b"rollback")
            state.fail(error_line(exc))
            barrier.abort()

    threads = [threading.Thread(target=client, args=(i,), name=f"pgmanager-bench-{i}", daemon=True)
               for i in range(len(conns))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except BaseException:
        state.stop.set()
        barrier.abort()
        raise
    if state.error is not None:
        raise RunError(state.error)
    merged = Measured(peak_active=state.peak_active, peak_waiting=state.peak_waiting)
    for r in results:
        merged.latencies.extend(r.latencies)
        merged.services.extend(r.services)
        merged.rows += r.rows
        merged.wall_s = max(merged.wall_s, r.wall_s)
    return merged
