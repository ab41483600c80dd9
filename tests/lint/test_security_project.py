"""The security and performance rules on the repository's own SQL: clean as it stands, and each
rule catches the mistake it is about when that mistake is made in a copy of the project."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgmanager.api import inputs, linting
from pgmanager.lint import Category, Linter, registry

SECURITY_RULES = sorted(n for n, r in registry().items() if r.category in (Category.SECURITY, Category.PERFORMANCE))


def _findings(root: Path | None = None) -> list[tuple[str, str, int]]:
    settings, project = inputs.load(root)
    out = Linter(settings, project, rules=SECURITY_RULES).run()
    return [(f.rule, f.file, f.line) for f in out.findings]


def test_the_project_is_clean() -> None:
    assert len(SECURITY_RULES) >= 18
    assert _findings() == []


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{rel} changed: update this test"
    path.write_text(text.replace(old, new))


MUTATIONS = [
    pytest.param("policies/users.sql", "alter table public.users enable row level security;\n", "",
                 {("rls-disabled-in-public", "migrations/20240101000000_create_users.sql", 6),
                  ("policy-exists-rls-disabled", "policies/users.sql", 8),
                  ("policy-exists-rls-disabled", "policies/users.sql", 16),
                  ("policy-exists-rls-disabled", "policies/users.sql", 24)}, id="rls-removed"),
    pytest.param("views/project_analytics.sql", "with (security_invoker = true)\n", "",
                 {("security-definer-view", "views/project_analytics.sql", 15)}, id="view-definer"),
    pytest.param("migrations/20240101000600_create_rls_helpers.sql",
                 "stable\nsecurity definer\nset search_path = ''\nas $$\n    select exists (\n        select 1\n"
                 "        from public.project_members",
                 "stable\nsecurity definer\nas $$\n    select exists (\n        select 1\n"
                 "        from public.project_members",
                 {("function-search-path-mutable", "migrations/20240101000600_create_rls_helpers.sql", 20)},
                 id="search-path"),
    pytest.param("migrations/20240101000100_create_projects.sql",
                 "create index idx_projects_user_created on public.projects (user_id, created_at desc);\n", "",
                 {("unindexed-foreign-keys", "migrations/20240101000100_create_projects.sql", 7)},
                 id="fk-index-removed"),
    pytest.param("policies/projects.sql", "    to anon\n    using ((settings ->> 'isPublic')::boolean);",
                 "    using ((settings ->> 'isPublic')::boolean);",
                 {("policy-without-role", "policies/projects.sql", 12),
                  ("multiple-permissive-policies", "policies/projects.sql", 19)}, id="no-to-clause"),
    pytest.param("policies/files.sql", "with check (private.can_write_project(project_id));\n\n-- with check",
                 "with check (true);\n\n-- with check",
                 {("rls-policy-always-true", "policies/files.sql", 20)}, id="always-true"),
]


@pytest.mark.parametrize(("rel", "old", "new", "expected"), MUTATIONS)
def test_a_mistake_is_caught(project_copy: Path, rel: str, old: str, new: str,
                             expected: set[tuple[str, str, int]]) -> None:
    _edit(project_copy, rel, old, new)
    assert set(_findings(project_copy)) == expected


def test_fix_wraps_auth_uid_in_the_project_copy(project_copy: Path) -> None:
    _edit(project_copy, "policies/projects.sql", "(select auth.uid())", "auth.uid()")
    before = [f for f in _findings(project_copy) if f[0] == "auth-rls-initplan"]
    assert len(before) == 5  # one per call: select, insert, update (using and with check), delete
    settings, project = inputs.load(project_copy)
    report = linting.lint(settings, project, fix=True, style=False, cache=False, rules=["auth-rls-initplan"])
    assert report.fixes_applied == 5 and report.fixed_files == ["policies/projects.sql"]
    assert [f for f in report.findings if f.rule == "auth-rls-initplan"] == []
    assert (project_copy / "policies/projects.sql").read_text() == (
        Path(__file__).resolve().parents[2] / "policies/projects.sql").read_text()
