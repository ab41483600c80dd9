"""Row level security: tables without it, policies without it, and what the policies themselves say.

The policies' expressions are read back from the catalog (``pg_get_expr``), parsed, and judged by the
same helpers as the static rules, so a policy is judged the same in a file and in a database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from ..lint.policy_facts import (
    API_ROLES,
    BYPASS_ROLES,
    COMMANDS,
    applies_to,
    call_name,
    is_true_constant,
    policy_roles,
    unwrapped_calls,
    user_metadata_refs,
)
from ..schema import PolicyInfo
from ._base import EXPOSED, NOT_EXTENSION_MEMBER, OURS, ROLE_PRIVILEGE, Advisor, AdvisorContext, Hit, parse_expression

_COMMAND = {"r": "select", "a": "insert", "w": "update", "d": "delete", "*": "all"}

_POLICY_ROWS = sql.SQL("""
select n.nspname as schema, c.relname as table, p.polname as name, p.polcmd::text as cmd,
       p.polpermissive as permissive, c.relrowsecurity as rls,
       array(select case when r = 0 then 'public' else pg_catalog.pg_get_userbyid(r)::text end
             from unnest(p.polroles) as r) as roles,
       pg_catalog.pg_get_expr(p.polqual, p.polrelid) as using_sql,
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) as check_sql
from pg_catalog.pg_policy as p
join pg_catalog.pg_class as c on c.oid = p.polrelid
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where {where}
order by 1, 2, 3
""")
_POLICIES = _POLICY_ROWS.format(
    where=sql.SQL("{} and {}").format(OURS, NOT_EXTENSION_MEMBER.format(oid=sql.SQL("c.oid"))))
STORAGE_POLICIES = _POLICY_ROWS.format(where=sql.SQL("n.nspname = 'storage' and c.relname = 'objects'"))
"""The policies on storage.objects (the platform's table, which the project's policies guard)."""

_BYPASS = "select rolname::text as role from pg_catalog.pg_roles where rolbypassrls or rolsuper"


@dataclass
class LivePolicy(PolicyInfo):
    """A policy as the catalog holds it: the schema model's PolicyInfo, plus its table's RLS flag."""

    rls_enabled: bool = False


def policies(ctx: AdvisorContext) -> list[LivePolicy]:
    """Every policy on the project's tables, its expressions parsed (read and parsed once per run)."""
    cached = ctx.cache.get("parsed policies")
    if cached is None:
        cached = ctx.cache["parsed policies"] = as_policies(ctx.shared("policies", _POLICIES))
    return list(cached)


def as_policies(rows: list[dict[str, Any]]) -> list[LivePolicy]:
    """Catalog rows of _POLICY_ROWS as policies, their expressions parsed."""
    out = []
    for r in rows:
        p = LivePolicy(name=r["name"], table=f"{r['schema']}.{r['table']}", command=_COMMAND[r["cmd"]],
                       roles=tuple(r["roles"]), permissive=r["permissive"],
                       using_node=parse_expression(r["using_sql"]), check_node=parse_expression(r["check_sql"]),
                       rls_enabled=r["rls"])
        p.__dict__["using_sql"], p.__dict__["check_sql"] = r["using_sql"], r["check_sql"]  # the catalog's text
        out.append(p)
    return out


def bypass_roles(ctx: AdvisorContext) -> frozenset[str]:
    """Roles for which policies filter nothing: Supabase's, and those with BYPASSRLS or SUPERUSER here."""
    return BYPASS_ROLES | {r["role"] for r in ctx.shared("bypass", _BYPASS)}


def _tables(where: sql.Composable) -> sql.Composed:
    return sql.SQL("""
select n.nspname || '.' || c.relname as name
from pg_catalog.pg_class as c
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and {ours} and {owned} and {where}
order by 1
""").format(ours=OURS, owned=NOT_EXTENSION_MEMBER.format(oid=sql.SQL("c.oid")), where=where)


class PolicyExistsRlsDisabled(Advisor):
    twin = "policy-exists-rls-disabled"
    splinter = "policy_exists_rls_disabled"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for p in policies(ctx):
            if not p.rls_enabled:
                yield Hit("policy", p.name, f"policy {p.name!r} on {p.table} has no effect: row level security is "
                                            "not enabled on the table", table=p.table)


class RlsEnabledNoPolicy(Advisor):
    twin = "rls-enabled-no-policy"
    splinter = "rls_enabled_no_policy"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for r in ctx.rows(_tables(sql.SQL("c.relrowsecurity and not exists "
                                          "(select 1 from pg_catalog.pg_policy as p where p.polrelid = c.oid)"))):
            yield Hit("rls", r["name"], f"row level security is enabled on {r['name']} but it has no policy: "
                                          "the API roles see no row of it")


class RlsDisabledInPublic(Advisor):
    twin = "rls-disabled-in-public"
    splinter = "rls_disabled_in_public"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        where = sql.SQL("not c.relrowsecurity and {exposed}").format(exposed=EXPOSED)
        if ctx.api_roles:
            where = sql.SQL("{} and {}").format(where, ROLE_PRIVILEGE)
        for r in ctx.rows(_tables(where)):
            yield Hit("table", r["name"], f"table {r['name']} is in an exposed schema and row level security is not "
                                          "enabled: every row is readable and writable through the API")


class MultiplePermissivePolicies(Advisor):
    twin = "multiple-permissive-policies"
    splinter = "multiple_permissive_policies"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        bypass = bypass_roles(ctx)
        by_table: dict[str, list[LivePolicy]] = {}
        for p in policies(ctx):
            if p.permissive:
                by_table.setdefault(p.table, []).append(p)
        for table, mine in by_table.items():
            roles = set(API_ROLES) if ctx.api_roles else set()
            for p in mine:
                roles |= policy_roles(p) - {"public"}
            roles = (roles - bypass) or {"public"}
            for role in sorted(roles):
                for command in COMMANDS:
                    hits = [p for p in mine if applies_to(p, role, command)]
                    if len(hits) > 1:
                        last, others = hits[-1], ", ".join(repr(p.name) for p in hits[:-1])
                        yield Hit("policy", last.name, f"policy {last.name!r} is one of {len(hits)} permissive "
                                  f"policies on {table} for role {role} and {command} (with {others}); each is "
                                  "evaluated for every row", table=table)


class RlsPolicyAlwaysTrue(Advisor):
    twin = "rls-policy-always-true"
    splinter = "rls_policy_always_true"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        bypass = bypass_roles(ctx)
        for p in policies(ctx):
            if set(p.roles) <= bypass:
                continue
            for clause, expr in (("using", p.using_node), ("with check", p.check_node)):
                if not is_true_constant(expr) or (p.command == "select" and clause == "using"):
                    continue
                what = "write any row" if clause == "with check" else "reach every row"
                yield Hit("policy", p.name, f"policy {p.name!r} on {p.table} ({p.command}) has {clause} that is "
                                            f"always true: any caller may {what}", table=p.table)


class AuthRlsInitplan(Advisor):
    twin = "auth-rls-initplan"
    splinter = "auth_rls_initplan"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for p in policies(ctx):
            for clause, expr in (("using", p.using_node), ("with check", p.check_node)):
                calls = sorted({call_name(c) for c in (unwrapped_calls(expr) if expr is not None else ())})
                if calls:
                    yield Hit("policy", p.name, f"{', '.join(c + '()' for c in calls)} in the {clause} clause of "
                                                f"policy {p.name!r} on {p.table} is evaluated for every row; wrap it "
                                                "as (select ...) to compute it once per statement", table=p.table)


class RlsReferencesUserMetadata(Advisor):
    twin = "rls-references-user-metadata"
    splinter = "rls_references_user_metadata"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for p in policies(ctx):
            clauses = [c for c, e in (("using", p.using_node), ("with check", p.check_node))
                       if e is not None and user_metadata_refs(e)]
            if clauses:
                yield Hit("policy", p.name, f"the {' and '.join(clauses)} clause of policy {p.name!r} on {p.table} "
                                            "reads user_metadata, which every user can set on their own account",
                          table=p.table)
