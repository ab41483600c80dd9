"""Strangers: no user, nor anon, sees or changes another user's rows unless a policy makes them public.

Needs no spec. A row's owner is the user at the end of its foreign keys to auth.users
(:func:`owner_query`). Each permissive policy is evaluated alone, per viewer: in a rolled-back
transaction the table's policies are replaced by one SELECT policy with the candidate's USING (plus
the restrictive policies of the same command), and the viewer selects. The rows of other users it
admits are pinned on that policy. A row another user may read is public when the same USING admits it
for an anonymous request (anon, no user): ``using (true)`` and ``using (is_public)`` do,
``auth.uid() is not null`` does not. Changing another user's row (UPDATE, DELETE) is a leak whatever
the policy; the probe is blind, as ``update t set col = 'x'`` is (SELECT policies do not filter it).
INSERT: the viewer inserts a copy of another user's row (new keys) under each WITH CHECK alone; a new
row that belongs to someone else is a leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from ..catalog import Table, read_catalog
from ..models import Finding, Severity
from ._catalog import Relation, has_privilege, relations
from ._identity import Identity, RlsBypassError, act_as, switch_identity
from ._matrix import _key_expr, copy_query
from ._world import owner_query

CHECKED = {"SELECT": "r", "INSERT": "a", "UPDATE": "w", "DELETE": "d"}
ANONYMOUS = Identity(name="an anonymous request", role="anon")
Locate = Callable[[str, str], tuple[str, int]]
"""(table, policy name) -> (file, line) of its CREATE POLICY."""


@dataclass(frozen=True)
class Policy:
    name: str
    permissive: bool
    command: str  # pg_policy.polcmd: r a w d or * (ALL)
    roles: tuple[str, ...]  # "public" for PUBLIC
    using: str | None
    check: str | None = None

    def condition(self, command: str) -> str | None:
        """What the policy tests for ``command``: WITH CHECK for INSERT (USING when an ALL policy has none)."""
        return (self.check or self.using) if command == "INSERT" else self.using

    def applies(self, role: str, command: str) -> bool:
        return self.command in (CHECKED[command], "*") and ("public" in self.roles or role in self.roles)


@dataclass
class StrangerResult:
    problems: list[Finding] = field(default_factory=list)
    cells: dict[tuple[str, str, str], str] = field(default_factory=dict)
    """(table, identity, command) -> why the cell leaks."""


def read_policies(conn: psycopg.Connection, rel: Relation) -> list[Policy]:
    rows = conn.execute(
        """
        select p.polname, p.polpermissive, p.polcmd::text,
               coalesce((select array_agg(case when r.oid = 0 then 'public' else pg_catalog.pg_get_userbyid(r.oid)
                                          end order by r.oid) from unnest(p.polroles) as r(oid)), '{}'),
               pg_catalog.pg_get_expr(p.polqual, p.polrelid), pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid)
        from pg_catalog.pg_policy as p where p.polrelid = %s order by p.polname
        """, [rel.oid]).fetchall()
    return [Policy(name, permissive, cmd, tuple(roles), using, check)
            for name, permissive, cmd, roles, using, check in rows]


def _roles(policy: Policy) -> sql.Composable:
    if "public" in policy.roles:
        return sql.SQL("public")
    return sql.SQL(", ").join(map(sql.Identifier, policy.roles))


def probe(conn: psycopg.Connection, rel: Relation, every: list[Policy], candidate: Policy,
          restrictive: list[Policy], viewer: Identity) -> set[str]:
    """The keys of the rows ``candidate``'s USING alone admits for ``viewer`` (restrictive ones still apply)."""
    with conn.transaction(force_rollback=True):
        for p in every:
            conn.execute(sql.SQL("drop policy {} on {}").format(sql.Identifier(p.name), rel.ident))
        # the expressions are pg_get_expr()'s text of the project's own policies
        conn.execute(sql.SQL("create policy pgm_probe on {} as permissive for select to public using ({})").format(
            rel.ident, sql.SQL(candidate.using or "false")))
        for i, r in enumerate(restrictive):
            conn.execute(sql.SQL("create policy {} on {} as restrictive for select to {} using ({})").format(
                sql.Identifier(f"pgm_probe_r{i}"), rel.ident, _roles(r), sql.SQL(r.using or "true")))
        conn.execute(sql.SQL("grant select on {} to {}").format(rel.ident, sql.Identifier(viewer.role)))
        try:
            with act_as(conn, viewer):
                return {r[0] for r in conn.execute(sql.SQL("select {} from {} as t").format(
                    _key_expr(rel), rel.ident)).fetchall()}
        except RlsBypassError:
            raise
        except psycopg.Error:  # the expression fails for this viewer (a table it may not read): admits nothing
            return set()


def probe_insert(conn: psycopg.Connection, catalog: dict[str, Table], rel: Relation, every: list[Policy],
                 candidate: Policy, restrictive: list[Policy], viewer: Identity, source: dict[str, Any]) -> set[str]:
    """Insert a copy of another user's row as ``viewer`` with ``candidate``'s WITH CHECK alone: the keys
    of the new rows that belong to someone else (empty when the insert is refused)."""
    with conn.transaction(force_rollback=True):
        for p in every:
            conn.execute(sql.SQL("drop policy {} on {}").format(sql.Identifier(p.name), rel.ident))
        conn.execute(sql.SQL("create policy pgm_probe on {} as permissive for insert to public with check ({})").format(
            rel.ident, sql.SQL(candidate.condition("INSERT") or "false")))
        for i, r in enumerate(restrictive):
            conn.execute(sql.SQL("create policy {} on {} as restrictive for insert to {} with check ({})").format(
                sql.Identifier(f"pgm_probe_r{i}"), rel.ident, _roles(r), sql.SQL(r.condition("INSERT") or "true")))
        conn.execute(sql.SQL("grant insert on {} to {}").format(rel.ident, sql.Identifier(viewer.role)))
        before = set(_owners(conn, catalog, rel))
        query, params = copy_query(conn, rel, source)
        try:
            with conn.transaction():  # released on success: the role stays switched until reset below
                switch_identity(conn, viewer)
                conn.execute(query, params)
        except RlsBypassError:
            raise
        except psycopg.Error:  # refused (42501) or the copy breaks a constraint: nothing inserted
            return set()
        conn.execute("reset role")
        return {k for k, o in _owners(conn, catalog, rel).items()
                if k not in before and o is not None and o != viewer.user_id}


def _row_of(conn: psycopg.Connection, rel: Relation, key: str) -> dict[str, Any] | None:
    row = conn.execute(sql.SQL("select to_jsonb(t) from {} as t where {} = %s").format(rel.ident, _key_expr(rel)),
                       [key]).fetchone()
    return row[0] if row else None


def _owners(conn: psycopg.Connection, catalog: dict[str, Table], rel: Relation) -> dict[str, str | None]:
    query = owner_query(catalog, rel.qualified, _key_expr(rel))
    if query is None:
        return {}
    return {r[0]: r[1] for r in conn.execute(query).fetchall()}


def stranger_leaks(conn: psycopg.Connection, schemas: list[str], viewers: list[Identity],
                   locate: Locate) -> StrangerResult:
    """Every table of ``schemas`` with owned rows, every checked command, permissive policy and viewer."""
    out = StrangerResult()
    catalog = read_catalog(conn)
    for rel in relations(conn, schemas):
        if not rel.is_table or not rel.rls:
            continue  # RLS off is its own finding
        owners = _owners(conn, catalog, rel)
        if not any(owners.values()):
            continue
        every = read_policies(conn, rel)
        for command in CHECKED:
            restrictive = [p for p in every if not p.permissive and p.condition(command)
                           and p.command in (CHECKED[command], "*")]
            for policy in every:
                if not policy.permissive or not policy.condition(command):
                    continue
                public: set[str] | None = None
                leaked: dict[str, set[str]] = {}
                for viewer in viewers:
                    if command == "SELECT" and viewer.user_id is None:
                        continue  # what anon reads is public by definition
                    if not policy.applies(viewer.role, command) or not has_privilege(conn, viewer.role, rel, command):
                        continue
                    if command == "INSERT":
                        victim = next((k for k, o in owners.items() if o is not None and o != viewer.user_id), None)
                        source = _row_of(conn, rel, victim) if victim is not None else None
                        others = set() if source is None else probe_insert(conn, catalog, rel, every, policy,
                                                                            restrictive, viewer, source)
                    else:
                        others = {k for k in probe(conn, rel, every, policy, restrictive, viewer)
                                  if owners.get(k) is not None and owners[k] != viewer.user_id}
                    if command == "SELECT" and others:
                        if public is None:
                            public = probe(conn, rel, every, policy, restrictive, ANONYMOUS)
                        others -= public
                    if others:
                        leaked[viewer.name] = others
                if leaked:
                    out.problems.append(_finding(rel, command, policy, leaked, locate))
                    for name, keys in leaked.items():
                        out.cells[(rel.qualified, name, command)] = \
                            f"{len(keys)} row(s) of other users through policy {policy.name!r}"
    return out


def _finding(rel: Relation, command: str, policy: Policy, leaked: dict[str, set[str]], locate: Locate) -> Finding:
    rows = set().union(*leaked.values())
    verb = {"SELECT": "read", "INSERT": "insert", "UPDATE": "update", "DELETE": "delete"}[command]
    who = ", ".join(leaked)
    if command == "SELECT":
        why = ("its USING does not make them public (an anonymous request would not see them); compare the "
               "row's owner with (select auth.uid()), or write using (true) if every row is meant to be public")
    elif command == "INSERT":
        why = "its WITH CHECK lets a user write rows in another user's name: compare the new row's owner with " \
              "(select auth.uid())"
    else:
        why = "a policy may make rows public to read, never to change: compare the row's owner with (select auth.uid())"
    file, line = locate(rel.qualified, policy.name)
    return Finding(rule="stranger-leak", severity=Severity.ERROR, file=file, line=line,
                   message=f"{rel.qualified}: {who} can {verb} rows of other users ({len(rows)} in all) through "
                           f"policy \"{policy.name}\", e.g. key {sorted(rows)[0]}; {why}")
