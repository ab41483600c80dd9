"""What `pgmanager bench` reports: pydantic models, serialized as the JSON report and the baseline file.

The ``database`` section is shaped like the platform's ``BackendMetrics.database`` (the backend agent's
monitoring type): ``queryTime`` (ms), ``connectionPool`` ``{active, idle, waiting}`` and
``slowQueries`` (``QueryMetric`` entries: ``{query, duration, ...}``). ``queries`` holds every figure
per query and identity, with the raw latency sample (µs) that a later run's ``--baseline`` bootstraps.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ..models import Model

REPORT_VERSION = 1
AUTHENTICATED = "authenticated"
SERVICE_ROLE = "service_role"
IDENTITIES = (AUTHENTICATED, SERVICE_ROLE)
RLS_FLAG_RATIO = 2.0
"""p95 through RLS over p95 as service_role above this is flagged."""


class Latency(Model):
    """Exact nearest-rank percentiles of every measured request, in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    p999: float
    mean: float
    min: float
    max: float


class Statements(Model):
    """pg_stat_statements' figures for the run's statement as its identity (warm-up requests included)."""

    calls: int
    total_exec_ms: float
    mean_exec_ms: float
    shared_blks_hit: int
    shared_blks_read: int


class Run(Model):
    """One query run as one identity."""

    identity: str = Field(description="authenticated (through RLS) or service_role (bypasses RLS)")
    requests: int
    latency: Latency = Field(description="closed loop: the query's round trip; open loop (--rate): from each "
                                         "request's scheduled start, so time spent queued counts")
    service: Latency | None = Field(default=None, description="open loop only: from the actual start")
    throughput_rps: float = Field(description="requests completed per second of the measured phase")
    rows_mean: float = Field(description="rows returned per request")
    wall_s: float
    peak_active: int = Field(description="most requests in flight at once")
    peak_waiting: int = Field(description="open loop: most requests due but not started (all clients busy)")
    samples_us: list[int] = Field(description="the raw latency sample in µs (at most 10,000, drawn at random), "
                                              "for a later run's --baseline")
    statements: Statements | None = Field(default=None, description="from pg_stat_statements, where it is there")
    probe_us: list[int] = Field(default=[], description="closed loop: the reference statement's latencies in µs, "
                                "timed by the first client alone just before and after the run: how fast the "
                                "machine was then")


class Plan(Model):
    """The plan of a query as one identity, with the representative (first drawn) parameters."""

    identity: str
    fingerprint: str = Field(description="hash of node types, relations and indexes; no costs or row counts")
    shape: str = Field(description="the same, readable: Limit > Index Scan on public.projects using ...")
    flags: list[str] = []
    analyzed: bool = Field(description="EXPLAIN (ANALYZE, BUFFERS) ran: the query is slow or flagged")
    execution_ms: float | None = None
    plan: Any = Field(default=None, description="EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output when analyzed")


class QueryResult(Model):
    name: str
    file: str
    description: str = ""
    sql_checksum: str
    params: dict[str, str] = Field(description="where each parameter's values come from")
    runs: list[Run] = []
    rls_ratio: float | None = Field(default=None, description="p95 as authenticated / p95 as service_role")
    rls_flagged: bool = Field(default=False, description=f"rls_ratio above {RLS_FLAG_RATIO:g}")
    rls_difference: list[str] = Field(default=[], description="when flagged: what the authenticated plan has that "
                                      "the service_role plan has not (nodes, InitPlans, SubPlans, functions in "
                                      "filters)")
    plans: list[Plan] = []
    error: str | None = None

    def run(self, identity: str) -> Run | None:
        return next((r for r in self.runs if r.identity == identity), None)

    def plan(self, identity: str) -> Plan | None:
        return next((p for p in self.plans if p.identity == identity), None)


class QueryMetric(Model):
    """A slow query, as BackendMetrics' ``slowQueries`` lists them."""

    query: str = Field(description="the workload query's name")
    duration: float = Field(description="p95 in ms")
    identity: str
    calls: int
    rows: float
    file: str
    flags: list[str] = []
    fingerprint: str | None = None


class ConnectionPool(Model):
    """The busiest moment of the run: connections executing, connections open and idle, requests waiting."""

    active: int
    idle: int
    waiting: int


class DatabaseMetrics(Model):
    queryTime: list[float] = Field(description="per query (in `queries` order): p95 in ms as authenticated")
    connectionPool: ConnectionPool
    slowQueries: list[QueryMetric] = []


class Endpoint(Model):
    """A query as an API endpoint, as one identity: the ``api`` figures of BackendMetrics, per endpoint."""

    query: str
    identity: str
    requests: int
    p50: float | None = Field(description="ms; None when no request succeeded")
    p95: float | None
    p99: float | None
    errorRate: float = Field(description="failed requests / requests sent (a run stops at its first failure)")
    throughput: float = Field(description="requests per second")


class ApiMetrics(Model):
    """BackendMetrics' ``api``: the queries as the API's endpoints (database time, no HTTP)."""

    responseTime: list[float] = Field(description="per query (in `queries` order): p95 in ms as authenticated")
    errorRate: float = Field(description="failed requests / requests sent, over every endpoint")
    throughput: float = Field(description="requests per second over every endpoint's measured time")
    endpoints: list[Endpoint] = []


class DataInfo(Model):
    where: Literal["sandbox", "target"]
    template: str | None = Field(default=None, description="the sandbox template holding the data")
    reused: bool = Field(default=False, description="the template existed: cloned, not generated")
    generated_s: float | None = None
    scale: float | None = None
    seed: int
    profile: str | None = Field(default=None, description="the data profile file, when there is one")
    rows: dict[str, int] = Field(default_factory=dict, description="rows per table (estimated by ANALYZE)")


class BenchSettings(Model):
    clients: int
    mode: Literal["closed", "open"]
    iterations: int | None = None
    duration_s: float | None = None
    rate: float | None = None
    warmup: int
    slow_ms: float
    threshold: float
    seed: int
    scale: float | None = None
    rounds: int = Field(default=1, description="the workload measured this many times over, each query and "
                        "identity keeping its round with the lowest p95")


class Problem(Model):
    """A query that could not run, or a file that could not be used: ``where`` is file:line."""

    where: str
    message: str


class Verdict(Model):
    query: str
    identity: str
    verdict: Literal["ok", "slower", "faster", "plan changed", "new"]
    baseline_p95: float | None = None
    p95: float | None = None
    ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    machine: float | None = Field(default=None, description="the reference statement's median now over the "
                                  "baseline's, at least 1: the samples were divided by it before the test")
    plan_before: str | None = None
    plan_after: str | None = None
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.verdict in ("slower", "plan changed")


class Comparison(Model):
    baseline: str = Field(description="the baseline file")
    threshold: float = Field(description="a p95 slower by more than this fraction fails (beyond the interval)")
    min_delta_ms: float = Field(description="... and by more than this many ms")
    confidence: float
    verdicts: list[Verdict] = []
    notes: list[str] = []

    @property
    def regressions(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.failed]


class BenchReport(Model):
    version: int = REPORT_VERSION
    tool: str = "pgmanager bench"
    target: str = Field(description="sandbox provider or the redacted target DSN")
    ok: bool
    settings: BenchSettings
    data: DataInfo
    api: ApiMetrics | None = None
    database: DatabaseMetrics
    queries: list[QueryResult] = []
    notes: list[str] = []
    problems: list[Problem] = []
    comparison: Comparison | None = None
    timings_ms: dict[str, float] = {}

    def query(self, name: str) -> QueryResult | None:
        return next((q for q in self.queries if q.name == name), None)
