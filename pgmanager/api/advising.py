"""Index advice: the workload (or one query) on the project's sandbox with bench data, or on a live target.

In a sandbox: a clone of bench's data template (``scale``, ``seed``), where hypopg is created, or
real indexes are built one by one when the server has no hypopg; the proof runs on the same clone.
On a live target (``dsn``) nothing is written: hypopg's indexes live in this session (created inside
a transaction that is rolled back when the extension is missing), and the proof runs on a copy made
with ``CREATE DATABASE ... TEMPLATE`` when the server allows it, else the report says it did not prove.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ..advise import (
    Advice,
    Hypo,
    Real,
    WhatIf,
    advise_database,
    existing_findings,
    from_text,
    hypopg_status,
    query_advice,
    recommendations,
    summary,
    workload_queries,
)
from ..advise.existing import Existing, read_indexes
from ..advise.migration import not_in_project
from ..advise.migration import write as write_migration
from ..advise.proof import prove
from ..advise.stat_statements import TOP, top_statements
from ..bench import PROFILE_NAME, Generated, Query, load_profile
from ..catalog import read_catalog
from ..config import Settings
from ..db import connect, describe, error_line, parse_dsn, with_dbname
from ..errors import ConfigError, DatabaseError
from ..models import AdviseReport, ProofReport
from ..project import Project
from ..sandbox import open_sandbox
from .benching import data_migrator
from .inputs import require_clean

ProgressFn = Callable[[str, int, int], None]
DEFAULT_SCALE = 0.05
WHAT_IF = ("auto", "hypopg", "real")
def _queries(settings: Settings, query: str | None, query_file: Path | None, params: dict[str, Any]) -> list[Query]:
    if query is not None and query_file is not None:
        raise ConfigError("give --query or --query-file, not both", where="--query")
    if query is not None:
        return [from_text(query, "--query", params)]
    if query_file is not None:
        try:
            text = query_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {query_file}: {exc}", where="--query-file") from None
        return [from_text(text, str(query_file), params)]
    if params:
        raise ConfigError("--param needs --query or --query-file (workload files have -- params: headers)",
                          where="--param")
    return workload_queries(settings)


def drop_secondary(conn: psycopg.Connection, schemas: list[str]) -> list[Existing]:
    """Drop every index that backs no constraint (a sandbox clone only): advise as if there were none.
    Returns them: the project has them, so a written migration leaves out what they already are."""
    dropped = [ix for ix in read_indexes(conn, schemas) if not ix.constraint]
    for ix in dropped:
        conn.execute(sql.SQL("drop index {}").format(sql.Identifier(ix.schema, ix.name)))
    return dropped


def _whatif(conn: psycopg.Connection, what_if: str, writable: bool, notes: list[str]) -> WhatIf:
    if what_if == "real":
        notes.append("what-if with real indexes built one by one on the clone (--what-if real)")
        return Real(conn)
    problem = hypopg_status(conn) if writable else _hypopg_in_transaction(conn)
    if problem is None:
        return Hypo(conn)
    if what_if == "hypopg" or not writable:
        raise DatabaseError(f"hypopg is not available: {problem}", where="--what-if" if writable else "--dsn",
                            hint=None if writable else "advise writes nothing on a live target; install hypopg "
                                                       "there, or advise on the sandbox")
    notes.append(f"no hypopg ({problem}): real indexes were built one by one on the clone instead, which is slower")
    return Real(conn)


def _hypopg_in_transaction(conn: psycopg.Connection) -> str | None:
    """hypopg on a live target: used when installed, else created in a transaction rolled back at the end."""
    if conn.execute("select 1 from pg_catalog.pg_extension where extname = 'hypopg'").fetchone():
        return None
    conn.execute("begin")
    try:
        conn.execute("create extension hypopg")
    except psycopg.Error as exc:
        conn.execute("rollback")
        return f"cannot create extension hypopg: {error_line(exc)}"
    return None


def _check(budget_mb: float | None, samples: int, scale: float | None, what_if: str, dsn: str | None,
           drop: bool, iterations: int) -> None:
    if budget_mb is not None and not budget_mb > 0:
        raise ConfigError(f"must be more than 0, got {budget_mb:g}", where="--budget-mb")
    if samples < 1:
        raise ConfigError(f"must be at least 1, got {samples}", where="--samples")
    if iterations < 1:
        raise ConfigError(f"must be at least 1, got {iterations}", where="--proof-iterations")
    if scale is not None and not scale > 0:
        raise ConfigError(f"must be more than 0, got {scale:g}", where="--scale")
    if what_if not in WHAT_IF:
        raise ConfigError(f"unknown what-if method {what_if!r} (use {', '.join(WHAT_IF)})", where="--what-if")
    if dsn is not None and (scale is not None or drop):
        raise ConfigError("--scale and --drop-secondary are for the sandbox: advise writes nothing on --dsn",
                          where="--dsn")
    if dsn is not None and what_if == "real":
        raise ConfigError("--what-if real builds indexes: not on a live target (advise on the sandbox)", where="--dsn")


def _check_stat_statements(dsn: str | None, query: str | None, query_file: Path | None,
                           params: dict[str, Any] | None, top: int) -> None:
    if dsn is None:
        raise ConfigError("reads a live database's pg_stat_statements: give --dsn", where="--from-stat-statements")
    if query is not None or query_file is not None or params:
        raise ConfigError("the workload comes from pg_stat_statements: no --query, --query-file or --param",
                          where="--from-stat-statements")
    if top < 1:
        raise ConfigError(f"must be at least 1, got {top}", where="--top")


def advise(settings: Settings, project: Project, *, query: str | None = None, query_file: Path | None = None,
           params: dict[str, Any] | None = None, budget_mb: float | None = None, scale: float | None = None,
           seed: int = 1, samples: int = 3, generic: bool = False, drop: bool = False, proof: bool = True,
           proof_iterations: int = 50, dsn: str | None = None, what_if: str = "auto",
           migration: bool = False, migration_name: str = "advise_indexes", sandbox: str | None = None,
           sandbox_dsn: str | None = None, keep: bool = False, on_progress: ProgressFn | None = None,
           from_stat_statements: bool = False, top: int = TOP) -> AdviseReport:
    """Recommend indexes for the workload (or one query) under ``budget_mb``; prove them unless ``proof`` is off.

    ``from_stat_statements``: the workload is the ``top`` busiest statements of the live ``dsn``'s
    pg_stat_statements, weighted by calls x mean time, planned generically.

    Raises ConfigError for bad options and input (a query that does not parse, an unknown table),
    DatabaseError when the database fails or hypopg is required and missing."""
    _check(budget_mb, samples, scale, what_if, dsn, drop, proof_iterations)
    if from_stat_statements:
        _check_stat_statements(dsn, query, query_file, params, top)
    t0 = time.perf_counter()
    queries = [] if from_stat_statements else _queries(settings, query, query_file, params or {})
    weights: dict[str, float] | None = None
    budget = int(budget_mb * 1024 * 1024) if budget_mb is not None else None
    notes: list[str] = []
    timings: dict[str, float] = {}
    dropped: list[Existing] = []
    with ExitStack() as stack:
        if dsn is None:
            require_clean(project)
            scale = DEFAULT_SCALE if scale is None else scale
            profile = load_profile(settings.path(settings.queries) / PROFILE_NAME,
                                   f"{settings.queries.rstrip('/')}/{PROFILE_NAME}")
            built: list[Generated] = []
            box = stack.enter_context(open_sandbox(sandbox or settings.sandbox,
                                                   sandbox_dsn=sandbox_dsn or settings.sandbox_dsn, keep=keep))
            if on_progress:
                on_progress("bench data", 0, 1)
            template = box.template(data_migrator(settings, project, profile, scale=scale, seed=seed, built=built))
            timings["data"] = _ms(t0)
            clone = box.clone(template)
            stack.callback(box.drop, clone)
            target, work_dsn = f"sandbox {box.provider}", box.dsn(clone)
            conn = stack.enter_context(connect(work_dsn))
            if drop:
                dropped = drop_secondary(conn, list(settings.exposed_schemas))
                notes.append("secondary indexes dropped first (--drop-secondary): "
                             + (", ".join(f"{ix.schema}.{ix.name}" for ix in dropped) or "none"))
            whatif = _whatif(conn, what_if, True, notes)
        else:
            target = describe(dsn)
            conn = stack.enter_context(connect(dsn))
            if from_stat_statements:
                found = top_statements(conn, read_catalog(conn), top)
                queries, weights = found.queries, found.weights
                notes.append(f"the {len(queries)} busiest statement(s) of pg_stat_statements, weighted by calls x "
                             "mean time, planned generically")
                notes.extend(found.skipped)
            whatif = _whatif(conn, what_if, False, notes)
            stack.callback(_end_transaction, conn)
        t = time.perf_counter()
        advice = advise_database(conn, queries, whatif, budget_bytes=budget, samples=samples, seed=seed,
                                 generic=generic, on_progress=on_progress, weights=weights)
        timings["advise"] = _ms(t)
        recs = recommendations(advice, conn)
        parts = summary(advice)
        report_queries = query_advice(advice)
        existing = existing_findings(advice)
        advice.evaluator.close()
        written = None
        chosen, present = not_in_project(advice.names, dropped) if migration else ({}, [])
        notes.extend(present)
        if present and not chosen:
            notes.append("no migration written: the project already has every recommended index")
        elif migration:
            header = [f"Indexes recommended by pgmanager advise ({whatif.method}, {target}).",
                      "CREATE INDEX CONCURRENTLY cannot run in a transaction: pgmanager runs this file statement by",
                      "statement; a failed concurrent build leaves an INVALID index that the drop before it removes."]
            header += [f"{r.name}: used by {', '.join(r.used_by)}" for r in recs if r.name in chosen]
            path = write_migration(settings, chosen, conn, header, migration_name)
            written = str(path.relative_to(settings.root)) if path.is_relative_to(settings.root) else str(path)
        proof_report: ProofReport | None = None
        if proof and advice.names:
            t = time.perf_counter()
            if dsn is None:
                proof_report, sizes = prove(work_dsn, advice.statements, advice.names, where=f"sandbox clone {clone}",
                                            iterations=proof_iterations, seed=seed, on_progress=on_progress)
            else:
                _end_transaction(conn)
                conn.close()  # a database with other sessions cannot be a template
                proof_report, sizes = _prove_on_copy(dsn, advice, proof_iterations, seed, on_progress)
            recs = [r.model_copy(update={"real_bytes": sizes.get(r.name)}) for r in recs]
            timings["proof"] = _ms(t)
    timings["total"] = _ms(t0)
    ok = proof_report is None or not proof_report.slower
    return AdviseReport(ok=ok, target=target, method=whatif.method, notes=notes, budget_mb=budget_mb, scale=scale,
                        seed=seed, recommendations=recs, queries=report_queries, existing=existing, proof=proof_report,
                        migration=written, timings_ms=timings, **parts)


def _end_transaction(conn: psycopg.Connection) -> None:
    if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.execute("rollback")


def _prove_on_copy(dsn: str, advice: Advice, iterations: int, seed: int,
                   on_progress: ProgressFn | None) -> tuple[ProofReport, dict[str, int]]:
    source = str(parse_dsn(dsn).get("dbname") or "")
    copy = f"pgm_advise_{secrets.token_hex(4)}"
    admin = with_dbname(dsn, "postgres" if source != "postgres" else "template1")
    try:
        with connect(admin) as conn:
            conn.execute(sql.SQL("create database {} template {}").format(sql.Identifier(copy),
                                                                          sql.Identifier(source or "postgres")))
    except (psycopg.Error, DatabaseError) as exc:
        reason = error_line(exc) if isinstance(exc, psycopg.Error) else exc.message
        return ProofReport(proved=False, where="nothing", reason=f"did not prove: CREATE DATABASE ... TEMPLATE "
                                                                  f"failed ({reason})"), {}
    try:
        return prove(with_dbname(dsn, copy), advice.statements, advice.names, where=f"copy {copy} of the target",
                     iterations=iterations, seed=seed, on_progress=on_progress)
    finally:
        with connect(admin) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(copy)))


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)
