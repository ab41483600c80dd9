"""Benchmark a workload on one database: every query as an authenticated user (through RLS) and as
service_role (bypassing it), then its plans."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from ..catalog import Table, read_catalog
from ..db import connection, error_line
from ..errors import ConfigError, InputError
from ._clients import Clients
from ._compare import MIN_DELTA_MS, THRESHOLD, slower_queries
from ._explain import explain, fingerprint, flags, plan_difference, shape
from ._models import AUTHENTICATED, IDENTITIES, SERVICE_ROLE, BenchReport, Plan, Problem, QueryResult, Run
from ._report import rls_ratio, run_result
from ._run import Load, RunError, client_rng, end_request, identity_sql
from ._sample import Sampler, build_sampler
from ._statements import enable, figures, query_id, snapshot
from ._workload import Query, Workload, check_against

ProgressFn = Callable[[str, int, int], None]


@dataclass
class Outcome:
    queries: list[QueryResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the baseline's confirmation runs found (see ``bench_workload``'s ``confirm``)."""
    report_notes: list[str] = field(default_factory=list)
    """About the run itself (pg_stat_statements left out, and why)."""


def _problem(exc: InputError) -> Problem:
    return Problem(where=exc.where or "", message=exc.message)


def check_roles(conn: psycopg.Connection, where: str) -> None:
    """Both identities exist, and authenticated does not bypass RLS (a measurement through RLS that
    skips it would be a lie)."""
    rows: dict[str, bool] = dict(conn.execute("select rolname, rolsuper or rolbypassrls from pg_catalog.pg_roles "
                             "where rolname = any(%s)", [list(IDENTITIES)]).fetchall())
    for role in IDENTITIES:
        if role not in rows:
            raise ConfigError(f"role {role} does not exist: bench runs every query as authenticated and as "
                              "service_role (Supabase has them; elsewhere the auth emulation creates them)",
                              where=where)
    if rows[AUTHENTICATED]:
        raise ConfigError("role authenticated bypasses row level security (superuser or BYPASSRLS): timings "
                          "through RLS would measure nothing", where=where)


def _plan(conn: psycopg.Connection, query: Query, sampler: Sampler, identity: str, run_: Run | None, *,
          seed: int, read_only: bool, slow_ms: float, rls_flagged: bool, catalog: dict[str, Table]) -> Plan:
    params, user = sampler.draw(client_rng(seed, query.name, 0))

    def explained(analyze: bool) -> dict[str, Any]:
        conn.execute(identity_sql(identity, user, read_only))
        try:
            return explain(conn, query.sql, params, analyze=analyze)
        finally:
            end_request(conn)

    doc = explained(False)
    root = doc["Plan"]
    found = flags(root, catalog, analyzed=False)
    slow = run_ is not None and run_.latency.p95 > slow_ms
    if not (slow or rls_flagged or found):
        return Plan(identity=identity, fingerprint=fingerprint(root), shape=shape(root), flags=found, analyzed=False)
    analyzed = explained(True)
    return Plan(identity=identity, fingerprint=fingerprint(root), shape=shape(root),
                flags=flags(analyzed["Plan"], catalog, analyzed=True), analyzed=True,
                execution_ms=analyzed.get("Execution Time"), plan=analyzed)


def sql_checksum(query: Query) -> str:
    return hashlib.sha256(query.sql.encode()).hexdigest()[:16]


def bench_workload(dsn: str, workload: Workload, load: Load, *, seed: int, read_only: bool, slow_ms: float,
                   where: str, on_progress: ProgressFn | None = None, baseline: BenchReport | None = None,
                   threshold: float = THRESHOLD, min_delta_ms: float = MIN_DELTA_MS, confirm: int = 0,
                   sandbox: bool = False, rounds: int = 1) -> Outcome:
    """Run every query of ``workload`` on ``dsn``; a query that cannot run is a problem, not the end.

    ``rounds``: the whole workload that many times over, each query and identity keeping its round
    with the lowest p95 (see ``fastest``): a baseline saved so shows the machine's quiet pace, not a
    moment when it was busy, against which no slowdown would show.

    With a ``baseline``, a query whose p95 looks slower than the baseline's is measured again, up to
    ``confirm`` times, and keeps its slower figures only when every measurement was slower: a burst
    of load on the machine during one query's run (other processes, a checkpoint) then does not fail
    the gate, and a real slowdown, which every run shows, still does. A changed plan is not measured
    again (it fails whatever the timings).
    """
    out = _measure(dsn, workload, load, seed=seed, read_only=read_only, slow_ms=slow_ms, where=where,
                   on_progress=on_progress, sandbox=sandbox, rounds=rounds)
    if baseline is None:
        return out

    def suspects(queries: list[QueryResult]) -> set[str]:
        return slower_queries(queries, baseline, threshold=threshold, min_delta_ms=min_delta_ms, seed=seed)

    slow = suspects(out.queries)
    for attempt in range(1, confirm + 1):
        if not slow:
            break
        again = _measure(dsn, Workload(queries=[q for q in workload.queries if q.name in slow]), load, seed=seed,
                         read_only=read_only, slow_ms=slow_ms, where=where, sandbox=sandbox)
        redone = {q.name: q for q in again.queries if q.error is None}
        still = suspects(list(redone.values())) | (slow - set(redone))
        for i, q in enumerate(out.queries):
            if q.name in redone:
                out.queries[i] = redone[q.name]
        for name in sorted(slow):
            state = "slower again" if name in still else "not slower: the first figures were noise"
            out.notes.append(f"{name}: slower than the baseline, measured again (confirmation {attempt} of "
                             f"{confirm}): {state}")
        slow = still
    return out


def fastest(rounds: list[list[Run]]) -> list[Run]:
    """Each identity's run with the lowest p95 among ``rounds`` (each round: the runs of one query as its
    identities): the machine's quietest moment for it, as a confirmation keeps a slowdown only when
    every measurement shows it. A round cut short by an error keeps the runs it has."""
    best: dict[str, Run] = {}
    for runs in rounds:
        for r in runs:
            if r.identity not in best or r.latency.p95 < best[r.identity].latency.p95:
                best[r.identity] = r
    return [best[i] for i in IDENTITIES if i in best]


def _result(conn: psycopg.Connection, q: Query, sampler: Sampler, runs: list[Run], error: str | None, *, seed: int,
            read_only: bool, slow_ms: float, catalog: dict[str, Table]) -> QueryResult:
    """``q``'s result from its measured ``runs``: the RLS ratio, the plans (analyzed where slow or flagged)
    and, when flagged, what the plan through RLS has that service_role's has not."""
    ratio, flagged = rls_ratio(runs)
    plans: list[Plan] = []
    if error is None:
        try:
            plans = [_plan(conn, q, sampler, identity, next((r for r in runs if r.identity == identity), None),
                           seed=seed, read_only=read_only, slow_ms=slow_ms, rls_flagged=flagged, catalog=catalog)
                     for identity in (AUTHENTICATED, SERVICE_ROLE)]
        except psycopg.Error as exc:
            error = f"EXPLAIN failed: {error_line(exc)}"
    difference: list[str] = []
    by = {p.identity: p for p in plans}
    if flagged and all(by.get(i) is not None and by[i].plan for i in IDENTITIES):
        difference = plan_difference(by[AUTHENTICATED].plan["Plan"], by[SERVICE_ROLE].plan["Plan"])
    return QueryResult(name=q.name, file=q.file, description=q.description, sql_checksum=sql_checksum(q),
                       params=q.describe_params(), runs=runs, rls_ratio=ratio, rls_flagged=flagged,
                       rls_difference=difference, plans=plans, error=error)


def _round(clients: Clients, q: Query, sampler: Sampler, load: Load, view: sql.Composable | None,
           queryid: int | None, *, seed: int, read_only: bool, on_progress: ProgressFn | None, step: int,
           steps: int) -> tuple[list[Run], str | None]:
    """One round of ``q``: a run as each identity (until one fails: the error), with its pg_stat_statements
    figures when the view is there."""
    before = snapshot(clients.conns[0], view, queryid) if view is not None and queryid else {}
    runs: list[Run] = []
    error = None
    for j, identity in enumerate(IDENTITIES):
        if on_progress:
            on_progress(f"{q.name} as {identity}", step + j, steps)
        try:
            result = clients.run(q, sampler, identity, load, seed=seed, read_only=read_only)
        except RunError as exc:
            error = f"as {identity}: {exc}"
            break
        runs.append(run_result(identity, result, load, seed))
    if view is not None and queryid:
        after = snapshot(clients.conns[0], view, queryid)
        runs = [r.model_copy(update={"statements": figures(before, after, r.identity)}) for r in runs]
    return runs, error


def _measure(dsn: str, workload: Workload, load: Load, *, seed: int, read_only: bool, slow_ms: float,
             where: str, on_progress: ProgressFn | None = None, sandbox: bool = False, rounds: int = 1) -> Outcome:
    out = Outcome(problems=[_problem(p) for p in workload.problems])
    with connection(dsn) as conn:
        check_roles(conn, where)
        catalog = read_catalog(conn)
        samplers: dict[str, Sampler] = {}
        for q in workload.queries:
            problems = check_against(q, catalog)
            if not problems:
                try:
                    samplers[q.name] = build_sampler(conn, q, catalog, seed)
                except InputError as exc:
                    problems = [exc]
            out.problems.extend(_problem(p) for p in problems)
    runnable = [q for q in workload.queries if q.name in samplers]
    steps = len(runnable) * len(IDENTITIES) * rounds
    measured: dict[str, list[list[Run]]] = {q.name: [] for q in runnable}
    errors: dict[str, str] = {}
    with Clients(dsn, load.clients) as clients:
        view, note = enable(clients.conns[0], sandbox=sandbox)
        out.report_notes.extend([note] if note else [])
        queryids = {q.name: query_id(clients.conns[0], q) if view is not None else None for q in runnable}
        for r in range(rounds):
            for i, q in enumerate(runnable):
                if q.name in errors:
                    continue
                runs, error = _round(clients, q, samplers[q.name], load, view, queryids[q.name], seed=seed,
                                     read_only=read_only, on_progress=on_progress,
                                     step=(r * len(runnable) + i) * len(IDENTITIES), steps=steps)
                measured[q.name].append(runs)
                if error is not None:
                    errors[q.name] = error
        for q in runnable:
            out.queries.append(_result(clients.conns[0], q, samplers[q.name], fastest(measured[q.name]),
                                       errors.get(q.name), seed=seed, read_only=read_only, slow_ms=slow_ms,
                                       catalog=catalog))
            error = out.queries[-1].error
            if error is not None:
                out.problems.append(Problem(where=f"{q.file}:{q.line}", message=f"query {q.name} failed {error}"))
        if on_progress:
            on_progress("done", steps, steps)
    if rounds > 1:
        out.report_notes.append(f"each query and identity: the round with the lowest p95 of {rounds}")
    return out
