"""Ignore comments: ``-- pgmanager-ignore <rule>[, <rule>][: reason]`` before a statement and
``-- pgmanager-ignore-file <rule>[, <rule>][: reason]`` anywhere in a file.

An ignore that suppresses nothing is itself reported (rule ``unused-ignore``), so stale ignores
do not pile up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..models import Finding, Severity
from ..parse import SqlDocument
from ._base import registry

UNUSED_IGNORE = "unused-ignore"
_IGNORE = re.compile(
    r"--\s*pgmanager-ignore(?P<file>-file)?\s+(?P<rules>[A-Za-z0-9_/\-]+(?:\s*,\s*[A-Za-z0-9_/\-]+)*)"
    r"\s*(?::\s*(?P<reason>.*))?$",
    re.MULTILINE,
)


@dataclass
class Ignore:
    rules: tuple[str, ...]
    line: int
    col: int
    first_line: int
    """First and last line the ignore covers (the whole file for -file ignores)."""
    last_line: int
    whole_file: bool
    used: set[str] = field(default_factory=set)


def ignores_of(doc: SqlDocument) -> list[Ignore]:
    """Every ignore comment of a parsed file, with the lines it covers."""
    out: list[Ignore] = []
    text = doc.file.text
    for m in _IGNORE.finditer(text):
        if not m.group("file"):
            continue
        line, col = doc.position(m.start())
        rules = tuple(r.strip() for r in m.group("rules").split(","))
        out.append(Ignore(rules, line, col, 1, 1 << 30, True))
    for stmt in doc.statements:
        if "pgmanager-ignore" not in stmt.leading:
            continue
        base = stmt.start - len(stmt.leading)
        for m in _IGNORE.finditer(stmt.leading):
            if m.group("file"):
                continue
            line, col = doc.position(base + m.start())
            rules = tuple(r.strip() for r in m.group("rules").split(","))
            out.append(Ignore(rules, line, col, stmt.line, stmt.end_line, False))
    return out


def apply_ignores(findings: list[Finding], ignores: list[Ignore], active: set[str], file: str) -> list[Finding]:
    """Drop findings an ignore covers; report ignores that cover nothing among the rules that ran.

    ``active`` names the rules that ran on the file ("style" stands for every sqlfluff rule)."""
    kept: list[Finding] = []
    for f in findings:
        hit = next((ig for ig in ignores if f.rule in ig.rules and ig.first_line <= f.line <= ig.last_line), None)
        if hit is None:
            kept.append(f)
        else:
            hit.used.add(f.rule)
    if UNUSED_IGNORE not in active:
        return kept
    for ig in ignores:
        for rule in ig.rules:
            if rule in ig.used:
                continue
            if rule in active or (rule.startswith("style/") and "style" in active):
                why = "suppresses nothing here" if not ig.whole_file else "suppresses nothing in this file"
            elif rule.startswith("style/") or rule == UNUSED_IGNORE:
                continue  # the style engine did not run (or the rule is deselected): cannot tell
            elif rule in _known():
                continue  # deselected by configuration
            else:
                why = "names an unknown rule"
            kept.append(Finding(rule=UNUSED_IGNORE, severity=Severity.WARNING, file=file, line=ig.line,
                                col=ig.col, message=f"ignore of {rule!r} {why}",
                                help="remove the ignore comment (or fix the rule name)"))
    return kept


def _known() -> set[str]:
    return set(registry())
