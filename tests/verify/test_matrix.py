"""The coverage matrix, measured on the seeded project, and each rule that fails it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pgmanager.config import load_settings
from pgmanager.policies import SpecSuite, coverage_matrix, load_specs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def suite() -> SpecSuite:
    return load_specs(load_settings(ROOT))


@pytest.fixture
def conn(pgm_db) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pgm_db.dsn, autocommit=True) as c:
        yield c


def _cells(result):
    return {(c.table, c.identity, c.command): c for c in result.cells}


def test_the_projects_matrix_is_measured_and_clean(conn: psycopg.Connection, suite: SpecSuite) -> None:
    result = coverage_matrix(conn, suite, ["public"], {})
    cells = _cells(result)
    assert result.problems == []
    assert len(cells) == 6 * 5 * 4  # five tables and one view, five identities, four commands
    anon = cells[("public.projects", "anon", "SELECT")]
    assert (anon.outcome, anon.rows) == ("allowed", 1)
    assert (cells[("public.projects", "owner", "SELECT")].rows, cells[("public.projects", "service_role",
                                                                         "SELECT")].rows) == (2, 3)
    insert = cells[("public.projects", "stranger", "INSERT")]
    assert (insert.outcome, insert.sqlstate) == ("denied", "42501")
    assert cells[("public.projects", "owner", "INSERT")].outcome == "allowed"
    assert cells[("public.project_members", "owner", "INSERT")].rows == 1  # a new key was found for the copy
    assert cells[("public.files", "member", "UPDATE")].rows == 3  # bob edits Alice Private's three files
    # granted, but RLS matches no row: carol owns no project with members
    assert cells[("public.project_members", "stranger", "UPDATE")].outcome == "filtered"
    assert (cells[("public.files", "anon", "DELETE")].outcome,  # not even granted to anon
            cells[("public.files", "anon", "DELETE")].sqlstate) == ("denied", "42501")
    assert (cells[("public.usage_metrics", "anon", "SELECT")].sqlstate,
            cells[("public.usage_metrics", "owner", "UPDATE")].sqlstate) == ("42501", "42501")
    # nothing changed: every statement was rolled back
    assert conn.execute("select count(*) from public.files").fetchone() == (7,)


def test_rls_off_and_a_stranger_leak_fail(conn: psycopg.Connection, suite: SpecSuite) -> None:
    conn.execute("alter table public.files disable row level security")
    result = coverage_matrix(conn, suite, ["public"], {"public.files": "policies/files.sql"})
    rules = {(f.rule, f.file) for f in result.problems}
    assert ("rls-disabled", "policies/files.sql") in rules
    assert ("stranger-leak", "policies/files.sql") in rules
    cell = _cells(result)[("public.files", "stranger", "SELECT")]
    assert not cell.passed and cell.rows == 7


def test_a_stranger_leak_without_an_oracle_uses_owner_and_anon(conn: psycopg.Connection, suite: SpecSuite) -> None:
    conn.execute("create policy leak on public.projects for select to authenticated using (true)")
    suite = SpecSuite(users=suite.users, matrix=suite.matrix, denials=suite.denials)  # no oracles
    result = coverage_matrix(conn, suite, ["public"], {})
    leaks = [f for f in result.problems if f.rule == "stranger-leak"]
    assert [f.file for f in leaks] == ["public.projects"]
    # Alice Private (the owner sees it, anon does not) and Carol Sandbox, which now leaks to the owner too
    assert "2 row(s)" in leaks[0].message and "0000000000a1" in leaks[0].message


def test_a_granted_command_without_policy_and_a_definer_view_fail(conn: psycopg.Connection,
                                                                  suite: SpecSuite) -> None:
    # schema api has no default privileges: its grants are the project's own
    conn.execute("create schema api")
    conn.execute("create table api.notes (id uuid primary key default gen_random_uuid(), body text)")
    conn.execute("alter table api.notes enable row level security")
    conn.execute("create policy read on api.notes for select to authenticated using (true)")
    conn.execute("grant select, delete on api.notes to anon, authenticated")
    conn.execute("create view public.all_files as select * from public.files")
    result = coverage_matrix(conn, suite, ["public", "api"], {})
    missing = sorted(f.message.split(" but ")[0] for f in result.problems if f.rule == "missing-policy")
    assert missing == ["api.notes: anon is granted DELETE", "api.notes: anon is granted SELECT",
                       "api.notes: authenticated is granted DELETE"]
    assert [f.rule for f in result.problems if "all_files" in f.message] == ["security-definer-view"]


def test_default_grants_and_deny_all_are_notes(conn: psycopg.Connection, suite: SpecSuite) -> None:
    # public has Supabase's default privileges: every API role gets every command on a new table
    conn.execute("create table public.notes (id uuid primary key default gen_random_uuid(), body text)")
    conn.execute("alter table public.notes enable row level security")
    conn.execute("create policy read on public.notes for select to authenticated using (true)")
    conn.execute("create table public.secrets (id uuid primary key default gen_random_uuid())")
    conn.execute("alter table public.secrets enable row level security")
    result = coverage_matrix(conn, suite, ["public"], {})
    assert not any("public.notes" in f.message or "public.secrets" in f.message for f in result.problems)
    notes = {f.rule: f for f in result.notes if f.file in ("public.notes", "public.secrets")}
    assert notes["default-grant"].message.startswith(
        "public.notes: anon DELETE, anon INSERT, anon SELECT, anon UPDATE, authenticated DELETE, authenticated "
        "INSERT, authenticated UPDATE come from the schema's default privileges")
    assert notes["rls-deny-all"].message.startswith("public.secrets: row level security is on and no policy exists")
    assert all(f.severity == "info" for f in result.notes)
