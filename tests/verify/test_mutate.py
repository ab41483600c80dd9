"""Policy mutants: made by rewriting the pglast AST, applied and undone in a rolled-back transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pglast
import psycopg
import pytest

from pgmanager.api import inputs
from pgmanager.models import FileKind
from pgmanager.policies import Mutant, apply_mutant, mutants

ROOT = Path(__file__).resolve().parents[2]
UUID_COLUMNS = {"public.usage_metrics": ["id", "user_id", "project_id"], "public.projects": ["id", "user_id"]}


@pytest.fixture(scope="module")
def found() -> list[Mutant]:
    _, project = inputs.load(ROOT)
    files = [f for f in project.repeatables if f.kind == FileKind.POLICY]
    return mutants(files, UUID_COLUMNS)


def test_every_mutation_kind_is_made(found: list[Mutant]) -> None:
    record = sorted(m.mutation for m in found if m.policy == "Users can record their own usage")
    assert record == [
        "check-drop-conjunct[project_id IS NULL OR private.can_read_project(project_id)]",
        "check-drop-conjunct[user_id = (SELECT auth.uid())]",
        "check-swap-column[project_id->id]",
        "check-swap-column[project_id->user_id]",
        "check-swap-column[user_id->id]",
        "check-swap-column[user_id->project_id]",
        "check-true",
        "drop-policy",
        "to-public",
    ]
    anyone = sorted(m.mutation for m in found if m.policy == "Anyone can view public projects")
    assert anyone == ["drop-policy", "to-public", "using-true"]  # no uuid column, no AND


def test_mutant_sql_parses_and_says_what_changed(found: list[Mutant]) -> None:
    by_id = {m.id: m for m in found}
    conj = by_id["policies/usage_metrics.sql: Users can record their own usage: check-drop-conjunct"
                 "[user_id = (SELECT auth.uid())]"]
    assert conj.create is not None and "auth.uid" not in conj.create and "can_read_project" in conj.create
    public = by_id["policies/projects.sql: Users can create their own projects: to-public"]
    assert public.create is not None and " TO PUBLIC " in public.create
    assert by_id["policies/files.sql: Owners and editors can add files: drop-policy"].create is None
    for m in found:
        if m.create is not None:
            pglast.parse_sql(m.create)
    assert len({m.id for m in found}) == len(found)


@pytest.fixture
def conn(pgm_db) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pgm_db.dsn, autocommit=True) as c:
        yield c


def test_a_mutant_is_live_inside_its_transaction_and_gone_after(conn: psycopg.Connection, found: list[Mutant]) -> None:
    mutant = next(m for m in found if m.id == "policies/projects.sql: Users can view owned, shared and public "
                                                 "projects: using-true")
    carol = '{"role": "authenticated", "sub": "00000000-0000-0000-0000-00000000000c"}'

    def carol_sees() -> int:
        with conn.transaction(force_rollback=True):
            conn.execute("set local role authenticated")
            conn.execute("select set_config('request.jwt.claims', %s, true)", [carol])
            row = conn.execute("select count(*) from public.projects").fetchone()
            return int(row[0]) if row else -1

    with conn.transaction(force_rollback=True):
        apply_mutant(conn, mutant)
        assert carol_sees() == 3
    assert carol_sees() == 2
