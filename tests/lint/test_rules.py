"""Data-driven rule tests: every folder of tests/lint/cases expands into ok / err / fix tests."""

from __future__ import annotations

import pytest

from pgmanager.lint import registry
from pgmanager.lint._fix import apply_fixes

from ._harness import CASES, expected, lint_text, parse_text, reported

CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())
RULES = registry()


def test_every_rule_has_cases() -> None:
    missing = [name for name in RULES if name != "unused-ignore" and not (CASES / name / "err.sql").is_file()]
    assert missing == []


def test_every_case_folder_names_a_rule() -> None:
    assert [p.name for p in CASE_DIRS if p.name not in RULES] == []


@pytest.mark.parametrize("case", [p.name for p in CASE_DIRS if (p / "ok.sql").is_file()])
def test_ok(case: str) -> None:
    outcome, f = lint_text((CASES / case / "ok.sql").read_text(), rules=[case])
    doc = parse_text(f)
    assert doc.error is None, doc.error
    assert [x for x in outcome.findings if x.rule == case] == []


@pytest.mark.parametrize("case", [p.name for p in CASE_DIRS if (p / "err.sql").is_file()])
def test_err(case: str) -> None:
    outcome, f = lint_text((CASES / case / "err.sql").read_text(), rules=[case])
    doc = parse_text(f)
    assert doc.error is None, doc.error
    want = expected(doc, case)
    assert want, "err.sql must mark at least one statement with -- expect: <rule>"
    assert reported(doc, outcome.findings, case) == want
    rule = RULES[case]
    for x in outcome.findings:
        if x.rule == case:
            assert x.message and x.help == rule.help and x.severity == rule.severity


def _fixes(case: str) -> list:
    outcome, _ = lint_text((CASES / case / "err.sql").read_text(), rules=[case], fixes=True)
    return [(x, fx) for x, fx in outcome.fixes if x.rule == case]


FIXABLE = [p.name for p in CASE_DIRS if (p / "err.sql").is_file() and _fixes(p.name)]


def test_fixable_rules() -> None:
    """The mechanical fixes the issue asks for exist (auth-rls-initplan's is its owner's to add)."""
    assert {"require-concurrent-index-creation", "require-concurrent-index-deletion",
            "prefer-robust-stmts"} <= set(FIXABLE)


@pytest.mark.parametrize("case", FIXABLE)
def test_fix(case: str) -> None:
    """Each fix applied alone leaves a file that parses and has one finding fewer of the rule."""
    text = (CASES / case / "err.sql").read_text()
    outcome, _ = lint_text(text, rules=[case], fixes=True)
    fixes = [(x, fx) for x, fx in outcome.fixes if x.rule == case]
    assert fixes
    before = sum(1 for x in outcome.findings if x.rule == case)
    for _finding, fx in fixes:
        fixed = apply_fixes(text, [fx])
        after, f = lint_text(fixed, rules=[case])
        assert parse_text(f).error is None, fixed
        assert sum(1 for x in after.findings if x.rule == case) < before, fixed
