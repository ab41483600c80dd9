"""The documentation an optimize-query task hands over: what advise chose, why, its proof, and the
performance measured after the change, as markdown a reviewer reads beside the migration."""

from __future__ import annotations

from ..bench import AUTHENTICATED, BenchReport
from ..models import AdviseReport, BackendTaskMessage, Performance


def _mb(n: int | None) -> str:
    return "?" if n is None else f"{n / 1024 / 1024:.2f} MB"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def markdown(message: BackendTaskMessage, report: AdviseReport, bench: BenchReport | None,
             perf: Performance | None) -> str:
    lines = [f"# Task {message.task_id}: optimize-query", "",
             f"Advised on {report.target} ({report.method}): {report.statements} statement(s), "
             f"{report.candidates} candidate index(es), {report.explains} EXPLAINs. Workload cost "
             f"{report.cost_before:,.0f} -> {report.cost_after:,.0f} ({report.relative_cost:.1%}), "
             f"{_mb(report.storage_bytes)} of new indexes"
             + (f" (budget {report.budget_mb:g} MB)." if report.budget_mb is not None else "."), ""]
    lines += [f"- note: {n}" for n in report.notes]
    lines += ["## Indexes", ""]
    if not report.recommendations:
        lines.append("None: no index makes a statement at least 10% cheaper.")
    for r in report.recommendations:
        lines += [f"- `{r.definition}`", f"  - estimated {_mb(r.estimated_bytes)}, built {_mb(r.real_bytes)}; "
                  f"used by {', '.join(r.used_by)}; rule {r.origin}"]
    if report.migration:
        lines += ["", f"Migration: `{report.migration}` (CREATE INDEX CONCURRENTLY, run statement by statement)."]
    lines += ["", "## Statements (planner cost)", "", "| statement | before | after | params |", "|---|---:|---:|---|"]
    lines += [f"| {q.name} | {q.cost_before:,.1f} | {q.cost_after:,.1f} | {q.params} |" for q in report.queries]
    proof = report.proof
    if proof is not None:
        lines += ["", "## Proof", ""]
        if not proof.proved:
            lines.append(f"None: {proof.reason}")
        else:
            lines += [f"Built for real on {proof.where} in {proof.build_ms:.0f} ms; {proof.requests} requests per "
                      "statement before and after.", "", "| statement | p95 before (ms) | p95 after (ms) | |",
                      "|---|---:|---:|---|"]
            lines += [f"| {q.name} | {_ms(q.p95_before_ms)} | {_ms(q.p95_after_ms)} | "
                      f"{q.skipped or ('SLOWER' if q.slower else '')} |" for q in proof.queries]
    if bench is not None:
        lines += ["", "## After the change (bench, as an authenticated user)", "",
                  "| statement | requests | mean (ms) | p95 (ms) | req/s |", "|---|---:|---:|---:|---:|"]
        for q in bench.queries:
            run = q.run(AUTHENTICATED)
            if run is not None:
                lines.append(f"| {q.name} | {run.requests} | {run.latency.mean:.3f} | {run.latency.p95:.3f} | "
                             f"{run.throughput_rps:,.0f} |")
            elif q.error:
                lines.append(f"| {q.name} | error: {q.error} | | | |")
        if perf is not None:
            lines += ["", f"Overall: mean {perf.average_response_time:.3f} ms, worst p95 {perf.p95_response_time:.3f} "
                      f"ms, {perf.throughput:,.1f} requests/s."]
        only = "".join(f" --query {q.name}" for q in bench.queries) if len(bench.queries) == 1 else ""
        scale = f" --scale {bench.settings.scale:g}" if bench.settings.scale is not None else ""
        lines += ["", f"Guard it: `pgmanager bench{scale} --seed {bench.settings.seed}{only} "
                  "--baseline <the baseline.json beside this file>`."]
    return "\n".join(lines) + "\n"
