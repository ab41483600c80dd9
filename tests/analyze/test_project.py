"""analyzing.analyze on the repository's own SQL project, checked against the database it builds."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pgmanager.api import analyzing, inputs
from pgmanager.errors import InputError
from pgmanager.models import AnalyzeReport

ROOT = Path(__file__).resolve().parents[2]
APP_SCHEMAS = ("public", "private")


@pytest.fixture(scope="module")
def report() -> AnalyzeReport:
    settings, project = inputs.load(ROOT)
    return analyzing.analyze(settings, project)


def _edges(report: AnalyzeReport, kind: str) -> set[tuple[str, str]]:
    return {(e.source.name, e.target.name) for e in report.edges if e.kind == kind}


def test_every_migration_and_repeatable_is_analyzed(report: AnalyzeReport) -> None:
    _settings, project = inputs.load(ROOT)
    assert [f.file for f in report.files] == [f.display for f in [*project.migrations, *project.repeatables]]
    assert report.findings == []
    assert report.statements == sum(len(f.statements) for f in report.files) > 0
    by_file = {f.file: f for f in report.files}
    concurrent = by_file["migrations/20240301000000_add_files_project_updated_index.sql"]
    assert not concurrent.transactional and concurrent.risk == "low"
    assert [str(o) for o in concurrent.created] == ["index public.idx_files_project_updated"]
    users = by_file["migrations/20240101000000_create_users.sql"]
    assert users.transactional and [str(o) for o in users.created] == ["table public.users"]
    # creating a table referencing auth.users briefly blocks writes to auth.users
    assert users.strongest_lock == "SHARE ROW EXCLUSIVE" and users.risk == "medium"


def test_policy_graph_reaches_the_security_definer_helpers(report: AnalyzeReport) -> None:
    calls = _edges(report, "calls")
    assert ("Files are readable with their project on public.files", "private.can_read_project") in calls
    assert ("Owners can add project members on public.project_members", "private.is_project_owner") in calls
    reads = _edges(report, "reads")
    assert ("private.can_read_project", "public.project_members") in reads
    assert ("public.usage_analytics", "public.usage_metrics") in reads  # a PL/pgSQL body
    dependents = {str(e.source) for e in report.dependents_of("table", "public.projects")}
    assert "view public.project_analytics" in dependents and "table public.files" in dependents


def test_graph_matches_the_built_database(report: AnalyzeReport, pgm_conn: psycopg.Connection) -> None:
    """Foreign keys, view dependencies, policies and triggers, as PostgreSQL's catalog records them."""
    rows = pgm_conn.execute("""
        select n.nspname || '.' || c.relname, fn.nspname || '.' || f.relname
        from pg_constraint k
        join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        join pg_class f on f.oid = k.confrelid join pg_namespace fn on fn.oid = f.relnamespace
        where k.contype = 'f' and n.nspname = any(%s)""", [list(APP_SCHEMAS)]).fetchall()
    # the Supabase emulation's own keys (storage.objects -> storage.buckets) are outside the app's schemas
    assert {e for e in _edges(report, "foreign-key") if e[0].split(".")[0] in APP_SCHEMAS} == set(rows) and rows

    rows = pgm_conn.execute("""
        select distinct vn.nspname || '.' || v.relname, tn.nspname || '.' || t.relname
        from pg_depend d
        join pg_rewrite r on r.oid = d.objid
        join pg_class v on v.oid = r.ev_class join pg_namespace vn on vn.oid = v.relnamespace
        join pg_class t on t.oid = d.refobjid join pg_namespace tn on tn.oid = t.relnamespace
        where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
          and t.oid <> v.oid and vn.nspname = any(%s)""", [list(APP_SCHEMAS)]).fetchall()
    view_reads = {(s, t) for s, t in _edges(report, "reads") if s.startswith("public.project_analytics")}
    assert view_reads == set(rows) and rows

    rows = pgm_conn.execute("""
        select policyname || ' on ' || schemaname || '.' || tablename, schemaname || '.' || tablename
        from pg_policies where schemaname = any(%s)""", [list(APP_SCHEMAS)]).fetchall()
    assert _edges(report, "policy-on") == set(rows) and rows

    rows = pgm_conn.execute("""
        select t.tgname || ' on ' || n.nspname || '.' || c.relname, n.nspname || '.' || c.relname
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where not t.tgisinternal and n.nspname = any(%s)""", [list(APP_SCHEMAS)]).fetchall()
    assert {e for e in _edges(report, "trigger-on") if e[1].split(".")[0] in APP_SCHEMAS} == set(rows) and rows


def test_paths_select_files_and_a_new_file_is_analyzed_after_the_project(tmp_path: Path) -> None:
    settings, project = inputs.load(ROOT)
    only = analyzing.analyze(settings, project, [ROOT / "policies"])
    assert [f.file for f in only.files] == [f.display for f in project.repeatables if f.display.startswith("policies/")]
    extra = tmp_path / "20991231000000_add_note.sql"
    extra.write_text("alter table public.projects add column note text;\n"
                     "create index concurrently idx_projects_note on public.projects (note);\n")
    new = analyzing.analyze(settings, project, [extra])
    [fa] = new.files
    assert fa.kind == "migration" and not fa.transactional  # CONCURRENTLY: the file runs outside a transaction
    assert fa.risk == "medium" and [str(o) for o in fa.altered] == ["table public.projects"]
    # the project is still the graph's base
    assert ("public.projects", "public.users") in _edges(new, "foreign-key")


def test_rollbacks_and_the_auth_emulation_are_analyzed_when_named() -> None:
    settings, project = inputs.load(ROOT)
    report = analyzing.analyze(settings, project, [ROOT / "migrations", ROOT / "sql" / "supabase_auth.sql"])
    kinds = {f.file: f.kind.value for f in report.files}
    assert kinds["sql/supabase_auth.sql"] == "auth_emulation"
    rollback = next(f for f in report.files if f.file.endswith("add_updated_at_triggers.rollback.sql"))
    assert rollback.kind == "rollback" and {str(o) for o in rollback.dropped} >= {"function public.set_updated_at"}
    assert sum(k == "migration" for k in kinds.values()) == len(project.migrations)


def test_bad_paths(tmp_path: Path) -> None:
    settings, project = inputs.load(ROOT)
    with pytest.raises(InputError, match="no such file"):
        analyzing.analyze(settings, project, [tmp_path / "missing.sql"])
    broken = tmp_path / "broken.sql"
    broken.write_text("select 1;\ncreate tabel x ();\n")
    latin1 = tmp_path / "latin1.sql"
    latin1.write_bytes("select 'caf\xe9';\n".encode("latin-1"))
    result = analyzing.analyze(settings, project, [broken, latin1])
    assert {(f.rule, f.line) for f in result.findings} == {("syntax-error", 2), ("invalid-encoding", 1)}
    assert [f.file for f in result.files if f.error is not None] == [result.files[0].file]
