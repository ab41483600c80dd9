"""Who a check runs as, switched the way Supabase's API does it.

PostgREST connects as ``authenticator`` and, per request, runs ``SET LOCAL ROLE <role claim>`` and
``set_config('request.jwt.claims', <claims json>, true)`` inside a transaction. We do the same inside a
transaction (or savepoint) that is always rolled back, so nothing leaks between identities.

A check made by a role that bypasses RLS (a superuser, or BYPASSRLS) proves nothing about the policies:
:func:`act_as` refuses unless the identity declares that it is expected to bypass (service_role).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from ..errors import PgmError

# Supabase's service_role has BYPASSRLS by design: it is the server-side key.
BYPASS_EXPECTED = frozenset({"service_role"})


class RlsBypassError(PgmError):
    """An RLS check would run as a role that bypasses RLS, so it would prove nothing."""


@dataclass(frozen=True)
class Identity:
    """A request's identity: a database role, optionally a user id, and extra JWT claims."""

    name: str
    role: str
    user_id: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def bypass_expected(self) -> bool:
        return self.role in BYPASS_EXPECTED

    def payload(self) -> dict[str, Any]:
        """The JWT claims as PostgREST would set them."""
        out: dict[str, Any] = {"role": self.role, **self.claims}
        if self.user_id is not None:
            out["sub"] = self.user_id
        return out


def switch_identity(conn: psycopg.Connection, identity: Identity, allow_bypass: bool = False) -> None:
    conn.execute(sql.SQL("set local role {}").format(sql.Identifier(identity.role)))
    row = conn.execute(
        "select set_config('request.jwt.claims', %s, true), r.rolsuper, r.rolbypassrls"
        " from pg_catalog.pg_roles as r where r.rolname = current_user",
        [json.dumps(identity.payload())],
    ).fetchone()
    bypasses = bool(row and (row[1] or row[2]))
    if bypasses and not (identity.bypass_expected or allow_bypass):
        raise RlsBypassError(
            f"role {identity.role!r} bypasses row level security (superuser or BYPASSRLS): a check run as it "
            "proves nothing about the policies", where=f"identity {identity.name}",
            hint="run checks as anon, authenticated or another role without BYPASSRLS")


@contextmanager
def act_as(conn: psycopg.Connection, identity: Identity) -> Iterator[psycopg.Connection]:
    """Run the block as ``identity`` in a transaction (a savepoint when nested) that is rolled back."""
    with conn.transaction(force_rollback=True):
        switch_identity(conn, identity)
        yield conn


@contextmanager
def as_user(conn: psycopg.Connection, role: str, user_id: str | None = None,
            claims: dict[str, Any] | None = None, *, allow_bypass: bool = False) -> Iterator[psycopg.Connection]:
    """Act as ``role`` and optionally a user, in a rolled-back transaction (the pytest plugin's helper).

    Refuses a role that bypasses RLS (superuser or BYPASSRLS) other than service_role, unless
    ``allow_bypass`` says the test means it.
    """
    identity = Identity(name=role if user_id is None else f"{role}:{user_id}", role=role, user_id=user_id,
                        claims=dict(claims or {}))
    with conn.transaction(force_rollback=True):
        switch_identity(conn, identity, allow_bypass)
        yield conn
