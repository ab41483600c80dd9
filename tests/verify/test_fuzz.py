"""Leak fuzzing: the project's policies match their oracles; a wrong oracle or a weak policy is found,
shrunk to a minimal world and printed as SQL that reproduces it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pgmanager.config import load_settings
from pgmanager.policies import SpecSuite, fuzz, load_specs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def suite() -> SpecSuite:
    return load_specs(load_settings(ROOT))


@pytest.fixture
def conn(pgm_db) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pgm_db.dsn, autocommit=True) as c:
        yield c


def test_the_projects_policies_match_their_oracles(conn: psycopg.Connection, suite: SpecSuite) -> None:
    assert suite.world is not None
    results = fuzz(conn, suite.world, list(suite.oracles.values()), examples=10)
    assert [(r.table, r.passed) for r in results] == [(t, True) for t in suite.oracles]
    assert all(r.examples == 10 for r in results)
    assert conn.execute("select count(*) from public.projects").fetchone() == (3,)  # worlds were rolled back


def test_a_wrong_oracle_is_shrunk_to_a_minimal_world(conn: psycopg.Connection, suite: SpecSuite) -> None:
    assert suite.world is not None
    wrong = dataclasses.replace(suite.oracles["public.projects"],
                                predicate="coalesce((t.settings ->> 'isPublic')::boolean, false) "
                                          "or t.user_id = viewer.id")  # forgets membership
    [result] = fuzz(conn, suite.world, [wrong], examples=60)
    assert not result.passed
    assert "RLS shows 1 row(s) the oracle forbids" in result.message
    repro = result.reproduction or ""
    # minimal: two users, one project of one of them, one membership of the other
    assert repro.count('insert into "public"."projects"') == 1
    assert repro.count('insert into "public"."project_members"') == 1
    assert repro.count('insert into "public"."files"') == 0 and repro.count('"usage_metrics"') == 0
    assert "set local role \"authenticated\";" in repro and repro.rstrip().endswith("rollback;")
    conn.execute(repro)  # the reproduction runs as printed
    assert conn.execute("select count(*) from public.projects").fetchone() == (3,)


def test_a_weakened_policy_leaks_and_is_found(conn: psycopg.Connection, suite: SpecSuite) -> None:
    assert suite.world is not None
    conn.execute('drop policy "Members and owners can view project members" on public.project_members')
    conn.execute("create policy weak on public.project_members for select to authenticated "
                 "using (private.is_project_owner(project_id) or user_id = (select auth.uid()))")
    [result] = fuzz(conn, suite.world, [suite.oracles["public.project_members"]], examples=60)
    assert not result.passed and "RLS hides" in result.message  # a member no longer sees the other members
