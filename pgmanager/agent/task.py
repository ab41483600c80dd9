"""The JSON task protocol: a BackendTaskMessage in, a BackendResultMessage out, never an exception.

An ``optimize-query`` task runs advise on its QueryOptimizationRequest and writes the recommended indexes
as a migration; then, on the project's sandbox with that migration applied, a bench run over the
optimised statements gives the performance after the change, and is saved as the baseline that guards it
(`pgmanager bench --baseline`). A single statement is added to the workload folder so that the baseline
can run it again. Everything else (a malformed message, a task type we do not handle, a bad setting, a
failing database) is ``status: failed`` with one clear line per issue, and the exit code to give.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..api.advising import DEFAULT_SCALE, advise
from ..api.benching import bench
from ..api.inputs import load
from ..bench import AUTHENTICATED, BenchReport
from ..config import Settings, resolve_dsn
from ..errors import EXIT_CHECKS_FAILED, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, ConfigError, PgmError
from ..models import (
    AdviseReport,
    BackendResultMessage,
    BackendTaskMessage,
    Deliverables,
    Performance,
    QueryOptimizationRequest,
)
from ..redaction import redact
from .report import markdown

ProgressFn = Callable[[str, int, int], None]
HANDLED = "optimize-query"
OUTPUT_DIR = "agent"


@dataclass(frozen=True)
class Where:
    """Where a task runs: the project folder and the sandbox (as the CLI's options give them)."""

    project_dir: Path | None = None
    sandbox: str | None = None
    sandbox_dsn: str | None = None
    keep: bool = False


class TaskFailed(Exception):
    def __init__(self, issue: str, code: int) -> None:
        super().__init__(issue)
        self.issue, self.code = issue, code


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "the message"


def parse_message(raw: str) -> BackendTaskMessage:
    """The message, or TaskFailed naming the field at fault (camelCase, as the message spells it)."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise TaskFailed(f"the message is not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}",
                         EXIT_USAGE) from None
    try:
        return BackendTaskMessage.model_validate(data)
    except ValidationError as exc:
        issues = [f"{_location(e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise TaskFailed("malformed BackendTaskMessage: " + "; ".join(issues), EXIT_USAGE) from None


def _task_id(raw: str) -> str:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return ""
    value = data.get("taskId") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _slug(task_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", task_id.lower()).strip("-")[:60] or "task"


def resolve_target(settings: Settings, target: str, where: str) -> str | None:
    """``"sandbox"`` is None (the project's sandbox); a named target of [tool.pgmanager.targets] is its DSN;
    text that reads as a DSN (``postgresql://...``, ``host=...``) is itself; anything else is a ConfigError."""
    if target == "sandbox":
        return None
    if target in settings.targets:
        return resolve_dsn(settings, None, target)
    if "://" in target or "=" in target:
        return target
    known = ", ".join(sorted(settings.targets)) or "none configured"
    raise ConfigError(f"unknown target {target!r}: 'sandbox', a DSN, or a named target (known: {known})",
                      where=where)


def _query_file(settings: Settings, slug: str, request: QueryOptimizationRequest) -> Path:
    """The single statement as a workload file, so that bench (and its baseline) can run it again."""
    path = settings.path(settings.queries) / f"agent-{slug}.sql"
    header = [f"-- name: agent-{slug}", "-- description: optimised by pgmanager agent"]
    if request.params:
        header.append(f"-- params: {json.dumps(request.params)}")
    path.write_text("\n".join(header) + "\n" + (request.sql or "").strip().rstrip(";") + ";\n", encoding="utf-8")
    return path


def performance(report: BenchReport) -> Performance | None:
    """Over the runs as authenticated: mean weighted by requests, the worst p95, requests per second overall."""
    runs = [r for q in report.queries if (r := q.run(AUTHENTICATED))]
    requests = sum(r.requests for r in runs)
    wall = sum(r.wall_s for r in runs)
    if not requests or not wall:
        return None
    return Performance(average_response_time=round(sum(r.latency.mean * r.requests for r in runs) / requests, 3),
                       p95_response_time=round(max(r.latency.p95 for r in runs), 3),
                       throughput=round(requests / wall, 1))


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def optimize(message: BackendTaskMessage, where: Where,
             on_progress: ProgressFn | None = None) -> tuple[BackendResultMessage, int]:
    request = message.specifications.query
    if request is None:
        raise TaskFailed("specifications.query: required for an optimize-query task", EXIT_USAGE)
    overrides = {"queries": request.workload} if request.workload is not None else {}
    settings, project = load(where.project_dir, **overrides)
    dsn = resolve_target(settings, request.target, "specifications.query.target")
    box: dict[str, Any] = {"sandbox": where.sandbox, "sandbox_dsn": where.sandbox_dsn, "keep": where.keep}
    issues: list[str] = []
    try:
        report = advise(settings, project, query=request.sql, params=dict(request.params), budget_mb=request.budget_mb,
                        scale=request.scale if dsn is None else None, seed=request.seed, drop=request.drop_secondary,
                        proof_iterations=request.proof_iterations, dsn=dsn, migration=request.write_migration,
                        migration_name=request.migration_name, on_progress=on_progress, **box)
    except ConfigError as exc:
        if exc.where != "--write-migration":
            raise
        return BackendResultMessage(task_id=message.task_id, status="completed", deliverables=Deliverables(),
                                    issues=["no index recommended: none makes a statement at least 10% cheaper"]), 0
    slug = _slug(message.task_id)
    out = settings.root / OUTPUT_DIR / slug
    out.mkdir(parents=True, exist_ok=True)
    tests: list[str] = []
    perf: Performance | None = None
    bench_report: BenchReport | None = None
    if report.migration:
        names: tuple[str, ...] = ()
        if request.sql is not None:
            query_path = _query_file(settings, slug, request)
            tests.append(_relative(query_path, settings.root))
            names = (f"agent-{slug}",)
        settings, project = load(where.project_dir, **overrides)  # with the migration (and the query) written
        bench_report = bench(settings, project, scale=report.scale or DEFAULT_SCALE, seed=request.seed,
                             iterations=request.bench_iterations, queries=names, on_progress=on_progress, **box)
        baseline = out / "baseline.json"
        baseline.write_text(redact(bench_report.model_dump_json(indent=2)) + "\n", encoding="utf-8")
        tests.insert(0, _relative(baseline, settings.root))
        perf = performance(bench_report)
        issues += [f"bench: {q.name}: {q.error}" for q in bench_report.queries if q.error]
        issues += [f"bench: {p.where}: {p.message}" if p.where else f"bench: {p.message}"
                   for p in bench_report.problems]
    elif request.write_migration:
        issues.append("no migration written")
    issues += _advice_issues(report)
    doc = out / "report.md"
    doc.write_text(redact(markdown(message, report, bench_report, perf)), encoding="utf-8")
    deliverables = Deliverables(migrations=[report.migration] if report.migration else [], tests=tests,
                                documentation=[_relative(doc, settings.root)])
    ok = report.ok and (bench_report is None or bench_report.ok)
    return BackendResultMessage(task_id=message.task_id, status="completed" if ok else "failed",
                                deliverables=deliverables, performance=perf, issues=issues), \
        EXIT_OK if ok else EXIT_CHECKS_FAILED


def _advice_issues(report: AdviseReport) -> list[str]:
    out = []
    if report.proof is not None:
        if not report.proof.proved:
            out.append(f"not proven: {report.proof.reason}")
        if report.proof.slower:
            out.append(f"slower after the indexes: {', '.join(report.proof.slower)}")
        if report.proof.unused:
            out.append(f"built but used by no plan: {', '.join(report.proof.unused)}")
    return out


def run_task(raw: str, where: Where, on_progress: ProgressFn | None = None) -> tuple[BackendResultMessage, int]:
    """Handle one message; returns the result and the exit code (0 completed, 1 the change failed its
    proof or bench, 2 a malformed message or a bad setting, 3 a database error, 4 a bug of ours)."""
    task_id = _task_id(raw)
    try:
        message = parse_message(raw)
        if message.type != HANDLED:
            raise TaskFailed(f"type: task type {message.type!r} is not handled here (pgmanager agent handles "
                             f"{HANDLED!r})", EXIT_USAGE)
        return optimize(message, where, on_progress)
    except TaskFailed as exc:
        issue, code = exc.issue, exc.code
    except PgmError as exc:
        issue, code = str(exc), exc.exit_code
    except Exception as exc:  # a bug of ours: still a result, with one line
        issue, code = f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL
    return BackendResultMessage(task_id=task_id, status="failed", issues=[redact(issue)]), code
