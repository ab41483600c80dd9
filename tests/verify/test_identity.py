"""Identities are switched as Supabase does, rolled back, and never as a role that bypasses RLS."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from pgmanager.policies import Identity, RlsBypassError, act_as
from pgmanager.testing.plugin import as_user

ALICE = "00000000-0000-0000-0000-00000000000a"


@pytest.fixture
def conn(pgm_db) -> Iterator[psycopg.Connection]:
    with psycopg.connect(pgm_db.dsn, autocommit=True) as c:
        yield c


def test_claims_and_role_are_set_like_postgrest_and_rolled_back(conn: psycopg.Connection) -> None:
    with act_as(conn, Identity("alice", "authenticated", ALICE, {"email": "a@example.com"})):
        row = conn.execute("select current_user, auth.uid()::text, auth.role(), auth.email(),"
                           " current_setting('request.jwt.claims')::jsonb ->> 'sub'").fetchone()
        assert row == ("authenticated", ALICE, "authenticated", "a@example.com", ALICE)
        conn.execute("update public.users set display_name = 'changed'")
    assert conn.execute("select current_user, current_setting('request.jwt.claims', true)").fetchone() \
        in (("postgres", None), ("postgres", ""))
    assert conn.execute("select display_name from public.users where id = %s", [ALICE]).fetchone() == ("Alice",)


def test_a_superuser_check_is_refused(conn: psycopg.Connection) -> None:
    with pytest.raises(RlsBypassError, match="bypasses row level security"), \
            act_as(conn, Identity("admin", "postgres")):
        pass
    with pytest.raises(RlsBypassError), as_user(conn, "postgres"):
        pass
    with as_user(conn, "postgres", allow_bypass=True) as c:  # said on purpose
        assert c.execute("select current_user").fetchone() == ("postgres",)


def test_a_bypassrls_role_is_refused_but_service_role_is_the_declared_exception(conn: psycopg.Connection) -> None:
    role = "pgm_bypass_" + secrets.token_hex(4)  # roles are cluster-wide: a unique name, dropped after
    conn.execute(sql.SQL("create role {} nologin bypassrls").format(sql.Identifier(role)))
    try:
        with pytest.raises(RlsBypassError, match=role), act_as(conn, Identity("x", role)):
            pass
    finally:
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))
    with act_as(conn, Identity("service_role", "service_role")):
        assert conn.execute("select count(*) from public.projects").fetchone() == (3,)


def test_nested_identities_are_savepoints(conn: psycopg.Connection) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute("insert into public.projects (name, user_id) values ('outer', %s)", [ALICE])
        with act_as(conn, Identity("anon", "anon")):
            assert conn.execute("select count(*) from public.projects").fetchone() == (1,)
        with act_as(conn, Identity("alice", "authenticated", ALICE)):
            assert conn.execute("select count(*) from public.projects").fetchone() == (3,)
        assert conn.execute("select current_user").fetchone() == ("postgres",)
    assert conn.execute("select count(*) from public.projects").fetchone() == (3,)
