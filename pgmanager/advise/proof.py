"""The proof: the chosen indexes built for real (CREATE INDEX CONCURRENTLY) on a database we may write (a
sandbox clone or a copy of the target), with EXPLAIN ANALYZE and a short bench run of every query
before and after, through bench's load generator (service_role where it exists, else the session's
user). A query is slower by bench's rule (``bench.slowdown``): its p95 grew by more than 20% beyond the
bootstrap interval and by more than 0.1 ms, the machine's drift discounted. A query that looks slower
is measured again, up to ``CONFIRMATIONS`` times, and stays slower only when every measurement is: a
stall on a busy machine during 20 requests of a sub-millisecond query is not a slower index."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from ..bench import CONFIRMATIONS, Load, slowdown
from ..bench._clients import Clients
from ..bench._explain import explain, shape
from ..bench._report import latency
from ..bench._run import RunError, client_rng, end_request, identity_sql
from ..bench._sample import Sampler, build_sampler
from ..catalog import read_catalog
from ..db import connection, error_line
from ..errors import DatabaseError, InputError
from ..models import ProofQuery, ProofReport
from .candidates import Candidate
from .cost import plan_indexes
from .whatif import index_sql
from .workload import Statement

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class _Measured:
    """One statement's run: its latencies (ms), p95, the reference statement's timings around it, and
    the EXPLAIN ANALYZE of one sampled request (execution ms, plan shape, indexes used)."""

    samples_ms: list[float]
    p95: float | None
    probes: list[float]
    execution_ms: float | None
    shape: str
    indexes: set[str]


def _slower(before: _Measured, after: _Measured, seed: int) -> bool:
    if before.p95 is None or after.p95 is None:
        return False
    return slowdown(before.samples_ms, after.samples_ms, before_p95=before.p95, after_p95=after.p95,
                    before_probes=before.probes, after_probes=after.probes, seed=seed).slower


def _role(conn: psycopg.Connection, tables: list[str]) -> str:
    """service_role where it exists and may read every table of the workload, else the session's user."""
    if conn.execute("select 1 from pg_catalog.pg_roles where rolname = 'service_role'").fetchone():
        row = conn.execute("select coalesce(bool_and(pg_catalog.has_table_privilege('service_role', t, 'select')), "
                           "true) from unnest(%s::text[]) as t", [tables]).fetchone()
        if row and row[0]:
            return "service_role"
    row = conn.execute("select current_user").fetchone()
    return str(row[0]) if row else "postgres"


def _measure(dsn: str, stmts: list[Statement], samplers: dict[str, Sampler], role: str, load: Load,
             seed: int) -> dict[str, _Measured]:
    out: dict[str, _Measured] = {}
    with Clients(dsn, load.clients) as clients:
        for stmt in stmts:
            sampler = samplers[stmt.name]
            try:
                measured = clients.run(stmt.query, sampler, role, load, seed=seed, read_only=stmt.kind == "select")
            except RunError as exc:
                raise DatabaseError(f"query {stmt.name} failed in the proof: {exc}", where=stmt.where) from None
            conn = clients.conns[0]
            params, user = sampler.draw(client_rng(seed, stmt.name, 0))
            conn.execute(identity_sql(role, user, False))
            try:
                doc = explain(conn, stmt.query.sql, params, analyze=True)
            finally:
                end_request(conn)
            out[stmt.name] = _Measured(samples_ms=[v * 1000 for v in measured.latencies],
                                       p95=latency(measured.latencies).p95 if measured.latencies else None,
                                       probes=list(measured.probes), execution_ms=doc.get("Execution Time"),
                                       shape=shape(doc["Plan"]), indexes=plan_indexes(doc["Plan"]))
    return out


def prove(dsn: str, stmts: list[Statement], chosen: dict[str, Candidate], *, where: str, iterations: int,
          seed: int, on_progress: ProgressFn | None = None) -> tuple[ProofReport, dict[str, int]]:
    """Measure, build ``chosen`` (name -> index) concurrently, measure again; returns the report and each
    built index's real size."""
    load = Load(clients=1, iterations=iterations, warmup=5)
    samplers: dict[str, Sampler] = {}
    skipped: dict[str, str] = {}
    with connection(dsn) as conn:
        role = _role(conn, sorted({t for s in stmts for t in s.tables}))
        catalog = read_catalog(conn)
        for stmt in stmts:
            if stmt.mode == "generic":
                skipped[stmt.name] = "a parameter has no value to run with (planned generically)"
                continue
            if stmt.kind not in ("select", "with", "values", "table"):
                skipped[stmt.name] = f"{stmt.kind.upper()} is not run in the proof (it would change the data)"
                continue
            try:
                samplers[stmt.name] = build_sampler(conn, stmt.query, catalog, seed)
            except InputError as exc:
                skipped[stmt.name] = exc.message
    runnable = [s for s in stmts if s.name in samplers]
    if on_progress:
        on_progress("proof: before", 0, 3)
    before = _measure(dsn, runnable, samplers, role, load, seed)
    if on_progress:
        on_progress("proof: building", 1, 3)
    t0 = time.perf_counter()
    sizes: dict[str, int] = {}
    with connection(dsn) as conn:
        for name, cand in chosen.items():
            schema = cand.table.split(".", 1)[0]
            try:
                conn.execute(index_sql(cand, name, concurrently=True, if_not_exists=True))
                conn.execute(sql.SQL("analyze {}").format(sql.Identifier(*cand.table.split(".", 1))))
            except psycopg.Error as exc:
                raise DatabaseError(f"cannot build {name} on {where}: {error_line(exc)}") from None
            row = conn.execute("select pg_catalog.pg_relation_size(%s::regclass)",
                               [sql.Identifier(schema, name).as_string(conn)]).fetchone()
            sizes[name] = int(row[0]) if row else 0
    build_ms = round((time.perf_counter() - t0) * 1000, 1)
    if on_progress:
        on_progress("proof: after", 2, 3)
    after = _measure(dsn, runnable, samplers, role, load, seed)
    suspects = [s for s in runnable if _slower(before[s.name], after[s.name], seed)]
    for _ in range(CONFIRMATIONS):
        if not suspects:
            break
        again = _measure(dsn, suspects, samplers, role, load, seed)
        after.update(again)
        suspects = [s for s in suspects if _slower(before[s.name], again[s.name], seed)]
    slower = {s.name for s in suspects}
    queries = []
    used: set[str] = set()
    for stmt in stmts:
        if stmt.name in skipped:
            queries.append(ProofQuery(name=stmt.name, skipped=skipped[stmt.name]))
            continue
        b, a = before[stmt.name], after[stmt.name]
        used |= a.indexes
        queries.append(ProofQuery(name=stmt.name, p95_before_ms=b.p95, p95_after_ms=a.p95,
                                  execution_before_ms=b.execution_ms, execution_after_ms=a.execution_ms,
                                  plan_before=b.shape, plan_after=a.shape, slower=stmt.name in slower))
    report = ProofReport(proved=bool(runnable), where=where, requests=iterations, build_ms=build_ms, queries=queries,
                         slower=[q.name for q in queries if q.slower],
                         unused=sorted(n for n in chosen if n not in used),
                         reason=None if runnable else "no query could run (no parameter values)")
    return report, sizes
