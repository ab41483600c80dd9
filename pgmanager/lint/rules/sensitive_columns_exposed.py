"""Columns that look like credentials or personal data, reachable through the API."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity, SqlFile
from ...schema import PolicyInfo, TableInfo, ViewInfo
from .._base import Category, ProjectContext, Rule, Violation
from .._text import one_line
from ._anon import excludes_anon
from ._security_helpers import (
    applies_to,
    is_exposed,
    is_sensitive_column,
    policy_roles,
    report_at,
    view_columns,
    view_query,
)


def anon_select_policy(policies: list[PolicyInfo]) -> PolicyInfo | None:
    """The permissive policy that lets anon select rows of the table, or None: one that applies to anon
    (TO anon or public) with a condition anon can meet, and no restrictive policy anon cannot meet."""
    mine = [p for p in policies if applies_to(p, "anon", "select")]
    if any(not p.permissive and excludes_anon(p.using_node) for p in mine):
        return None
    return next((p for p in mine if p.permissive and not excludes_anon(p.using_node)), None)


class SensitiveColumnsExposed(Rule):
    """A table or view the API serves has columns that look like secrets or personal data
    (``password``, ``secret``, ``token``, ``api_key``, ``ssn``, ``credit_card``, ...) and nothing
    keeps them from ``anon``.

    **Problem.** Every table and view of an exposed schema is served by the API. Such a column is
    readable by anyone with the public anon key when:

    * the table has no row level security, or a permissive ``select`` policy applies to ``anon``
      (no ``TO`` clause, ``to public`` or ``to anon``) with a condition anon can meet, such as
      ``using (true)``: policies filter rows, never columns. A condition that needs the signed-in
      user (``user_id = auth.uid()``, a claim of ``auth.jwt()`` matched to a column, an ``exists``
      subquery doing so, ``auth.uid() is not null``) shows anon no row, and neither does a policy
      ``to authenticated``;
    * a view selects it without ``security_invoker = true`` (the view bypasses RLS).

    **Solution.** Keep secrets out of exposed schemas (a ``private`` schema, or Supabase Vault),
    store only hashes where a value must be checked, and give ``anon`` a view or a column list
    without them (``revoke select on t from anon; grant select (id, name) on t to anon;``). If the
    column is safe (a public token, say), add an ignore comment with the reason.
    """

    name = "sensitive-columns-exposed"
    severity = Severity.ERROR
    category = Category.SECURITY
    help = "move the column out of the exposed schemas, or protect the table with RLS and no anon select policy"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        for table in ctx.schema.tables.values():
            if is_exposed(table.name, ctx.exposed_schemas):
                yield from self._table(ctx, table)
        for view in ctx.schema.views.values():
            if is_exposed(view.name, ctx.exposed_schemas):
                yield from self._view(ctx, view)

    def _table(self, ctx: ProjectContext, table: TableInfo) -> Iterable[tuple[SqlFile, Violation]]:
        cols = [c for c in table.columns if is_sensitive_column(c)]
        if not cols:
            return
        if not table.rls_enabled:
            why = "row level security is not enabled"
        else:
            leak = anon_select_policy(ctx.schema.policies_on(table.name))
            if leak is None:
                return
            roles = ", ".join(sorted(policy_roles(leak)))
            using = one_line(leak.using_sql or "", 80)
            why = f"policy {leak.name!r} (to {roles}, using ({using})) lets anon select rows"
        yield from report_at(ctx, table.defined_in,
                             f"table {table.name} exposes {', '.join(cols)} through the API: {why}")

    def _view(self, ctx: ProjectContext, view: ViewInfo) -> Iterable[tuple[SqlFile, Violation]]:
        if view.security_invoker and not view.materialized:
            return  # the tables' own protection applies; the table check covers them
        query = view_query(ctx, view.defined_in)
        if query is None:
            return
        out = view_columns(query)
        cols = [c for c in out.names if is_sensitive_column(c)]
        for star in out.stars:
            table = ctx.schema.tables.get(star)
            if table is not None:
                cols.extend(c for c in table.columns if is_sensitive_column(c))
        if cols:
            yield from report_at(ctx, view.defined_in,
                                 f"view {view.name} exposes {', '.join(dict.fromkeys(cols))} through the API with its "
                                 "owner's rights (no security_invoker)")
