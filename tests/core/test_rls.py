"""Each policy rule, held by real queries as anon, several authenticated users and service_role.

Identities come from sql/seed.sql: alice owns "Alice Private" (a1) and "Alice Public" (a2); bob is an
editor and dave a viewer of a1; carol is a stranger to alice's projects and owns c1.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from pgmanager.testing.plugin import as_user

ALICE = "00000000-0000-0000-0000-00000000000a"
BOB = "00000000-0000-0000-0000-00000000000b"
CAROL = "00000000-0000-0000-0000-00000000000c"
DAVE = "00000000-0000-0000-0000-00000000000d"
A_PRIVATE = "00000000-0000-0000-0000-0000000000a1"
A_PUBLIC = "00000000-0000-0000-0000-0000000000a2"
C_SANDBOX = "00000000-0000-0000-0000-0000000000c1"
USERS = {"alice": ALICE, "bob": BOB, "carol": CAROL, "dave": DAVE}


def names(conn: psycopg.Connection, query: str) -> list[str]:
    return sorted(str(r[0]) for r in conn.execute(query).fetchall())


def who(conn: psycopg.Connection, name: str):
    if name in ("anon", "service_role"):
        return as_user(conn, name)
    return as_user(conn, "authenticated", USERS[name])


@pytest.mark.parametrize(
    ("identity", "projects"),
    [
        ("anon", ["Alice Public"]),
        ("alice", ["Alice Private", "Alice Public"]),
        ("bob", ["Alice Private", "Alice Public"]),
        ("dave", ["Alice Private", "Alice Public"]),
        ("carol", ["Alice Public", "Carol Sandbox"]),
        ("service_role", ["Alice Private", "Alice Public", "Carol Sandbox"]),
    ],
)
def test_project_visibility(pgm_conn: psycopg.Connection, identity: str, projects: list[str]) -> None:
    with who(pgm_conn, identity) as conn:
        assert names(conn, "select name from public.projects") == projects


@pytest.mark.parametrize(
    ("identity", "count"),
    [("anon", 2), ("alice", 5), ("bob", 5), ("carol", 4), ("service_role", 7)],
)
def test_files_follow_their_project(pgm_conn: psycopg.Connection, identity: str, count: int) -> None:
    with who(pgm_conn, identity) as conn:
        assert len(names(conn, "select id from public.files")) == count


def test_owner_writes_own_project_and_a_stranger_cannot(pgm_conn: psycopg.Connection) -> None:
    with who(pgm_conn, "alice") as conn:
        cur = conn.execute("update public.projects set description = 'mine' where id = %s", [A_PRIVATE])
        assert cur.rowcount == 1
    with who(pgm_conn, "carol") as conn:
        cur = conn.execute("update public.projects set description = 'hijack' where id = %s", [A_PUBLIC])
        assert cur.rowcount == 0  # visible (public) but not carol's to write
        cur = conn.execute("delete from public.projects where id = %s", [A_PRIVATE])
        assert cur.rowcount == 0
    with who(pgm_conn, "bob") as conn:  # a member reads but does not own
        assert conn.execute("update public.projects set name = 'x' where id = %s", [A_PRIVATE]).rowcount == 0


def test_a_user_cannot_create_a_project_for_someone_else(pgm_conn: psycopg.Connection) -> None:
    with who(pgm_conn, "carol") as conn:
        conn.execute("insert into public.projects (name, user_id) values ('ok', %s)", [CAROL])
    with who(pgm_conn, "carol") as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("insert into public.projects (name, user_id) values ('forged', %s)", [ALICE])


def test_members_write_files_by_role(pgm_conn: psycopg.Connection) -> None:
    insert = "insert into public.files (project_id, path, size_bytes) values (%s, %s, 1)"
    with who(pgm_conn, "bob") as conn:  # editor
        conn.execute(insert, [A_PRIVATE, "bob.txt"])
    with who(pgm_conn, "dave") as conn, pytest.raises(errors.InsufficientPrivilege):  # viewer
        conn.execute(insert, [A_PRIVATE, "dave.txt"])
    with who(pgm_conn, "carol") as conn, pytest.raises(errors.InsufficientPrivilege):  # stranger
        conn.execute(insert, [A_PRIVATE, "carol.txt"])


@pytest.mark.parametrize("identity", ["alice", "bob", "carol", "dave"])
def test_a_user_sees_only_their_own_usage_metrics(pgm_conn: psycopg.Connection, identity: str) -> None:
    with who(pgm_conn, identity) as conn:
        owners = {str(r[0]) for r in conn.execute("select user_id from public.usage_metrics").fetchall()}
        assert owners == {USERS[identity]}


def test_anon_reads_no_usage_metrics(pgm_conn: psycopg.Connection) -> None:
    with who(pgm_conn, "anon") as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("select count(*) from public.usage_metrics")


@pytest.mark.parametrize(
    "statement",
    [
        "update public.projects set name = 'x'",
        "delete from public.files",
        "insert into public.projects (name, user_id) values ('x', '00000000-0000-0000-0000-00000000000a')",
        "select * from public.project_members",
        "select * from public.users",
    ],
)
def test_anon_holds_no_privilege_beyond_public_reads(pgm_conn: psycopg.Connection, statement: str) -> None:
    # revoked by migration 20240401000000: RLS is not the only guard
    with who(pgm_conn, "anon") as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(statement)


def test_no_profile_is_deleted_through_the_api(pgm_conn: psycopg.Connection) -> None:
    with who(pgm_conn, "alice") as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("delete from public.users")


def test_service_role_bypasses_rls(pgm_conn: psycopg.Connection) -> None:
    with who(pgm_conn, "service_role") as conn:
        assert conn.execute("select count(*) from public.usage_metrics").fetchone() == (10,)
        row = conn.execute("select rolbypassrls from pg_roles where rolname = current_user").fetchone()
        assert row == (True,)


def test_users_see_only_their_own_profile(pgm_conn: psycopg.Connection) -> None:
    with who(pgm_conn, "bob") as conn:
        assert names(conn, "select id from public.users") == [BOB]


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        ("alice", {"Alice Private": (2, 3), "Alice Public": (0, 2)}),
        ("bob", {"Alice Private": (2, 3), "Alice Public": (0, 2)}),
        ("carol", {"Alice Public": (0, 2), "Carol Sandbox": (0, 2)}),
    ],
)
def test_project_analytics_respects_rls(pgm_conn: psycopg.Connection, identity: str,
                                        expected: dict[str, tuple[int, int]]) -> None:
    with who(pgm_conn, identity) as conn:
        rows = conn.execute("select name, member_count, file_count from public.project_analytics").fetchall()
        assert {r[0]: (r[1], r[2]) for r in rows} == expected


def test_project_analytics_is_complete_for_service_role(pgm_conn: psycopg.Connection) -> None:
    with who(pgm_conn, "service_role") as conn:
        assert conn.execute("select count(*) from public.project_analytics").fetchone() == (3,)


def test_auth_helpers_read_claims_like_supabase(pgm_conn: psycopg.Connection) -> None:
    with as_user(pgm_conn, "authenticated", ALICE, {"email": "alice@example.com"}) as conn:
        row = conn.execute("select auth.uid()::text, auth.role(), auth.email(), auth.jwt() ->> 'sub'").fetchone()
        assert row == (ALICE, "authenticated", "alice@example.com", ALICE)
    with pgm_conn.transaction(force_rollback=True):  # the legacy per-claim GUC still works
        pgm_conn.execute("select set_config('request.jwt.claim.sub', %s, true)", [BOB])
        assert pgm_conn.execute("select auth.uid()::text").fetchone() == (BOB,)
    with pgm_conn.transaction(force_rollback=True):  # empty claims: nullif guard, no cast error
        pgm_conn.execute("select set_config('request.jwt.claims', '', true)")
        assert pgm_conn.execute("select auth.uid()").fetchone() == (None,)
