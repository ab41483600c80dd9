"""The engine: project awareness, transaction awareness, ignores, config, bad input, cache, fixes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pgmanager.api import linting
from pgmanager.config import Settings, load_settings
from pgmanager.errors import ConfigError
from pgmanager.layouts import load_project
from pgmanager.lint import LintConfig
from pgmanager.lint.docs import main as docs_main
from pgmanager.parse import parse_file
from pgmanager.schema import apply_order, build_model

from ._harness import ROOT, lint_text


def _lint(root: Path, *paths: Path, **kw: object):
    settings = load_settings(root)
    return linting.lint(settings, load_project(settings), list(paths) or None, style=False, **kw)  # type: ignore[arg-type]


def test_repository_sql_is_clean_under_the_ast_rules() -> None:
    report = _lint(ROOT, cache=False)
    assert [f for f in report.findings if f.severity != "info"] == []
    assert report.files >= 20 and report.statements > 100


def test_schema_model_is_project_aware() -> None:
    settings = load_settings(ROOT)
    project = load_project(settings)
    docs = [parse_file(f) for f in apply_order(project)]
    model = build_model(docs)
    files = model.tables["public.files"]
    assert files.rls_enabled and files.rls_enabled_in and files.rls_enabled_in[0].startswith("policies/")
    # the (project_id, updated_at) index comes from a later migration than the table
    assert ("project_id", "updated_at") in [ix.columns for ix in files.indexes]
    assert files.covered(("project_id",))
    assert model.views["public.project_analytics"].security_invoker
    assert model.functions["private.is_project_member"].security_definer
    assert {p.table for p in model.policies} >= {"public.files", "public.projects"}


def test_model_sees_earlier_migrations_when_linting_a_later_one(project_copy: Path) -> None:
    (project_copy / "migrations" / "20250101000000_retype.sql").write_text(
        "alter table public.usage_metrics alter column event_type type varchar(80);\n"
        "alter table public.usage_metrics alter column metadata type text;\n")
    report = _lint(project_copy, cache=False, rules=["changing-column-type"])
    lines = [f.line for f in report.findings if f.rule == "changing-column-type"]
    assert lines == [2]  # varchar(50) -> varchar(80) is known to be safe from the earlier migration


def test_transaction_awareness_follows_concurrent_statements() -> None:
    text = "create index concurrently if not exists a_idx on public.users (email);\ncreate table public.t (id int);\n"
    outcome, _ = lint_text(text, rules=["prefer-robust-stmts"])
    assert [f.line for f in outcome.findings] == [2]
    outcome, _ = lint_text("create table public.t (id int);\n", rules=["prefer-robust-stmts"])
    assert outcome.findings == []


def test_ignores_and_unused_ignores() -> None:
    text = ("-- pgmanager-ignore ban-drop-table: replaced by events\ndrop table public.a;\n\n"
            "-- pgmanager-ignore ban-drop-table, renaming-table\ndrop table public.b;\n\n"
            "-- pgmanager-ignore no-such-rule\nselect 1;\n")
    outcome, _ = lint_text(text, rules=["ban-drop-table", "renaming-table", "unused-ignore"])
    got = sorted((f.rule, f.line) for f in outcome.findings)
    assert got == [("unused-ignore", 4), ("unused-ignore", 7)]
    outcome, _ = lint_text("-- pgmanager-ignore-file ban-drop-table\ndrop table public.a;\ndrop table public.b;\n",
                           rules=["ban-drop-table", "unused-ignore"])
    assert outcome.findings == []


def test_config_select_exclude_severity_and_bad_values() -> None:
    text = "drop table public.a;\nalter table public.b rename to c;\n"
    settings = Settings(root=ROOT, lint={"exclude": ["renaming-table"], "severity": {"ban-drop-table": "error"}})
    outcome, _ = lint_text(text, settings=settings)
    assert [(f.rule, f.severity.value) for f in outcome.findings] == [("ban-drop-table", "error")]
    settings = Settings(root=ROOT, lint={"select": ["security"]})
    outcome, _ = lint_text(text, settings=settings)
    assert outcome.findings == []
    for bad, where in (({"select": ["nope"]}, "select"), ({"colour": 1}, "colour"), ({"fail_on": "x"}, "lint")):
        with pytest.raises(ConfigError) as exc:
            LintConfig.from_settings(bad)
        assert where in str(exc.value)


def test_bad_files_are_findings_and_linting_goes_on(tmp_path: Path) -> None:
    # the repository's settings without its auth emulation and seed, which this folder does not have
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text()
                                             .replace('"sql/supabase_auth.sql"', '""').replace('"sql/seed.sql"', '""'))
    mig = tmp_path / "migrations"
    mig.mkdir()
    (mig / "20250101000000_a.sql").write_text("create table public.a (id bigint primary key);\n\ncreate tabel x;\n")
    (mig / "20250101000100_b.sql").write_bytes(b"select '\xff';\n")
    (mig / "20250101000200_c.sql").write_text("   \n")
    (mig / "20250101000300_d.sql").write_text("drop table public.a;\n")
    report = _lint(tmp_path, cache=False)
    got = {(f.file.split("/")[-1], f.rule, f.line) for f in report.findings}
    assert ("20250101000000_a.sql", "syntax-error", 3) in got
    assert ("20250101000100_b.sql", "invalid-encoding", 1) in got
    assert ("20250101000200_c.sql", "empty-file", 1) in got
    assert ("20250101000300_d.sql", "ban-drop-table", 1) in got
    assert not report.ok


def test_cache_reuses_findings_and_sees_changes(project_copy: Path) -> None:
    mig = project_copy / "migrations" / "20250101000000_drop.sql"
    mig.write_text("drop table public.files;\n")
    first = _lint(project_copy)
    assert first.cached_files == 0 and any(f.rule == "ban-drop-table" for f in first.findings)
    second = _lint(project_copy)
    assert second.cached_files == second.files and second.findings == first.findings
    mig.write_text("-- pgmanager-ignore ban-drop-table: gone\ndrop table public.files;\n")
    third = _lint(project_copy)
    # files applied before the changed one keep their cache entries (their schema did not change)
    assert 0 < third.cached_files < third.files
    assert not any(f.rule == "ban-drop-table" for f in third.findings)


def test_fix_rewrites_the_file_and_clears_the_findings(project_copy: Path) -> None:
    mig = project_copy / "migrations" / "20250101000000_idx.sql"
    mig.write_text("-- an index\nCREATE INDEX users_email_idx ON public.users (email);\n\ndrop index public.old_idx;\n")
    report = _lint(project_copy, fix=True, cache=False)
    text = mig.read_text()
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx" in text  # in the letter case found
    assert "drop index concurrently if exists public.old_idx" in text
    assert report.fixes_applied >= 4 and report.fixed_files == ["migrations/20250101000000_idx.sql"]
    assert [f for f in report.findings if f.file.endswith("_idx.sql")] == []


def test_rule_docs_are_up_to_date() -> None:
    assert docs_main(["--check"]) == 0, "run: python -m pgmanager.lint.docs"


def test_warm_run_after_editing_the_newest_migration_uses_a_model_snapshot(project_copy: Path) -> None:
    newest = sorted((project_copy / "migrations").glob("2*[0-9]_*.sql"))
    newest = [p for p in newest if not p.name.endswith(".rollback.sql")][-1]
    first = _lint(project_copy)
    later = 1 + len(list((project_copy / "policies").glob("*.sql"))) + len(list((project_copy / "views").glob("*.sql")))
    assert first.model_files_parsed > later
    newest.write_text(newest.read_text() + "\ncreate index users_email_idx on public.users (email);\n")
    warm = _lint(project_copy)
    cold = _lint(project_copy, cache=False)
    assert warm.findings == cold.findings
    assert any(f.rule == "require-concurrent-index-creation" for f in warm.findings)
    # the model before the newest migration came from a snapshot: only it and the repeatables were parsed
    assert warm.model_files_parsed == later


def test_style_codes_follow_select_exclude_and_severity(tmp_path: Path) -> None:
    from pgmanager.lint import Linter
    from pgmanager.lint._style import StyleRunner

    shutil.copy(ROOT / ".sqlfluff", tmp_path / ".sqlfluff")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pgmanager]\nauth_emulation = ""\nseed = ""\n[tool.pgmanager.lint]\n'
        'exclude = ["style/LT09"]\nseverity = { "style/LT01" = "error" }\n')
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "20250101000000_a.sql").write_text("select a,b from public.t;\n")
    settings = load_settings(tmp_path)
    outcome = Linter(settings, load_project(settings), style_runner=StyleRunner(tmp_path, workers=1)).run()
    rules = {(f.rule, f.severity.value) for f in outcome.findings}
    assert ("style/LT01", "error") in rules
    assert not any(r == "style/LT09" for r, _ in rules)


@pytest.mark.parametrize("configured", [None, "jinja"])
def test_style_reads_sql_as_written_unless_a_templater_is_configured(tmp_path: Path, configured: str | None) -> None:
    """Without a templater in the project's sqlfluff configuration, sqlfluff reads the SQL as PostgreSQL runs
    it: a `{{` in a string literal is text, not a jinja variable. A configured templater is honoured."""
    from pgmanager.lint import Linter
    from pgmanager.lint._style import StyleRunner

    if configured:
        (tmp_path / ".sqlfluff").write_text(f"[sqlfluff]\ntemplater = {configured}\n")
    (tmp_path / "pyproject.toml").write_text('[tool.pgmanager]\nauth_emulation = ""\nseed = ""\n')
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "20250101000000_a.sql").write_text(
        "comment on schema public is 'templates look like {{ name }}';\n")
    settings = load_settings(tmp_path)
    outcome = Linter(settings, load_project(settings), style_runner=StyleRunner(tmp_path, workers=1)).run()
    unparsable = [f for f in outcome.findings if f.rule == "style-unparsable"]
    if configured:
        assert unparsable and "jinja" in unparsable[0].message, outcome.findings
    else:
        assert not unparsable, unparsable
