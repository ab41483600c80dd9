"""Data-driven rule tests: every folder of tests/lint/cases expands into ok / err / fix tests."""

from __future__ import annotations

import pytest

from pgmanager.lint import registry
from pgmanager.lint._fix import apply_fixes

from ._harness import (
    CASES,
    before_text,
    declares_fix,
    expected,
    fix_text,
    lint_text,
    parse_text,
    reported,
    unfixable,
)

CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())
RULES = registry()


def test_every_rule_has_cases() -> None:
    missing = [name for name in RULES if name != "unused-ignore" and not (CASES / name / "err.sql").is_file()]
    assert missing == []


def test_every_case_folder_names_a_rule() -> None:
    assert [p.name for p in CASE_DIRS if p.name not in RULES] == []


@pytest.mark.parametrize("case", [p.name for p in CASE_DIRS if (p / "ok.sql").is_file()])
def test_ok(case: str) -> None:
    outcome, f = lint_text((CASES / case / "ok.sql").read_text(), rules=[case], before=before_text(case))
    doc = parse_text(f)
    assert doc.error is None, doc.error
    assert [x for x in outcome.findings if x.rule == case] == []


@pytest.mark.parametrize("case", [p.name for p in CASE_DIRS if (p / "err.sql").is_file()])
def test_err(case: str) -> None:
    outcome, f = lint_text((CASES / case / "err.sql").read_text(), rules=[case], before=before_text(case))
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
    outcome, _ = lint_text((CASES / case / "err.sql").read_text(), rules=[case], fixes=True,
                              before=before_text(case))
    return [(x, fx) for x, fx in outcome.fixes if x.rule == case]


FIXABLE = [p.name for p in CASE_DIRS if (p / "err.sql").is_file() and _fixes(p.name)]


def test_fixable_rules() -> None:
    """The mechanical fixes the issue asks for exist."""
    assert {"require-concurrent-index-creation", "require-concurrent-index-deletion",
            "prefer-robust-stmts", "auth-rls-initplan"} <= set(FIXABLE)


@pytest.mark.parametrize("case", FIXABLE)
def test_fix(case: str) -> None:
    """Each fix applied alone leaves a file that parses and has one finding fewer of the rule."""
    text = (CASES / case / "err.sql").read_text()
    outcome, _ = lint_text(text, rules=[case], fixes=True, before=before_text(case))
    fixes = [(x, fx) for x, fx in outcome.fixes if x.rule == case]
    assert fixes
    before = sum(1 for x in outcome.findings if x.rule == case)
    for _finding, fx in fixes:
        fixed = apply_fixes(text, [fx])
        after, f = lint_text(fixed, rules=[case], before=before_text(case))
        assert parse_text(f).error is None, fixed
        assert sum(1 for x in after.findings if x.rule == case) < before, fixed


# A rule can fix when it says so (declares_fix) or when a finding on its err.sql carries a fix.
FIXING = sorted({name for name, rule in RULES.items() if declares_fix(rule)} | set(FIXABLE))
FIXED_CASES = [p.name for p in CASE_DIRS if (p / "fixed.sql").is_file()]


def test_every_fixing_rule_has_fixed_sql() -> None:
    """A rule that can fix keeps, next to its err.sql, the fixed.sql its fixes must produce."""
    assert [name for name in FIXING if not (CASES / name / "fixed.sql").is_file()] == []


@pytest.mark.parametrize("case", FIXED_CASES)
def test_fixed(case: str) -> None:
    """All the rule's fixes applied to err.sql give exactly fixed.sql; fixing fixed.sql changes nothing.

    A statement the rule reports but cannot fix is marked ``-- unfixable: <rule>`` (in both files):
    it is the only kind of finding of the rule left in fixed.sql."""
    err = (CASES / case / "err.sql").read_text()
    want = (CASES / case / "fixed.sql").read_text()
    assert want != err, "fixed.sql equals err.sql: the rule fixed nothing"
    got, outcome, f = fix_text(err, case, before_text(case))
    assert got == want
    doc = parse_text(f)
    with_fix = {id(x) for x, _ in outcome.fixes}
    without_fix = [x for x in outcome.findings if x.rule == case and id(x) not in with_fix]
    assert reported(doc, without_fix, case) == unfixable(doc, case), "the -- unfixable: marks in err.sql"

    again, after, f2 = fix_text(want, case, before_text(case))
    fixed_doc = parse_text(f2)
    assert fixed_doc.error is None, fixed_doc.error
    assert reported(fixed_doc, after.findings, case) == unfixable(fixed_doc, case)
    assert [fx for x, fx in after.fixes if x.rule == case] == []
    assert again == want


@pytest.mark.parametrize(("rule", "stmt"), [
    ("require-concurrent-index-creation", "create index users_email_idx on public.users (email);"),
    ("require-concurrent-index-deletion", "drop index public.users_email_idx;"),
])
def test_concurrently_fix_outside_explicit_transaction(rule: str, stmt: str) -> None:
    """A fix must not turn a statement into one that fails where it stands: inside BEGIN ... COMMIT the
    statement is still reported, with no fix."""
    text = f"begin;\n{stmt}\ncommit;\n"
    before, _ = lint_text(text, rules=[rule])
    assert [f.rule for f in before.findings] == [rule]
    fixed, _, _ = fix_text(text, rule)
    assert fixed == text
    after, _ = lint_text(fixed, rules=["ban-concurrent-index-creation-in-transaction"])
    assert after.findings == [], fixed
