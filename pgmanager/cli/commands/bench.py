"""`pgmanager bench`: time the workload queries through RLS and as service_role on realistic data."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import click

from ...api.benching import bench
from ...bench import CONFIRMATIONS, MIN_DELTA_MS, THRESHOLD, BenchReport, html_report, text_table
from ...errors import EXIT_USAGE
from ...redaction import redact
from .._common import (
    echo,
    emit_json,
    err,
    format_option,
    handle_errors,
    load,
    out,
    output_option,
    progress,
    project_option,
    sandbox_options,
)


def print_text(report: BenchReport) -> None:
    say = out.print
    data = report.data
    origin = ("cloned from template " + (data.template or "") if data.reused else
              f"generated in {data.generated_s:.1f} s" if data.generated_s is not None else "the target's own data")
    scale = f"scale {data.scale:g}, " if data.scale is not None else ""
    rows = ", ".join(f"{name} {count:,}" for name, count in data.rows.items())
    say(f"{report.target}: {scale}seed {data.seed}, {origin} ({rows})", markup=False)
    s = report.settings
    how = f"{s.rate:g} req/s open loop" if s.mode == "open" else "closed loop"
    amount = f"{s.iterations} requests" if s.iterations is not None else f"{s.duration_s:g} s"
    say(f"{s.clients} client(s), {how}, {amount} per query and identity after {s.warmup} warm-up request(s)",
        markup=False)
    say(text_table(report), markup=False)
    pool = report.database.connectionPool
    say(f"connections at the busiest moment: {pool.active} active, {pool.idle} idle, {pool.waiting} waiting",
        markup=False)
    if report.comparison is not None:
        c = report.comparison
        for note in c.notes:
            say(f"note: {note}", markup=False)
        for v in c.verdicts:
            if v.verdict != "ok":
                say(f"{v.verdict}: {v.query} as {v.identity}: {v.detail}", markup=False)
        regressions = len(c.regressions)
        say(f"baseline {c.baseline}: {regressions} regression(s) in {len(c.verdicts)} comparison(s) "
            f"(threshold {c.threshold:.0%} and {c.min_delta_ms:g} ms, {c.confidence:.0%} bootstrap interval)",
            markup=False)


def _can_write(path: Path, option: str) -> None:
    """Fail before the run (exit 2, one line naming the path) when ``path`` cannot be written: a run takes
    minutes, and its report would be lost at the end. Opened for append, and removed if it was new."""
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
        if not existed:
            path.unlink()
    except OSError as exc:
        err.print(f"error: {option}: cannot write {path}: {exc.strerror or exc}", markup=False)
        sys.exit(EXIT_USAGE)


def _write(path: Path, text: str, option: str) -> None:
    try:
        path.write_text(redact(text), encoding="utf-8")
    except OSError as exc:
        err.print(f"error: {option}: cannot write {path}: {exc.strerror}", markup=False)
        sys.exit(EXIT_USAGE)


@click.command("bench")
@project_option
@sandbox_options
@format_option("text", "json", "html")
@click.option("--scale", type=float, default=None,
              help="Data scale: 1 is 10k users, 50k projects, 200k files, 2M usage events (default 1 in a sandbox; "
                   "with --dsn it needs --allow-write).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the data and of the parameters drawn.")
@click.option("--clients", type=click.IntRange(1, 512), default=1, show_default=True,
              help="Concurrent clients, one connection each.")
@click.option("--duration", "duration_s", type=float, default=None,
              help="Seconds per query and identity (default 5 unless --iterations).")
@click.option("--iterations", type=click.IntRange(1), default=None, help="Requests per query and identity.")
@click.option("--rate", type=float, default=None,
              help="Open loop: requests per second in all, latency measured from each request's scheduled start.")
@click.option("--warmup", type=click.IntRange(0), default=5, show_default=True,
              help="Untimed requests per client before each measurement.")
@click.option("--query", "queries", multiple=True, help="Only this query (repeatable).")
@click.option("--dsn", default=None, help="Bench a real target's own data, read-only.")
@click.option("--allow-write", is_flag=True, help="With --dsn and --scale: generate data into the target first.")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Compare with a saved run; exit 1 on a regression.")
@click.option("--threshold", type=float, default=THRESHOLD, show_default=True,
              help="Regression threshold on p95 (0.2: 20% slower beyond the bootstrap interval).")
@click.option("--min-delta-ms", type=float, default=MIN_DELTA_MS, show_default=True,
              help="... and slower by more than this many ms, once the machine's own slowdown is discounted.")
@click.option("--confirm", type=click.IntRange(0), default=CONFIRMATIONS, show_default=True,
              help="With --baseline: a query slower than the baseline is measured again this many times, and "
                   "fails only if slower every time.")
@click.option("--rounds", type=click.IntRange(1), default=1, show_default=True,
              help="Measure the workload this many times over; each query and identity keeps its round with the "
                   "lowest p95 (for a baseline to --save: the machine's quiet pace).")
@click.option("--slow-ms", type=float, default=100.0, show_default=True,
              help="A p95 above this is a slow query (listed, and EXPLAIN ANALYZEd).")
@click.option("--save", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the JSON report (with raw samples) here, for a later --baseline.")
@click.option("--html", "html", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the HTML report (latency charts, works offline) here.")
@output_option
@handle_errors
def command(project_dir: Path | None, sandbox: str | None, sandbox_dsn: str | None, keep: bool, fmt: str,
            scale: float | None, seed: int, clients: int, duration_s: float | None, iterations: int | None,
            rate: float | None, warmup: int, queries: tuple[str, ...], dsn: str | None, allow_write: bool,
            baseline: Path | None, threshold: float, min_delta_ms: float, confirm: int, rounds: int, slow_ms: float,
            save: Path | None, html: Path | None) -> None:
    """Benchmark every query of sql/queries/*.sql as an authenticated user through RLS and as service_role,
    on generated data in a sandbox (or a target's own data with --dsn). Reports exact p50/p95/p99/p99.9,
    throughput, the RLS overhead (flagged above 2x) and plan flags. Exit 1 when a query cannot run or
    --baseline finds a regression."""
    output = click.get_current_context().params.get("output")
    for option, path in (("--save", save), ("--html", html), ("-o/--output", output)):
        if path is not None:
            _can_write(path, option)
    settings, project = load(project_dir)
    with progress("bench") as bar:
        def on_progress(label: str, index: int, total: int) -> None:
            if bar is not None:
                bar(SimpleNamespace(file=label), index, total)

        report = bench(settings, project, scale=scale, seed=seed, clients=clients, duration_s=duration_s,
                       iterations=iterations, rate=rate, warmup=warmup, queries=queries, dsn=dsn,
                       allow_write=allow_write, baseline=baseline, threshold=threshold,
                       min_delta_ms=min_delta_ms, slow_ms=slow_ms, confirm=confirm, rounds=rounds,
                       sandbox=sandbox, sandbox_dsn=sandbox_dsn, keep=keep, on_progress=on_progress)
    if save is not None:
        _write(save, report.model_dump_json(indent=2) + "\n", "--save")
    if html is not None:
        _write(html, html_report(report), "--html")
    if fmt == "json":
        emit_json(report)
    elif fmt == "html":
        echo(html_report(report), nl=False)
    else:
        print_text(report)
    for problem in report.problems:
        err.print(f"error: {problem.where}: {problem.message}", markup=False)
    sys.exit(0 if report.ok else 1)
