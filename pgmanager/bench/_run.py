"""The load generator: clients, identities, warm-up, and closed or open loops.

Each client is a process with its own connection (``_clients``; psycopg_pool is not a dependency,
and a pool of C connections held by C busy clients is the same thing). A request runs the way the API's does: a
transaction that switches identity (``SET LOCAL ROLE`` and ``request.jwt.claims``, as PostgREST does,
in one round trip, with the rollback of the client's previous request), the query as a prepared
statement; the transaction is rolled back. Only the query's round trip
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

import json
import math
import random
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any, Protocol

import psycopg
from psycopg import pq, sql

from ._models import SERVICE_ROLE
from ._sample import Sampler
from ._workload import Query

WARMUP_MAX_S = 2.0
"""A client stops warming up after this long, whatever its count."""
STATEMENT_TIMEOUT = "60s"
PROBE_SQL = b"select pg_catalog.count(*) from pg_catalog.generate_series(1, 2000)"
"""The reference statement: the same CPU work whatever the project, timed before and after every run
(alone on the server, as far as bench goes), so that the gate can tell a busier machine from a slower
query."""
PROBES = 40
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
    probes: list[float] = field(default_factory=list)
    """Seconds, per reference statement timed before the run (closed loop)."""


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


def client_rng(seed: int, query: str, client: int) -> random.Random:
    """The same stream of requests for every identity: the runs differ only by who sends them."""
    return random.Random(f"{seed}:{query}:{client}")


class Coordination(Protocol):
    """What the clients of one run share (across processes: see ``_clients``)."""

    def start(self) -> float:
        """Wait for every client to be warm; the common start of the measured phase."""

    def next_index(self) -> int:
        """The next request's number among all clients' (open loop: when it is due)."""

    def sync(self) -> None:
        """Wait for every client."""

    def stopped(self) -> bool: ...

    def enter(self) -> None:
        """A request is in flight (for the busiest moment's ``active``)."""

    def leave(self) -> None: ...

    def waiting(self, count: int) -> None: ...


def client_loop(conn: psycopg.Connection, statement: bytes, query: Query, sampler: Sampler, role: str, load: Load,
                *, seed: int, index: int, read_only: bool, shared: Coordination,
                probe: bytes | None = None) -> Measured:
    """One client's share of a run: warm-up, then requests until the run's total or deadline.

    The timed section is one libpq call between two clock readings: the parameters, the identity switch
    and the lists the figures go to are ready before it, and the result is only counted after it. A
    client is a process of its own (``_clients``), so no other client holds a lock it needs to read the
    clock when its call returns (threads would wait for the GIL there).

    ``probe`` (closed loop): the prepared reference statement (``PROBE_SQL``), timed ``PROBES`` times
    in the same way by the first client while the others wait, between the warm-up and the measured
    requests and again after them, into ``probes``: how fast the machine was around the run, whatever
    the query costs and however many clients there are (two busy clients on two hyperthreads slow each
    other 1.7x), for the gate."""
    out = Measured()
    probes = out.probes
    if load.open_loop:
        probe = None  # it would delay the requests due after it
    rng = client_rng(seed, query.name, index)
    names = query.parameters
    total = load.total
    interval = 1.0 / load.rate if load.rate else 0.0
    switches: dict[str | None, bytes] = {}  # composed once per user
    pgconn = conn.pgconn
    exec_prepared = pgconn.exec_prepared
    clock = time.perf_counter
    latencies, services = out.latencies, out.services

    def prepared() -> tuple[bytes, list[bytes | None]]:
        params, user = sampler.draw(rng)
        switch = switches.get(user)
        if switch is None:  # the last request's rollback and this one's switch: one round trip
            switch = switches[user] = b"rollback; " + identity_sql(role, user, read_only).as_bytes(conn)
        return switch, [text_value(params[n]) for n in names]

    def request(switch: bytes, values: list[bytes | None]) -> tuple[float, float, int]:
        _check(pgconn.exec_(switch), f"switching to {role}")
        shared.enter()
        t0 = clock()
        result = exec_prepared(statement, values)  # type: ignore[arg-type]  # None is NULL to libpq
        t1 = clock()
        shared.leave()
        _check(result, f"as {role}")
        return t0, t1, result.ntuples

    _check(pgconn.exec_(b"begin"), "begin")  # every request rolls back the transaction before it
    warm_until = clock() + WARMUP_MAX_S
    for _ in range(load.warmup):
        if clock() > warm_until or shared.stopped():
            break
        request(*prepared())

    def probe_block() -> None:  # by the first client alone, the others waiting: the machine, not us
        if probe is None:
            return
        shared.sync()
        for _ in range(PROBES if index == 0 else 0):
            t0 = clock()
            result = exec_prepared(probe, None)
            t1 = clock()
            _check(result, "the reference statement")
            probes.append(t1 - t0)
        shared.sync()

    probe_block()
    start = last = shared.start()
    deadline = start + load.duration_s if load.duration_s is not None and not load.open_loop else math.inf
    while not shared.stopped():
        i = shared.next_index()
        if total is not None and i >= total:
            break
        switch, values = prepared()
        due = start + i * interval
        now = clock()
        if now >= deadline:
            break
        if load.open_loop:
            if due > now:
                time.sleep(due - now)
            else:
                shared.waiting(math.floor((now - start) / interval) - i + 1)
        began, last, rows = request(switch, values)
        latencies.append(last - (due if load.open_loop else began))
        services.append(last - began)
        out.rows += rows
    out.wall_s = last - start
    if not shared.stopped():
        probe_block()
    _check(pgconn.exec_(b"rollback"), "rollback")
    return out
