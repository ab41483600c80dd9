"""Benchmark the API's queries through RLS at a realistic scale.

- ``_workload``: the named queries of ``<queries>/*.sql`` and where their parameters come from;
- ``_data``: a deterministic synthetic data generator (server-side, generic over the catalog);
- ``_sample``: each request's parameters and the user it runs as;
- ``_run``: identities, closed and open loops; ``_clients``: a process per client; ``_stats``: exact
  percentiles, the bootstrap; ``_statements``: pg_stat_statements figures;
- ``_explain``: plan fingerprints and flags; ``_report``: the report's figures and text;
- ``_compare``: the baseline gate; ``_html``: the report as one offline HTML page;
- ``_bench``: all of it on one database.

``pgmanager.api.benching.bench`` wires it to the project, its sandbox and its data template.
"""

from ._bench import Outcome, bench_workload
from ._compare import CONFIRMATIONS, MIN_DELTA_MS, THRESHOLD, Slowdown, compare, load_baseline, slowdown
from ._data import GENERATOR_VERSION, Generated, generate, table_rows
from ._html import html_report
from ._models import (
    AUTHENTICATED,
    IDENTITIES,
    SERVICE_ROLE,
    BenchReport,
    BenchSettings,
    Comparison,
    DataInfo,
    Problem,
    QueryResult,
    Run,
    Verdict,
)
from ._profile import PROFILE_NAME, DataProfile, load_profile
from ._report import api_metrics, database_metrics, text_table
from ._run import Load
from ._workload import Query, Workload, load_workload, parse_query

__all__ = [
    "AUTHENTICATED",
    "CONFIRMATIONS",
    "GENERATOR_VERSION",
    "IDENTITIES",
    "MIN_DELTA_MS",
    "PROFILE_NAME",
    "SERVICE_ROLE",
    "THRESHOLD",
    "BenchReport",
    "BenchSettings",
    "Comparison",
    "DataInfo",
    "DataProfile",
    "Generated",
    "Load",
    "Outcome",
    "Problem",
    "Query",
    "QueryResult",
    "Run",
    "Slowdown",
    "Verdict",
    "Workload",
    "api_metrics",
    "bench_workload",
    "compare",
    "database_metrics",
    "generate",
    "html_report",
    "load_baseline",
    "load_profile",
    "load_workload",
    "parse_query",
    "slowdown",
    "table_rows",
    "text_table",
]
