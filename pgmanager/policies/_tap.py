"""pgTAP files (supabase/tests/*.sql, as `supabase test db` runs them) and a TAP parser, no pg_prove needed.

Each file runs statement by statement on a fresh clone (pgTAP files manage their own transaction);
the text every statement returns is the TAP stream, parsed here into test points.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from ..db import error_line
from ..models import FileKind, SqlFile, TapResult
from ..parse import parse_file
from ..project import read_sql_file

_PLAN = re.compile(r"^1\.\.(?P<n>\d+)(?:\s*#\s*(?P<skip>skip\S*)\s*(?P<why>.*))?$", re.IGNORECASE)
_POINT = re.compile(r"^(?P<not>not )?ok\b\s*(?P<num>\d+)?\s*(?:-\s*)?(?P<desc>.*?)"
                    r"(?:\s+#\s*(?P<dir>SKIP|TODO)\S*\s*(?P<reason>.*))?$", re.IGNORECASE)
_BAIL = re.compile(r"^Bail out!\s*(?P<why>.*)$", re.IGNORECASE)


def parse_tap(text: str, file: str) -> list[TapResult]:
    """Test points of a TAP stream; a plan that was not met or a bail-out is a failing point too."""
    results: list[TapResult] = []
    planned: int | None = None
    skip_all: str | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        stripped = line.strip()
        if m := _PLAN.match(stripped):
            planned = int(m.group("n"))
            if m.group("skip"):
                skip_all = m.group("why") or "skipped"
            continue
        if m := _BAIL.match(stripped):
            results.append(TapResult(file=file, number=len(results) + 1, description="Bail out!", passed=False,
                                     diagnostics=m.group("why")))
            return results
        if m := _POINT.match(stripped):
            directive = m.group("dir").upper() if m.group("dir") else None
            desc = m.group("desc").strip()
            if directive and m.group("reason"):
                desc = f"{desc} ({directive} {m.group('reason').strip()})".strip()
            number = int(m.group("num")) if m.group("num") else len(results) + 1
            results.append(TapResult(file=file, number=number, description=desc or f"test {number}",
                                     passed=not m.group("not") or directive == "SKIP", directive=directive))
            continue
        if stripped.startswith("#") and results:
            last = results[-1]
            note = stripped.lstrip("#").strip()
            results[-1] = last.model_copy(update={"diagnostics": (last.diagnostics + "\n" + note).strip()})
    if skip_all is not None and not results:
        return [TapResult(file=file, number=0, description=f"skipped: {skip_all}", passed=True, directive="SKIP")]
    if planned is None and results:
        results.append(TapResult(file=file, number=len(results) + 1, description="no plan (select plan(n))",
                                 passed=False))
    elif planned is not None and len(results) != planned:
        results.append(TapResult(file=file, number=len(results) + 1, passed=False,
                                 description=f"planned {planned} test(s), ran {len(results)}"))
    return results


def pgtap_available(conn: psycopg.Connection) -> bool:
    return conn.execute("select 1 from pg_available_extensions where name = 'pgtap'").fetchone() is not None


def tap_files(root: Path, folder: str = "supabase/tests") -> list[SqlFile]:
    """The pgTAP files, read like every other SQL file of the project."""
    out = []
    for path in sorted((root / folder).glob("*.sql")) if (root / folder).is_dir() else []:
        got = read_sql_file(path, root, FileKind.OTHER)
        if isinstance(got, SqlFile):
            out.append(got)
    return out


def run_tap_file(conn: psycopg.Connection, file: SqlFile) -> list[TapResult]:
    """Run one pgTAP file on ``conn`` (autocommit, a fresh clone) and parse what it printed."""
    doc = parse_file(file)
    if doc.error is not None:
        return [TapResult(file=file.display, number=1, description="the file does not parse", passed=False,
                          diagnostics=f"{doc.error.location}: {doc.error.message}")]
    conn.execute("create extension if not exists pgtap")
    lines: list[str] = []
    for stmt in doc.statements:
        try:
            cur = conn.execute(stmt.text)
        except psycopg.Error as exc:
            lines.append(f"Bail out! {file.display}:{stmt.line}: {exc.sqlstate}: {error_line(exc)}")
            break
        while True:
            if cur.description:
                lines.extend(str(r[0]) for r in cur.fetchall() if r and r[0] is not None)
            if not cur.nextset():
                break
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        conn.rollback()
    results = parse_tap("\n".join(lines), file.display)
    return results or [TapResult(file=file.display, number=1, description="the file printed no TAP", passed=False)]
