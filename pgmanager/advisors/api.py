"""What the API serves: views that bypass row level security, auth.users, materialized views and foreign
tables, columns that look like secrets, extensions in an exposed schema."""

from __future__ import annotations

from collections.abc import Iterable

from psycopg import sql

from ..lint.policy_facts import anon_select_policy, is_sensitive_column
from ..models import Severity
from ._base import EXPOSED, NOT_EXTENSION_MEMBER, ROLE_PRIVILEGE, Advisor, AdvisorContext, Hit
from .rls import policies

_OWNED = NOT_EXTENSION_MEMBER.format(oid=sql.SQL("c.oid"))
_INVOKER = sql.SQL("exists (select 1 from unnest(c.reloptions) as o "
                   "where lower(o) ~ '^security_invoker=(1|t|true|y|yes|on)$')")
_KIND = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "f": "foreign table"}

# Every relation a view reads, through the views it reads (their rewrite rules' dependencies).
_READS = sql.SQL("""
with recursive reads(view, rel) as (
    select r.ev_class, d.refobjid
    from pg_catalog.pg_rewrite as r
    join pg_catalog.pg_depend as d on d.objid = r.oid and d.classid = 'pg_catalog.pg_rewrite'::regclass
     and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> r.ev_class
  union
    select reads.view, d.refobjid
    from reads
    join pg_catalog.pg_rewrite as r on r.ev_class = reads.rel
    join pg_catalog.pg_depend as d on d.objid = r.oid and d.classid = 'pg_catalog.pg_rewrite'::regclass
     and d.refclassid = 'pg_catalog.pg_class'::regclass and d.refobjid <> r.ev_class
)
""")


def _privileged(ctx: AdvisorContext) -> sql.Composable:
    return ROLE_PRIVILEGE if ctx.api_roles else sql.SQL("true")


class SecurityDefinerView(Advisor):
    twin = "security-definer-view"
    splinter = "security_definer_view"

    _QUERY = sql.SQL("""{reads}
select n.nspname || '.' || c.relname as name,
       array_agg(distinct tn.nspname || '.' || t.relname) as tables
from pg_catalog.pg_class as c
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
join reads on reads.view = c.oid
join pg_catalog.pg_class as t on t.oid = reads.rel and t.relkind in ('r', 'p') and t.relrowsecurity
join pg_catalog.pg_namespace as tn on tn.oid = t.relnamespace
where c.relkind = 'v' and not {invoker} and {exposed} and {owned} and {privileged}
group by 1
order by 1
""")

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        if ctx.server_version < 150000:
            return  # security_invoker came with PostgreSQL 15: there is no fix before it
        query = self._QUERY.format(reads=_READS, invoker=_INVOKER, exposed=EXPOSED, owned=_OWNED,
                                   privileged=_privileged(ctx))
        for r in ctx.rows(query):
            yield Hit("view", r["name"], f"view {r['name']} reads {', '.join(sorted(r['tables']))} with its owner's "
                                         "rights, bypassing row level security: set security_invoker = true")


class AuthUsersExposed(Advisor):
    twin = "auth-users-exposed"
    splinter = "auth_users_exposed"
    needs_auth_users = True

    _QUERY = sql.SQL("""{reads}
select distinct n.nspname || '.' || c.relname as name, c.relkind::text as kind, {invoker} as invoker
from pg_catalog.pg_class as c
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
join reads on reads.view = c.oid
join pg_catalog.pg_class as u on u.oid = reads.rel and u.relname = 'users'
join pg_catalog.pg_namespace as un on un.oid = u.relnamespace and un.nspname = 'auth'
where c.relkind in ('v', 'm') and {exposed} and {owned} and {privileged}
  and (c.relkind = 'm' or not {invoker} or not u.relrowsecurity)
order by 1
""")

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        query = self._QUERY.format(reads=_READS, invoker=_INVOKER, exposed=EXPOSED, owned=_OWNED,
                                   privileged=_privileged(ctx))
        for r in ctx.rows(query):
            kind = _KIND[r["kind"]]
            how = ("with its owner's rights" if kind == "view" and not r["invoker"] else
                   "(row level security does not apply to it)" if kind != "view" else
                   "(auth.users has no row level security)")
            yield Hit(kind, r["name"], f"{kind} {r['name']} exposes auth.users through the API {how}")


class _Relkind(Advisor):
    """Relations of one kind that the API serves (a helper base)."""

    relkind: str

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        query = sql.SQL("""
select n.nspname || '.' || c.relname as name
from pg_catalog.pg_class as c
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where c.relkind = {kind} and {exposed} and {owned} and {privileged}
order by 1
""").format(kind=sql.Literal(self.relkind), exposed=EXPOSED, owned=_OWNED, privileged=_privileged(ctx))
        kind = _KIND[self.relkind]
        for r in ctx.rows(query):
            yield Hit(kind, r["name"], f"{kind} {r['name']} is served by the API, and row level security does not "
                                       f"apply to a {kind}")


class MaterializedViewInApi(_Relkind):
    """A materialized view is in a schema the API exposes (and, on Supabase, anon or authenticated may select it).

    **Problem.** Row level security does not apply to materialized views: every row stored in it
    is served to every caller allowed to select it, whatever the policies of the tables it was
    computed from say.

    **Solution.** Move it to a schema the API does not expose and serve it through a
    ``security_invoker`` view or a function that filters the rows; or revoke ``select`` from the
    API roles::

        alter materialized view public.monthly_totals set schema private;
    """

    name = "materialized-view-in-api"
    severity = Severity.WARNING
    category = "security"
    help = "move the materialized view out of the exposed schemas, or revoke select from anon and authenticated"
    relkind = "m"
    splinter = "materialized_view_in_api"


class ForeignTableInApi(_Relkind):
    """A foreign table is in a schema the API exposes (and, on Supabase, anon or authenticated may select it).

    **Problem.** Foreign tables do not support row level security: every row the remote server
    returns is served to every caller allowed to select it.

    **Solution.** Move it to a schema the API does not expose and serve what callers may see
    through a function or a view that filters the rows::

        alter foreign table public.stripe_customers set schema private;
    """

    name = "foreign-table-in-api"
    severity = Severity.WARNING
    category = "security"
    help = "move the foreign table out of the exposed schemas, or revoke select from anon and authenticated"
    relkind = "f"
    splinter = "foreign_table_in_api"


class SensitiveColumnsExposed(Advisor):
    twin = "sensitive-columns-exposed"
    splinter = "sensitive_columns_exposed"

    _QUERY = sql.SQL("""
select n.nspname || '.' || c.relname as name, c.relkind::text as kind, c.relrowsecurity as rls, {invoker} as invoker,
       array(select a.attname::text from pg_catalog.pg_attribute as a
             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and {column_privileged}
             order by a.attnum) as columns
from pg_catalog.pg_class as c
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'v', 'm', 'f') and {exposed} and {owned}
order by 1
""")

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        column_privileged = sql.SQL("(pg_catalog.has_column_privilege('anon', c.oid, a.attnum, 'select') or "
                                    "pg_catalog.has_column_privilege('authenticated', c.oid, a.attnum, 'select'))"
                                    ) if ctx.api_roles else sql.SQL("true")
        query = self._QUERY.format(invoker=_INVOKER, column_privileged=column_privileged, exposed=EXPOSED,
                                   owned=_OWNED)
        by_table: dict[str, list] = {}
        for p in policies(ctx):
            by_table.setdefault(p.table, []).append(p)
        for r in ctx.rows(query):
            cols = [c for c in r["columns"] if is_sensitive_column(c)]
            if not cols:
                continue
            kind = _KIND[r["kind"]]
            if kind == "table":
                if r["rls"]:
                    leak = anon_select_policy(by_table.get(r["name"], []))
                    if leak is None:
                        continue
                    why = f"policy {leak.name!r} lets anon select rows"
                else:
                    why = "row level security is not enabled"
            elif kind == "view" and r["invoker"]:
                continue  # the tables' own protection applies; the table check covers them
            else:
                why = "row level security does not apply to it" if kind != "view" else "it runs with its owner's rights"
            yield Hit(kind, r["name"], f"{kind} {r['name']} exposes {', '.join(cols)} through the API: {why}")


class ExtensionInPublic(Advisor):
    twin = "extension-in-public"
    splinter = "extension_in_public"

    _QUERY = sql.SQL("""
select e.extname as name, n.nspname as schema
from pg_catalog.pg_extension as e
join pg_catalog.pg_namespace as n on n.oid = e.extnamespace
where e.extname <> 'plpgsql' and {exposed}
order by 1
""").format(exposed=EXPOSED)

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for r in ctx.rows(self._QUERY):
            yield Hit("extension", r["name"], f"extension {r['name']} is installed in schema {r['schema']}, which "
                                              "the API exposes")
