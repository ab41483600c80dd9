"""api.analyze: per file the objects and locks, and the project's dependency graph, without a database."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from ..analyze.graph import dependency_graph
from ..analyze.migration import analyze_document
from ..config import Settings
from ..models import AnalyzeReport, Finding, SqlFile
from ..parse import parse_file
from ..project import Project
from ..schema import SchemaModel, applied_files, build_model, select_files


def _targets(project: Project, paths: Iterable[Path] | None) -> tuple[list[SqlFile], list[Finding]]:
    """The files to analyze: migrations and repeatables by default; with ``paths``, the files the linter
    would pick there (the project's, and any other .sql file as a new migration)."""
    if paths is None:
        return [*project.migrations, *project.repeatables], []
    return select_files(project, paths)


def analyze(settings: Settings, project: Project, paths: Iterable[Path] | None = None) -> AnalyzeReport:
    """Analyze each migration (and policy and view file), or the files under ``paths``.

    Per file: objects created, altered and dropped; per statement its locks, rewrites and scans and
    whether it runs in a transaction. The dependency graph covers the whole project as its SQL leaves
    the database (files outside the project named in ``paths`` are applied after it)."""
    t0 = time.perf_counter()
    targets, problems = _targets(project, list(paths) if paths is not None else None)
    applied = applied_files(project, targets)
    docs = {f.path: parse_file(f) for f in [*applied, *targets]}
    t1 = time.perf_counter()

    # each file is judged as deployed on a database holding the earlier files' tables (with data)
    report_files = []
    findings = list(problems) + [p for p in project.problems if paths is None]
    wanted = {f.path for f in targets}
    before = SchemaModel()  # the schema each file meets: column types decide which type changes rewrite
    for f in [*applied, *(t for t in targets if t.path not in {a.path for a in applied})]:
        doc = docs[f.path]
        if f.path not in wanted:
            if doc.error is None:
                before.apply_document(doc)
            continue
        if doc.error is not None:
            findings.append(doc.error)
        report_files.append(analyze_document(doc, schema=before))
    t2 = time.perf_counter()

    ordered_docs = [docs[f.path] for f in applied if docs[f.path].error is None]
    model = build_model(ordered_docs)
    edges = dependency_graph(model, ordered_docs)
    t3 = time.perf_counter()
    return AnalyzeReport(
        files=report_files, edges=edges, statements=sum(len(s.statements) for s in report_files), findings=findings,
        timings_ms={"parse": round((t1 - t0) * 1000, 3), "files": round((t2 - t1) * 1000, 3),
                    "graph": round((t3 - t2) * 1000, 3), "total": round((t3 - t0) * 1000, 3)})
