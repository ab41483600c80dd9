"""`pgmanager advise`: recommend indexes for the workload under a budget, costed with hypopg, proven on a clone."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import click

from ...api.advising import TOP, WHAT_IF, advise
from ...errors import ConfigError
from ...models import AdviseReport
from .._common import emit_json, err, format_option, handle_errors, load, out, progress, project_option, sandbox_options


def _mb(n: int | None) -> str:
    return "?" if n is None else f"{n / 1024 / 1024:.2f} MB"


def print_text(report: AdviseReport) -> None:
    say = out.print
    scale = f", scale {report.scale:g}" if report.scale is not None else ""
    say(f"{report.target}{scale}: {report.statements} statement(s), {report.candidates} candidate(s) "
        f"({report.candidates_covered} covered by existing indexes), {report.explains} EXPLAINs, {report.method}",
        markup=False)
    for note in report.notes:
        say(f"note: {note}", markup=False)
    budget = f" (budget {report.budget_mb:g} MB)" if report.budget_mb is not None else ""
    say(f"workload cost {report.cost_before:,.0f} -> {report.cost_after:,.0f} ({report.relative_cost:.1%}), "
        f"{_mb(report.storage_bytes)}{budget}", markup=False)
    if not report.recommendations:
        say("no index recommended: none makes a statement at least 10% cheaper", markup=False)
    for r in report.recommendations:
        real = f", real {_mb(r.real_bytes)}" if r.real_bytes is not None else ""
        say(f"  {r.definition};", markup=False)
        say(f"    estimated {_mb(r.estimated_bytes)}{real}; used by {', '.join(r.used_by)}; rule {r.origin}"
            + (f"; writes charged {r.write_cost:,.0f}" if r.write_cost else ""), markup=False)
    say("query                          cost before   cost after  params", markup=False)
    for q in report.queries:
        say(f"  {q.name:<28} {q.cost_before:>11,.1f} {q.cost_after:>12,.1f}  {q.params}", markup=False)
    p = report.proof
    if p is not None:
        if not p.proved:
            say(f"proof: none ({p.reason})", markup=False)
        else:
            say(f"proof on {p.where}: {p.requests} requests per query before and after, built in {p.build_ms:.0f} ms",
                markup=False)
            for pq in p.queries:
                if pq.skipped:
                    say(f"  {pq.name:<28} skipped: {pq.skipped}", markup=False)
                else:
                    flag = "  SLOWER" if pq.slower else ""
                    say(f"  {pq.name:<28} p95 {pq.p95_before_ms or 0:.3f} ms -> {pq.p95_after_ms or 0:.3f} ms{flag}",
                        markup=False)
            if p.unused:
                say(f"  built but used by no EXPLAIN ANALYZE: {', '.join(p.unused)}", markup=False)
    for e in report.existing:
        say(f"existing {e.kind}: {e.table} {e.name} ({_mb(e.size_bytes)}): {e.detail}", markup=False)
    if report.migration:
        say(f"wrote {report.migration}", markup=False)


def _params(values: tuple[str, ...]) -> dict[str, str]:
    out_: dict[str, str] = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep or not name:
            raise ConfigError(f"expected NAME=VALUE, got {v!r}", where="--param")
        out_[name] = value
    return out_


@click.command("advise")
@project_option
@sandbox_options
@format_option()
@click.option("--query", default=None, help="One statement to advise on (psycopg %(name)s or $1 placeholders).")
@click.option("--query-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="One statement from a file (with or without the workload's -- param: headers).")
@click.option("--param", "params", multiple=True, help="NAME=VALUE for --query (repeatable); without: a generic plan.")
@click.option("--workload", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of query files (default: the project's sql/queries).")
@click.option("--budget-mb", type=float, default=None, help="Storage budget for the new indexes (default: none).")
@click.option("--scale", type=float, default=None, help="Bench data scale in the sandbox (default 0.05).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the data and of the parameters drawn.")
@click.option("--samples", type=int, default=3, show_default=True,
              help="Parameter sets drawn from the data per statement (each one EXPLAINed).")
@click.option("--generic", is_flag=True, help="Cost every statement with a generic plan instead of sampled values.")
@click.option("--drop-secondary", "drop", is_flag=True,
              help="Sandbox: drop the indexes that back no constraint first, and advise from there.")
@click.option("--what-if", "what_if", type=click.Choice(WHAT_IF), default="auto", show_default=True,
              help="hypopg, real indexes on the clone, or hypopg when available.")
@click.option("--no-proof", is_flag=True, help="Skip building the indexes on a clone and benchmarking them.")
@click.option("--proof-iterations", type=int, default=50, show_default=True,
              help="Requests per query before and after, in the proof.")
@click.option("--dsn", default=None, help="Advise on a live database (writes nothing there).")
@click.option("--from-stat-statements", "from_stat_statements", is_flag=True,
              help="With --dsn: the workload is the database's busiest pg_stat_statements entries (calls x mean).")
@click.option("--top", type=int, default=TOP, show_default=True,
              help="How many statements --from-stat-statements takes.")
@click.option("--write-migration", "migration", is_flag=True,
              help="Write the recommended indexes as a migration into the migrations folder.")
@click.option("--migration-name", default="advise_indexes", show_default=True, help="The migration's name.")
@handle_errors
def command(project_dir: Path | None, sandbox: str | None, sandbox_dsn: str | None, keep: bool, fmt: str,
            query: str | None, query_file: Path | None, params: tuple[str, ...], workload: Path | None,
            budget_mb: float | None, scale: float | None, seed: int, samples: int, generic: bool, drop: bool,
            what_if: str, no_proof: bool, proof_iterations: int, dsn: str | None, from_stat_statements: bool,
            top: int, migration: bool, migration_name: str) -> None:
    """Recommend indexes for the workload (sql/queries, or one --query) across all its statements under
    --budget-mb: candidates from each query's AST, costed with hypothetical indexes (hypopg), chosen
    greedily by cost saved per byte, then built for real on a sandbox clone and benchmarked before and
    after. Exit 1 when the proof finds a query slower."""
    if from_stat_statements and workload is not None:
        raise ConfigError("the workload comes from pg_stat_statements: no --workload", where="--from-stat-statements")
    overrides = {"queries": str(workload.resolve())} if workload is not None else {}
    settings, project = load(project_dir, **overrides)
    with progress("advise") as bar:
        def on_progress(label: str, index: int, total: int) -> None:
            if bar is not None:
                bar(SimpleNamespace(file=label), index, total)

        report = advise(settings, project, query=query, query_file=query_file, params=_params(params),
                        budget_mb=budget_mb, scale=scale, seed=seed, samples=samples, generic=generic, drop=drop,
                        proof=not no_proof, proof_iterations=proof_iterations, dsn=dsn, what_if=what_if,
                        migration=migration, migration_name=migration_name, sandbox=sandbox,
                        sandbox_dsn=sandbox_dsn, keep=keep, on_progress=on_progress,
                        from_stat_statements=from_stat_statements, top=top)
    if fmt == "json":
        emit_json(report)
    else:
        print_text(report)
    if report.proof is not None and report.proof.slower:
        err.print(f"error: slower after the indexes: {', '.join(report.proof.slower)}", markup=False)
    sys.exit(0 if report.ok else 1)
