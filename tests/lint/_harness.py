"""Lint a case file as a one-migration project (after the repository's auth emulation)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from pgmanager.config import Settings
from pgmanager.layouts import load_project
from pgmanager.lint import Fix, Linter, LintOutcome, Rule
from pgmanager.lint._fix import apply_fixes
from pgmanager.models import FileKind, Finding, SqlFile
from pgmanager.parse import SqlDocument, parse_file
from pgmanager.project import Project, checksum

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
_KIND = re.compile(r"^--\s*kind:\s*(\w+)")
EXPECT = re.compile(r"--\s*expect:\s*([A-Za-z0-9_/\-]+)")
UNFIXABLE = re.compile(r"--\s*unfixable:\s*([A-Za-z0-9_/\-]+)")


def case_file(text: str, name: str = "case.sql") -> SqlFile:
    m = _KIND.match(text)
    kind = FileKind(m.group(1)) if m else FileKind.MIGRATION
    folder = {FileKind.POLICY: "policies", FileKind.VIEW: "views"}.get(kind, "migrations")
    display = f"{folder}/20990101000000_{name}" if kind == FileKind.MIGRATION else f"{folder}/{name}"
    return SqlFile(path=(ROOT / "tests/lint/_virtual" / display), display=display, kind=kind, text=text,
                   checksum=checksum(text), version="20990101000000" if kind == FileKind.MIGRATION else None,
                   name=Path(name).stem)


def _emulation_only(settings: Settings) -> Project:
    """The repository's project with only its auth emulation (however many files that is) left."""
    project = load_project(settings)
    project.migrations, project.repeatables, project.rollbacks = [], [], {}
    project.seed, project.problems = None, []
    return project


def before_text(case: str) -> str | None:
    """A case folder's ``before.sql``: the schema its files find, applied as an earlier migration."""
    path = CASES / case / "before.sql"
    return path.read_text() if path.is_file() else None


def lint_text(text: str, *, rules: list[str] | None = None, fixes: bool = False,
              settings: Settings | None = None, before: str | None = None) -> tuple[LintOutcome, SqlFile]:
    """Lint ``text`` as the only file of a project whose auth emulation is the repository's (after the
    migration ``before``, when given; only ``text``'s findings and fixes are kept)."""
    settings = settings or Settings(root=ROOT)
    f = case_file(text)
    project = _emulation_only(settings)
    if before is not None:
        earlier = case_file(before, "before.sql")
        project.migrations.append(earlier.model_copy(update={
            "display": earlier.display.replace("20990101000000", "20980101000000"), "version": "20980101000000",
            "path": earlier.path.with_name(earlier.path.name.replace("20990101000000", "20980101000000"))}))
    if f.kind == FileKind.MIGRATION:
        project.migrations.append(f)
    elif f.kind.repeatable:
        project.repeatables.append(f)
    else:
        project.seed = f
    linter = Linter(settings, project, rules=rules, collect_fixes=fixes)
    outcome = linter.run()
    outcome.findings = [x for x in outcome.findings if x.file == f.display]
    outcome.fixes = [(x, fx) for x, fx in outcome.fixes if x.file == f.display]
    return outcome, f


def statement_of(doc: SqlDocument, line: int) -> int:
    """Index of the statement holding ``line`` (or the first one after it)."""
    for s in doc.statements:
        if line <= s.end_line:
            return s.index
    return -1


def expected(doc: SqlDocument, rule: str) -> set[int]:
    return {s.index for s in doc.statements if rule in EXPECT.findall(s.leading)}


def unfixable(doc: SqlDocument, rule: str) -> set[int]:
    """Statements marked ``-- unfixable: <rule>``: the rule reports them but offers no fix."""
    return {s.index for s in doc.statements if rule in UNFIXABLE.findall(s.leading)}


def reported(doc: SqlDocument, findings: list[Finding], rule: str) -> set[int]:
    return {statement_of(doc, f.line) for f in findings if f.rule == rule}


def parse_text(f: SqlFile) -> SqlDocument:
    return parse_file(f)


def declares_fix(rule: type[Rule]) -> bool:
    """Whether a rule says it can fix: its ``fixable`` attribute when it has one (the Rule base has none
    today), else whether its module imports :class:`Fix`. (A rule whose err.sql yields a fix counts
    too: see test_rules.FIXING.)"""
    declared = getattr(rule, "fixable", None)
    if isinstance(declared, bool):
        return declared
    module = inspect.getmodule(rule)
    return module is not None and any(v is Fix for v in vars(module).values())


def fix_text(text: str, rule: str, before: str | None = None) -> tuple[str, LintOutcome, SqlFile]:
    """``text`` with every fix of ``rule`` applied in one pass (as one ``lint --fix`` pass writes it),
    with the outcome of linting ``text`` (fixes collected) and its case file."""
    outcome, f = lint_text(text, rules=[rule], fixes=True, before=before)
    return apply_fixes(text, [fx for x, fx in outcome.fixes if x.rule == rule]), outcome, f
