"""`pgmanager plan`: what migrate would run, per statement its lock, table, rewrite, scan and transaction."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ...analyze import is_new_table_note
from ...analyze.risk import seconds_text, size_text
from ...api import migrating
from ...errors import ConfigError
from ...models import LockDetail, PlanReport, StepDetail
from .._common import (
    echo,
    emit_json,
    format_option,
    handle_errors,
    load,
    output_option,
    project_option,
    target_dsn,
    target_options,
)
from .._render import files_text


def _count(n: int) -> str:
    """Rows as people say them: 950, 12.3k, 200k, 1.2M, 3.4B."""
    for bound, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= bound:
            return f"{n / bound:.1f}".removesuffix(".0") + unit if n < 100 * bound else f"{n / bound:.0f}{unit}"
    return str(n)


def _live(lock: LockDetail) -> str:
    """plan --dsn: the table's rows and size on the target, the risk and the estimated rewrite or scan time."""
    if not (lock.lock and lock.table):
        return ""
    if lock.total_bytes is None:  # created earlier in the plan (risk none), or not on the target
        return "new in this plan  none" if lock.risk == "none" else f"not on the target  {lock.risk or '?'}"
    rows = "? rows" if lock.rows is None else f"{_count(lock.rows)} rows"
    estimate = f" ~{seconds_text(lock.estimate_s)}" if lock.estimate_s else ""
    return f"{rows}, {size_text(lock.total_bytes)}  {lock.risk}{estimate}"


def _what(lock: LockDetail) -> str:
    """The lock column: mode, table and REWRITE/SCAN flags."""
    flags = " ".join(f for f, on in (("REWRITE", lock.rewrites), ("SCAN", lock.scans)) if on)
    what = f"{lock.lock or 'no lock'} {lock.table or ''}".strip()
    return what + (" " + flags if flags else "")


def _widths(details: list[StepDetail], live: bool) -> tuple[int, int, int]:
    """Column widths over the whole plan (kind, lock, live size): long names widen a column, never shift it."""
    stmts = [st for d in details for st in d.statements]
    kind = max([22, *(len(st.kind.removesuffix("Stmt")) for st in stmts)])
    what = max([42, *(len(_what(lk)) for st in stmts for lk in st.locks)])
    size = max([36, *(len(_live(lk)) for st in stmts for lk in st.locks)]) if live else 0
    return kind, what, size


def _step_lines(d: StepDetail, live: bool = False, widths: tuple[int, int, int] = (22, 42, 36)) -> list[str]:
    s = d.step
    kind_w, what_w, size_w = widths
    tx = "one transaction" if s.transactional else f"no transaction ({s.no_transaction_reason})"
    growing = f"-{d.lock_timeout_max_ms}ms" if d.lock_timeout_max_ms > d.lock_timeout_ms else "ms"
    timeouts = (f"lock_timeout {d.lock_timeout_ms}{growing}, {d.lock_retries} retries "
                f"(lock waits at most {d.lock_wait_bound_s:g}s), statement_timeout ") + (
        f"{d.statement_timeout_ms}ms" if d.statement_timeout_ms else "off")
    risk = f"; risk {d.risk}" if d.risk else ""
    lines = [f"{s.file}  {s.kind.value} {s.action.value} ({s.reason}); {tx}; {timeouts}{risk}"]
    for st in d.statements:
        head = f"  {st.line:>4}  {st.kind.removesuffix('Stmt'):<{kind_w}}"
        column = f" {'':<{size_w}}" if live else ""
        if not st.locks:
            lines.append(f"{head} {'no table lock':<{what_w}}{column} {st.summary}")
        for i, lock in enumerate(st.locks):
            tail = st.summary if i == 0 else ""
            size = f" {_live(lock):<{size_w}}" if live else ""
            lines.append(f"{head if i == 0 else ' ' * len(head)} {_what(lock):<{what_w}}{size} {tail}".rstrip())
            # Notes that explain (they have a colon) or warn of a rewrite or scan; not "create policy x", and not
            # on a table new in this plan (nobody else can see it yet: no advice).
            if lock.lock and lock.note and (lock.rewrites or lock.scans or ":" in lock.note) \
                    and not lock.note.startswith("new ") and not is_new_table_note(lock.note):
                lines.append(f"{' ' * len(head)}   {lock.note}")
        if not st.transactional and s.transactional is False:
            lines.append(f"{' ' * len(head)}   runs outside a transaction")
    return lines


def print_plan(report: PlanReport) -> None:
    plan = report.plan
    echo(f"plan for {report.target}: {files_text([s.kind for s in plan.steps]) or 'no step'}")
    for d in plan.drift:
        echo(f"drift: {d.file}: changed since it was applied ({d.summary})")
    for key in plan.unknown_applied:
        echo(f"unknown: {key} is applied on the target but has no file here (newer schema)")
    for key in plan.out_of_order:
        echo(f"out of order: {key} is older than the newest applied migration")
    live = any(lk.risk is not None for d in report.details for st in d.statements for lk in st.locks)
    if live:
        echo("table sizes from the target" + (f"; rewrite rate {report.rate_note}" if report.rate_note else ""))
    widths = _widths(report.details, live)
    for detail in report.details:
        echo("")
        for line in _step_lines(detail, live, widths):
            echo(line)
    if not plan.steps:
        echo("nothing to do")


@click.command("plan")
@project_option
@target_options
@format_option()
@click.option("--sql", "as_sql", is_flag=True, help="Print the exact SQL migrate would run (with bookkeeping).")
@click.option("--offline", is_flag=True, help="Plan against an empty database, without connecting.")
@click.option("--to", "to", default=None, metavar="VERSION", help="Stop after this migration.")
@click.option("--allow-out-of-order", is_flag=True, help="Include pending migrations older than the newest applied.")
@output_option
@handle_errors
def command(project_dir: Path | None, dsn: str | None, target: str | None, fmt: str, as_sql: bool, offline: bool,
            to: str | None, allow_out_of_order: bool) -> None:
    """Show what migrate would do: pending migrations, changed repeatables, drift, and per statement the
    lock it takes and on which table, whether it rewrites or scans the table, and whether it runs in a
    transaction. With a target, also each table's rows and size there and the risk of the lock (with the
    estimated time of a rewrite or scan). Without a target (or with --offline) it plans against an empty
    database.

    Exit 1 when migrate would refuse (drift, a newer schema, out-of-order migrations without the flag)."""
    settings, project = load(project_dir)
    url: str | None = None
    if not offline:
        try:
            url = target_dsn(settings, dsn, target)
        except ConfigError:
            if dsn or target:
                raise
    report = migrating.plan(settings, project, url, to=to, allow_out_of_order=allow_out_of_order, with_sql=as_sql)
    if as_sql and fmt == "text":
        echo(report.sql or "", nl=False)
    elif fmt == "json":
        emit_json(report)
    else:
        print_plan(report)
    p = report.plan
    sys.exit(1 if p.blocked or (p.out_of_order and not allow_out_of_order) else 0)
