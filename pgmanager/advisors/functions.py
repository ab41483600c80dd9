"""Functions: a search_path their callers choose, and security definer functions the API roles may call."""

from __future__ import annotations

from collections.abc import Iterable

from psycopg import sql

from ._base import EXPOSED, NOT_EXTENSION_MEMBER, OURS, Advisor, AdvisorContext, Hit

_OWNED = NOT_EXTENSION_MEMBER.format(oid=sql.SQL("p.oid"))

_MUTABLE = sql.SQL("""
select n.nspname || '.' || p.proname as name, pg_catalog.pg_get_function_identity_arguments(p.oid) as args,
       p.prosecdef as definer
from pg_catalog.pg_proc as p
join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
where p.prokind in ('f', 'p') and {ours} and {owned}
  and not exists (select 1 from unnest(p.proconfig) as s where s ~ '^search_path=')
order by 1, 2
""").format(ours=OURS, owned=_OWNED)

_DEFINERS = sql.SQL("""
select n.nspname || '.' || p.proname as name, p.proname as short,
       pg_catalog.pg_get_function_identity_arguments(p.oid) as args,
       array_remove(array[{anon}, {authenticated}], null) as callers
from pg_catalog.pg_proc as p
join pg_catalog.pg_namespace as n on n.oid = p.pronamespace
where p.prosecdef and p.prokind in ('f', 'p') and {exposed} and {owned}
order by 1, 3
""")


def _caller(role: str, api_roles: bool) -> sql.Composable:
    if not api_roles:
        return sql.SQL("null::text")
    return sql.SQL("case when pg_catalog.has_function_privilege({r}, p.oid, 'execute') then {r} end").format(
        r=sql.Literal(role))


class FunctionSearchPathMutable(Advisor):
    twin = "function-search-path-mutable"
    splinter = "function_search_path_mutable"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for r in ctx.rows(_MUTABLE):
            definer = " (it is security definer: a caller's objects can stand in for the ones it uses)" \
                if r["definer"] else ""
            yield Hit("function", r["name"], f"function {r['name']}({r['args']}) has no fixed search_path: its names "
                                             f"resolve through the caller's search_path{definer}")


class SecurityDefinerFunctionExecutable(Advisor):
    """Live: a security definer function in an exposed schema that anon or authenticated may execute."""

    twin = "security-definer-function-in-exposed-schema"
    splinter = "anon_security_definer_function_executable, authenticated_security_definer_function_executable"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        query = _DEFINERS.format(anon=_caller("anon", ctx.api_roles),
                                 authenticated=_caller("authenticated", ctx.api_roles), exposed=EXPOSED, owned=_OWNED)
        for r in ctx.rows(query):
            if ctx.api_roles and not r["callers"]:
                continue  # nobody on the API may call it
            who = " and ".join(r["callers"]) if r["callers"] else "any API caller with execute"
            yield Hit("function", r["name"], f"security definer function {r['name']}({r['args']}) is in an exposed "
                                             f"schema: {who} may run it (/rpc/{r['short']}) with its owner's rights")
