"""The whole schema applies, a re-run does nothing, and the platform's contract holds in the catalog."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest

from pgmanager.api import migrating
from pgmanager.models import FileKind
from pgmanager.testing.plugin import BuiltProject, TestDatabase


def test_everything_applies_and_is_recorded(pgm_sandbox: BuiltProject, pgm_db: TestDatabase) -> None:
    rows = {r.key: r for r in migrating.history(pgm_sandbox.settings, pgm_db.dsn)}
    project = pgm_sandbox.project
    expected = {m.key for m in project.migrations} | {r.key for r in project.repeatables}
    assert expected <= set(rows)
    for f in [*project.migrations, *project.repeatables]:
        assert rows[f.key].checksum == f.checksum, f.display
    assert rows["sql/supabase_auth.sql"].kind is FileKind.AUTH_EMULATION


def test_a_second_run_does_nothing(pgm_sandbox: BuiltProject, pgm_db: TestDatabase) -> None:
    result = migrating.migrate(pgm_sandbox.settings, pgm_sandbox.project, pgm_db.dsn)
    assert result.steps == []


def test_a_changed_repeatable_is_reapplied_alone(pgm_sandbox: BuiltProject, pgm_db: TestDatabase) -> None:
    project = pgm_sandbox.project
    view = next(r for r in project.repeatables if r.display == "views/project_analytics.sql")
    edited = view.model_copy(update={"text": view.text + "\n-- reviewed\n", "checksum": "changed"})
    changed = dataclasses.replace(project, repeatables=[edited if r is view else r for r in project.repeatables])
    result = migrating.migrate(pgm_sandbox.settings, changed, pgm_db.dsn)
    assert [(s.file, s.action) for s in result.steps] == [("views/project_analytics.sql", "reapplied")]


def _one(conn: psycopg.Connection, query: str, params: list | None = None):
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def test_usage_metrics_has_exactly_the_designed_columns(pgm_conn: psycopg.Connection) -> None:
    cols = pgm_conn.execute("""
        select column_name, data_type, character_maximum_length, is_nullable, column_default
          from information_schema.columns where table_schema = 'public' and table_name = 'usage_metrics'
         order by ordinal_position""").fetchall()
    assert [(c[0], c[1], c[2], c[3]) for c in cols] == [
        ("id", "uuid", None, "NO"),
        ("user_id", "uuid", None, "YES"),
        ("project_id", "uuid", None, "YES"),
        ("event_type", "character varying", 50, "NO"),
        ("metadata", "jsonb", None, "YES"),
        ("created_at", "timestamp with time zone", None, "YES"),
    ]
    defaults = {c[0]: c[4] for c in cols}
    assert defaults["id"] == "gen_random_uuid()"
    assert defaults["metadata"] == "'{}'::jsonb"
    assert defaults["created_at"] == "now()"
    deletes = pgm_conn.execute("""
        select confdeltype from pg_constraint
         where conrelid = 'public.usage_metrics'::regclass and contype = 'f'""").fetchall()
    assert sorted(d[0] for d in deletes) == ["c", "c"]  # ON DELETE CASCADE


@pytest.mark.parametrize(
    ("index", "definition"),
    [
        ("idx_projects_user_created", "ON public.projects USING btree (user_id, created_at DESC)"),
        ("idx_usage_metrics_user_date", "ON public.usage_metrics USING btree (user_id, created_at DESC)"),
        ("idx_usage_metrics_project_date", "ON public.usage_metrics USING btree (project_id, created_at DESC)"),
    ],
)
def test_designed_indexes_exist(pgm_conn: psycopg.Connection, index: str, definition: str) -> None:
    assert definition in _one(pgm_conn, "select indexdef from pg_indexes where indexname = %s", [index])


def test_every_foreign_key_is_covered_by_an_index(pgm_conn: psycopg.Connection) -> None:
    uncovered = pgm_conn.execute("""
        select c.conrelid::regclass::text, c.conname
          from pg_constraint c
         where c.contype = 'f' and c.connamespace = 'public'::regnamespace
           and not exists (
               select 1 from pg_index i
                where i.indrelid = c.conrelid
                  and (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] = c.conkey)""").fetchall()
    assert uncovered == []


def test_rls_is_enabled_on_every_public_table(pgm_conn: psycopg.Connection) -> None:
    tables = pgm_conn.execute("""
        select relname, relrowsecurity from pg_class
         where relnamespace = 'public'::regnamespace and relkind = 'r' order by relname""").fetchall()
    assert {t[0] for t in tables} >= {"users", "projects", "project_members", "files", "usage_metrics"}
    assert [t[0] for t in tables if not t[1]] == []


def test_project_analytics_is_security_invoker(pgm_conn: psycopg.Connection) -> None:
    options = _one(pgm_conn, "select reloptions from pg_class where oid = 'public.project_analytics'::regclass")
    assert "security_invoker=true" in options


def test_a_concurrent_index_migration_ran_outside_a_transaction(pgm_sandbox: BuiltProject) -> None:
    from pgmanager.parse import parse_file

    non_tx = [m.display for m in pgm_sandbox.project.migrations if not parse_file(m).transactional]
    assert non_tx, "at least one migration builds an index CONCURRENTLY"
    assert all(v in pgm_sandbox.project.rollbacks for v in
               (m.version for m in pgm_sandbox.project.migrations if m.display in non_tx))


@pytest.mark.parametrize("expr", [
    "now()", "'draft'", "0", "-1", "1.5", "true", "null", "gen_random_uuid()", "pg_catalog.now()", '"Now"()',
    "'it''s'", "E'a\\nb'", "'x'::text", "array[]::text[]", '"user"()', "'{}'::jsonb[]", "'a'::varchar(3)",
    "'x'::\"MyType\"", "B'101'", "current_timestamp", "count(*)", "'x'::pg_catalog.text", "'1 day'::interval",
    "'x'::interval day", "nextval('s')", "extract(epoch from now())", "'x'::text collate \"C\"",
])
def test_deparse_reuses_text_only_for_shapes_that_fix_it(expr: str) -> None:
    """deparse prints a repeated small expression once per shape: the text is always pglast's own, on the
    first call and on the reuse."""
    import pglast
    from pglast.stream import RawStream

    from pgmanager.schema._objects import deparse

    for _ in range(2):
        node = pglast.parse_sql(f"select {expr}")[0].stmt.targetList[0].val
        assert deparse(node) == str(RawStream()(node))
