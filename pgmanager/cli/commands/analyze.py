"""`pgmanager analyze [PATHS]`: per migration the objects, locks and transaction; the dependency graph."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ...api import analyzing
from ...models import AnalyzeReport, DependencyEdge, FileAnalysis, ObjectRef
from .._common import echo, emit_json, handle_errors, load, out, output_option, project_option


def _refs(label: str, refs: list[ObjectRef]) -> list[str]:
    return [f"  {label}: {', '.join(str(r) for r in refs)}"] if refs else []


def render_file(fa: FileAnalysis, statements: bool = True) -> list[str]:
    """One file as text: a header, its objects, its risk, then each statement with its locks."""
    if fa.error is not None:
        return [f"{fa.error.location}: {fa.error.message}"]
    mode = "in a transaction" if fa.transactional else f"outside a transaction ({fa.no_transaction_reason})"
    lines = [f"{fa.file}  [{fa.kind.value}, {mode}]  risk: {fa.risk}"]
    lines += _refs("created", fa.created) + _refs("altered", fa.altered) + _refs("dropped", fa.dropped)
    if fa.rewrites:
        lines.append(f"  rewrites: {', '.join(fa.rewrites)}")
    if fa.scans:
        lines.append(f"  scans: {', '.join(fa.scans)}")
    lines += [f"  ! {r}" for r in fa.risk_reasons]
    if statements:
        for s in fa.statements:
            lines.append(f"  {s.line}:{s.col}  {s.summary}")
            for lock in s.locks:
                if not lock.lock:
                    continue  # grants and the like: catalog only
                flags = "".join([" REWRITE" if lock.rewrites else "", " SCAN" if lock.scans else ""])
                lines.append(f"      {lock.lock:<23} {lock.table or '-'}{flags}  {lock.note}")
    return lines


def render_edges(edges: list[DependencyEdge]) -> list[str]:
    """The graph grouped by the dependent object."""
    lines = [f"dependencies ({len(edges)}):"]
    by_source: dict[str, list[DependencyEdge]] = {}
    for e in edges:
        by_source.setdefault(str(e.source), []).append(e)
    for source in sorted(by_source):
        lines.append(f"  {source}")
        for e in by_source[source]:
            where = f"  ({e.file}:{e.line})" if e.file else ""
            detail = f" {e.detail}" if e.detail else ""
            lines.append(f"    {e.kind} {e.target}{detail}{where}")
    return lines


def render_dot(edges: list[DependencyEdge]) -> str:
    """Graphviz: ``pgmanager analyze --format dot | dot -Tsvg > graph.svg``."""

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph pgmanager {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    for e in edges:
        lines.append(f"  {q(str(e.source))} -> {q(str(e.target))} [label={q(e.kind)}];")
    lines.append("}")
    return "\n".join(lines)


def touched(report: AnalyzeReport) -> set[str]:
    """Names of the objects the analyzed files create, alter, drop or lock."""
    names: set[str] = set()
    for fa in report.files:
        names |= {o.name for o in (*fa.created, *fa.altered, *fa.dropped)}
        names |= {lk.table for s in fa.statements for lk in s.locks if lk.table}
    return names


def render_text(report: AnalyzeReport, statements: bool = True, only_touched: bool = False) -> str:
    """The files, then the graph (with ``only_touched``: the edges of objects the files touch)."""
    lines: list[str] = []
    for fa in report.files:
        lines += render_file(fa, statements)
        lines.append("")
    shown = {fa.error for fa in report.files if fa.error is not None}
    lines += [f"{f.location}: {f.message}" for f in report.findings if f not in shown]
    edges = report.edges
    if only_touched:
        names = touched(report)
        edges = [e for e in edges if e.source.name in names or e.target.name in names]
    lines += render_edges(edges)
    if len(edges) < len(report.edges):
        lines.append(f"  ({len(report.edges) - len(edges)} more edges in the project: run without PATHS to see all)")
    return "\n".join(lines)


@click.command("analyze")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@project_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "dot"]), default="text", show_default=True,
              help="Output format (dot: the dependency graph for Graphviz).")
@click.option("--no-statements", is_flag=True, help="Text: per file only, without each statement's locks.")
@output_option
@handle_errors
def command(paths: tuple[Path, ...], project_dir: Path | None, fmt: str, no_statements: bool) -> None:
    """What each migration does, without a database: objects created, altered and dropped; per
    statement the lock it takes, on which table, whether it rewrites or scans it, and whether it runs
    in a transaction; then the dependency graph (views on tables, policies on tables and functions,
    foreign keys, triggers); with PATHS the text shows the edges of the objects those files touch.
    Exits 1 when a file cannot be read or parsed.
    """
    settings, project = load(project_dir)
    report = analyzing.analyze(settings, project, list(paths) or None)
    if fmt == "json":
        emit_json(report)
    elif fmt == "dot":
        echo(render_dot(report.edges))
    else:
        out.print(render_text(report, statements=not no_statements, only_touched=bool(paths)), markup=False,
                  soft_wrap=True)
    sys.exit(1 if report.findings else 0)
