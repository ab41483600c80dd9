"""Lint a case file as a one-migration project (after the repository's auth emulation)."""

from __future__ import annotations

import re
from pathlib import Path

from pgmanager.config import Settings
from pgmanager.lint import Linter, LintOutcome
from pgmanager.models import FileKind, Finding, SqlFile
from pgmanager.parse import SqlDocument, parse_file
from pgmanager.project import Project, checksum, read_sql_file

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
_KIND = re.compile(r"^--\s*kind:\s*(\w+)")
EXPECT = re.compile(r"--\s*expect:\s*([A-Za-z0-9_/\-]+)")


def case_file(text: str, name: str = "case.sql") -> SqlFile:
    m = _KIND.match(text)
    kind = FileKind(m.group(1)) if m else FileKind.MIGRATION
    folder = {FileKind.POLICY: "policies", FileKind.VIEW: "views"}.get(kind, "migrations")
    display = f"{folder}/20990101000000_{name}" if kind == FileKind.MIGRATION else f"{folder}/{name}"
    return SqlFile(path=(ROOT / "tests/lint/_virtual" / display), display=display, kind=kind, text=text,
                   checksum=checksum(text), version="20990101000000" if kind == FileKind.MIGRATION else None,
                   name=Path(name).stem)


def lint_text(text: str, *, rules: list[str] | None = None, fixes: bool = False,
              settings: Settings | None = None) -> tuple[LintOutcome, SqlFile]:
    """Lint ``text`` as the only file of a project whose auth emulation is the repository's."""
    settings = settings or Settings(root=ROOT)
    auth = read_sql_file(ROOT / "sql/supabase_auth.sql", ROOT, FileKind.AUTH_EMULATION)
    assert isinstance(auth, SqlFile)
    f = case_file(text)
    project = Project(settings=settings, auth_emulation=auth)
    if f.kind == FileKind.MIGRATION:
        project.migrations.append(f)
    elif f.kind.repeatable:
        project.repeatables.append(f)
    else:
        project.seed = f
    linter = Linter(settings, project, rules=rules, collect_fixes=fixes)
    outcome = linter.run()
    outcome.findings = [x for x in outcome.findings if x.file == f.display]
    return outcome, f


def statement_of(doc: SqlDocument, line: int) -> int:
    """Index of the statement holding ``line`` (or the first one after it)."""
    for s in doc.statements:
        if line <= s.end_line:
            return s.index
    return -1


def expected(doc: SqlDocument, rule: str) -> set[int]:
    return {s.index for s in doc.statements if rule in EXPECT.findall(s.leading)}


def reported(doc: SqlDocument, findings: list[Finding], rule: str) -> set[int]:
    return {statement_of(doc, f.line) for f in findings if f.rule == rule}


def parse_text(f: SqlFile) -> SqlDocument:
    return parse_file(f)
