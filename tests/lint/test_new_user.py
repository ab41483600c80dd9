"""What a new user tripped on (issue 14, lint side): our own emulation linted, a cut-off sqlfluff
message, cached findings of old settings, and the facts about partitioned tables the CONCURRENTLY
rules rely on, checked against real PostgreSQL."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import psycopg
import pytest

from pgmanager.api import linting
from pgmanager.config import Settings, load_settings
from pgmanager.layouts import load_project
from pgmanager.lint import LintConfig
from pgmanager.lint._config import RuleSettings
from pgmanager.lint._style import StyleRunner
from pgmanager.lint._text import one_line
from pgmanager.models import FileKind, LintReport, SqlFile
from pgmanager.project import checksum

from ._harness import CASES, lint_text

SQLFLUFF_DESC = ("Line 39, Position 1: Found unparsable section: 'grant anon, authenticated, service_role to "
                 "authenticator;\\n\\n-- Schema public: usa...'. Expected: Nothing else in FileSegment.")


def _lint(root: Path, **kw: object) -> LintReport:
    settings = load_settings(root)
    return linting.lint(settings, load_project(settings), **kw)  # type: ignore[arg-type]


def _set(root: Path, old: str, new: str) -> None:
    path = root / "pyproject.toml"
    text = path.read_text()
    assert old in text, "pyproject.toml changed: update this test"
    path.write_text(text.replace(old, new, 1))


# ------------------------------------------------------------------ 1. the emulation is ours


def test_the_auth_emulation_is_not_linted_wherever_it_lives(project_copy: Path) -> None:
    """Keyed on the file kind: moved and renamed, the emulation is still applied (the rules see auth.uid())
    and never reported on, by the AST rules or by sqlfluff."""
    (project_copy / "sql" / "emulation").mkdir()
    shutil.move(project_copy / "sql" / "supabase_auth.sql", project_copy / "sql" / "emulation" / "auth.sql")
    _set(project_copy, 'auth_emulation = "sql/supabase_auth.sql"', 'auth_emulation = "sql/emulation/auth.sql"')
    # a user's file with a style problem, so that sqlfluff is seen to run
    (project_copy / "migrations" / "20990101000000_styled.sql").write_text("SELECT 1 ,2;\n")
    settings = load_settings(project_copy)
    emulation = [f.display for f in load_project(settings).all_files() if f.kind == FileKind.AUTH_EMULATION]
    assert emulation == ["sql/emulation/auth.sql"]
    report = _lint(project_copy, cache=False)
    assert [f for f in report.findings if f.file in emulation] == []
    assert any(f.rule.startswith("style/") and f.file.endswith("_styled.sql") for f in report.findings)
    assert report.files == len(load_project(settings).all_files()) - 1
    # even named on the command line, the emulation is not the user's SQL
    named = _lint(project_copy, paths=[project_copy / "sql" / "emulation" / "auth.sql"], cache=False)
    assert named.findings == [] and named.files == 0


def test_the_repository_has_no_lint_finding_with_style() -> None:
    """What a new user sees first: nothing (the emulation's unparsable GRANT is no longer reported)."""
    report = _lint(Path(__file__).resolve().parents[2], cache=False)
    assert report.findings == []


# ------------------------------------------------------------------ 1. whole, one-line messages


def test_sqlfluff_descriptions_become_one_whole_line() -> None:
    msg = one_line(SQLFLUFF_DESC)
    assert "\\n" not in msg and "\n" not in msg
    assert msg == ("Found unparsable section: 'grant anon, authenticated, service_role to authenticator; "
                   "-- Schema public: …'. Expected: Nothing else in FileSegment.")
    short = one_line(SQLFLUFF_DESC, 60)
    assert len(short) <= 60 and short.endswith("…")
    words = set(re.findall(r"\w+", SQLFLUFF_DESC))
    assert set(re.findall(r"\w+", short)) <= words  # no word cut in two
    assert one_line("a\tb\\tc  d") == "a b c d"


def test_unparsable_note_is_whole(tmp_path: Path) -> None:
    text = "grant anon, authenticated, service_role to authenticator;\n\n-- Schema public: usage\nselect 1;\n"
    path = tmp_path / "a.sql"
    path.write_text(text)
    f = SqlFile(path=path, display="a.sql", kind=FileKind.MIGRATION, text=text, checksum=checksum(text), name="a")
    found = StyleRunner(tmp_path, workers=1)([f])["a.sql"]
    notes = [x for x in found if x.rule == "style-unparsable"]
    assert len(notes) == 1
    msg = notes[0].message
    assert "\\n" not in msg and "\n" not in msg and not re.search(r"\w\.\.\.", msg)
    assert "grant anon, authenticated, service_role to authenticator;" in msg
    assert "<Ref" not in msg  # sqlfluff's grammar, cut by sqlfluff mid-word, is left out


# ------------------------------------------------------------------ 3. the policy that really leaks


def test_sensitive_columns_names_the_policy_that_leaks() -> None:
    outcome, _ = lint_text((CASES / "sensitive-columns-exposed" / "err.sql").read_text(),
                           rules=["sensitive-columns-exposed"])
    profiles = [x.message for x in outcome.findings if "public.profiles" in x.message]
    assert len(profiles) == 1
    assert "'everyone reads profiles'" in profiles[0] and "users read their profile" not in profiles[0]


# ------------------------------------------------------------------ 4. the cache follows the settings


def test_cache_follows_the_settings_rules_read(project_copy: Path) -> None:
    first = _lint(project_copy, style=False)
    assert not any(f.rule == "security-definer-function-in-exposed-schema" for f in first.findings)
    _set(project_copy, 'exposed_schemas = ["public"]', 'exposed_schemas = ["public", "private"]')
    warm = _lint(project_copy, style=False)
    cold = _lint(project_copy, style=False, cache=False)
    assert warm.findings == cold.findings
    assert any(f.rule == "security-definer-function-in-exposed-schema" for f in warm.findings)
    # a severity override (the lint config) too
    _set(project_copy, "[tool.pytest.ini_options]",
         '[tool.pgmanager.lint]\nseverity = { security-definer-function-in-exposed-schema = "info" }\n\n'
         "[tool.pytest.ini_options]")
    again = _lint(project_copy, style=False)
    assert {f.severity for f in again.findings if f.rule == "security-definer-function-in-exposed-schema"} == {"info"}
    assert again.findings == _lint(project_copy, style=False, cache=False).findings


def test_every_rule_setting_changes_the_fingerprint() -> None:
    base = RuleSettings.of(Settings(), LintConfig())
    changed = [RuleSettings.of(Settings(exposed_schemas=["public", "api"]), LintConfig()),
               RuleSettings.of(Settings(), LintConfig.from_settings({"exclude": ["ban-drop-table"]})),
               RuleSettings.of(Settings(), LintConfig.from_settings({"select": ["security"]})),
               RuleSettings.of(Settings(), LintConfig.from_settings({"severity": {"ban-drop-table": "info"}})),
               RuleSettings.of(Settings(), LintConfig.from_settings({"style": False}))]
    prints = {s.fingerprint() for s in changed}
    assert base.fingerprint() not in prints and len(prints) == len(changed)
    assert RuleSettings.of(Settings(lock_retries=3), LintConfig()).fingerprint() == base.fingerprint()


# ------------------------------------------------------------------ 5. what PostgreSQL does with partitions


def _statements(path: Path) -> list[str]:
    return [s.strip() for s in path.read_text().split(";") if s.strip() and not all(
        line.strip().startswith("--") for line in s.strip().splitlines())]


def test_partitioned_index_facts_hold_in_postgresql(empty_db) -> None:
    """The way round the creation rule recommends works, and CONCURRENTLY is refused where the rules
    offer no fix (the cases' own SQL, run against a real server)."""
    case = CASES / "require-concurrent-index-creation"
    with empty_db.connect() as conn:
        for stmt in _statements(case / "before.sql"):
            conn.execute(stmt)
        for stmt in _statements(case / "ok.sql"):
            if "public.items" not in stmt:
                conn.execute(stmt)
        valid = conn.execute("select indisvalid from pg_index where indexrelid = 'public.events_owner_idx'::regclass")
        assert valid.fetchone() == (True,)  # attached on every partition: the parent's index is valid
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            conn.execute("create index concurrently events_created_idx on public.events (created_at)")
        conn.execute("create index events_created_idx on public.events (created_at)")
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            conn.execute("drop index concurrently public.events_created_idx")
