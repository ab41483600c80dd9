"""Shaping measurements into the report: the per-run figures, the BackendMetrics-like ``database``
section, and the plain-text table the CLI prints."""

from __future__ import annotations

from ._models import (
    AUTHENTICATED,
    IDENTITIES,
    RLS_FLAG_RATIO,
    SERVICE_ROLE,
    ApiMetrics,
    BenchReport,
    ConnectionPool,
    DatabaseMetrics,
    Endpoint,
    Latency,
    QueryMetric,
    QueryResult,
    Run,
)
from ._run import Load, Measured
from ._stats import subsample, summarize

SAMPLE_CAP = 10_000
PROBE_CAP = 2_000


def latency(seconds: list[float]) -> Latency:
    return summarize(seconds, scale=1000, digits=3)


def run_result(identity: str, measured: Measured, load: Load, seed: int) -> Run:
    count = len(measured.latencies)
    kept = subsample(measured.latencies, SAMPLE_CAP, seed)
    return Run(identity=identity, requests=count, latency=latency(measured.latencies),
               service=latency(measured.services) if load.open_loop else None,
               throughput_rps=round(count / measured.wall_s, 1) if measured.wall_s > 0 else 0.0,
               rows_mean=round(measured.rows / count, 2), wall_s=round(measured.wall_s, 3),
               peak_active=measured.peak_active, peak_waiting=measured.peak_waiting,
               samples_us=[max(1, round(v * 1e6)) for v in kept],
               probe_us=[max(1, round(v * 1e6)) for v in subsample(measured.probes, PROBE_CAP, seed)])


def rls_ratio(runs: list[Run]) -> tuple[float | None, bool]:
    by = {r.identity: r for r in runs}
    if AUTHENTICATED not in by or SERVICE_ROLE not in by or by[SERVICE_ROLE].latency.p95 <= 0:
        return None, False
    ratio = round(by[AUTHENTICATED].latency.p95 / by[SERVICE_ROLE].latency.p95, 3)
    return ratio, ratio > RLS_FLAG_RATIO


def database_metrics(queries: list[QueryResult], clients: int, slow_ms: float) -> DatabaseMetrics:
    """``database`` as BackendMetrics has it; a slow query is one whose p95 passes ``slow_ms`` or whose
    plan is flagged."""
    times = []
    slow: list[QueryMetric] = []
    active = waiting = 0
    for q in queries:
        auth = q.run(AUTHENTICATED)
        if auth is not None:
            times.append(auth.latency.p95)
        for r in q.runs:
            active = max(active, r.peak_active)
            waiting = max(waiting, r.peak_waiting)
            plan = q.plan(r.identity)
            if r.latency.p95 > slow_ms or (plan is not None and plan.flags):
                slow.append(QueryMetric(query=q.name, duration=r.latency.p95, identity=r.identity,
                                        calls=r.requests, rows=r.rows_mean, file=q.file,
                                        flags=plan.flags if plan else [],
                                        fingerprint=plan.fingerprint if plan else None))
    slow.sort(key=lambda m: -m.duration)
    return DatabaseMetrics(queryTime=times, slowQueries=slow,
                           connectionPool=ConnectionPool(active=active, idle=max(0, clients - active),
                                                         waiting=waiting))


def api_metrics(queries: list[QueryResult]) -> ApiMetrics:
    """``api`` as BackendMetrics has it: each query is an endpoint, as each identity. A run stops at its
    first failed request: that identity's endpoint counts one request sent, failed."""
    endpoints: list[Endpoint] = []
    wall = 0.0
    for q in queries:
        for identity in IDENTITIES:
            r = q.run(identity)
            if r is not None:
                endpoints.append(Endpoint(query=q.name, identity=identity, requests=r.requests, p50=r.latency.p50,
                                          p95=r.latency.p95, p99=r.latency.p99, errorRate=0.0,
                                          throughput=r.throughput_rps))
                wall += r.wall_s
            elif q.error and q.error.startswith(f"as {identity}:"):
                endpoints.append(Endpoint(query=q.name, identity=identity, requests=1, p50=None, p95=None, p99=None,
                                          errorRate=1.0, throughput=0.0))
    sent = sum(e.requests for e in endpoints)
    failed = sum(round(e.errorRate * e.requests) for e in endpoints)
    return ApiMetrics(responseTime=[e.p95 for e in endpoints if e.identity == AUTHENTICATED and e.p95 is not None],
                      errorRate=round(failed / sent, 4) if sent else 0.0,
                      throughput=round((sent - failed) / wall, 1) if wall > 0 else 0.0, endpoints=endpoints)


def text_table(report: BenchReport) -> str:
    """The report as aligned plain text: one line per query and identity, then flags and problems."""
    head = ("query", "identity", "reqs", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s", "rows", "RLS x")
    rows: list[tuple[str, ...]] = []
    for q in report.queries:
        if q.error and not q.runs:
            rows.append((q.name, "-", "-", "-", "-", "-", "-", "-", "-", "error"))
            continue
        for identity in IDENTITIES:
            r = q.run(identity)
            if r is None:
                continue
            ratio = ""
            if identity == AUTHENTICATED and q.rls_ratio is not None:
                ratio = f"{q.rls_ratio:.2f}" + (" !" if q.rls_flagged else "")
            rows.append((q.name if identity == AUTHENTICATED or q.run(AUTHENTICATED) is None else "", identity,
                         str(r.requests), f"{r.latency.p50:.3f}", f"{r.latency.p95:.3f}", f"{r.latency.p99:.3f}",
                         f"{r.latency.max:.3f}", f"{r.throughput_rps:.0f}", f"{r.rows_mean:g}", ratio))
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    right = {2, 3, 4, 5, 6, 7, 8, 9}

    def line(cells: tuple[str, ...]) -> str:
        padded = (c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
        return "  ".join(padded).rstrip()

    out = [line(head), *(line(r) for r in rows)]
    for q in report.queries:
        if q.rls_flagged:
            out.append(f"{q.name}: RLS costs {q.rls_ratio:.2f}x the p95 of service_role (flagged above "
                       f"{RLS_FLAG_RATIO:g}x)")
            out.extend(f"{q.name}: through RLS only: {item}" for item in q.rls_difference)
        for p in q.plans:
            for flag in p.flags:
                out.append(f"{q.name} as {p.identity}: {flag}")
        if q.error:
            out.append(f"{q.file}: {q.name}: {q.error}")
    return "\n".join(out)
