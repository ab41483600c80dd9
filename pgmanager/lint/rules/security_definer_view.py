"""A view in an exposed schema reads RLS tables with its owner's rights."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity, SqlFile
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import base_relations, is_exposed, report_at, rls_tables


class SecurityDefinerView(Rule):
    """A view in an exposed schema reads tables with row level security, without ``security_invoker``.

    **Problem.** By default a view runs with the privileges of its owner, the role that ran the
    migration, which owns the tables and so bypasses their RLS. Served by the API, the view hands
    every row of those tables to any caller allowed to select from it, whatever the policies say.
    The rule follows views through other views down to the tables, and takes the whole project
    into account (``alter view ... set (security_invoker = true)`` in a later file counts).

    **Solution.** On PostgreSQL 15 and later, make the view run with the caller's rights, so the
    tables' policies apply::

        create view public.project_stats with (security_invoker = true) as ...;

    Or move the view to a schema the API does not expose.
    """

    name = "security-definer-view"
    severity = Severity.ERROR
    category = Category.SECURITY
    help = "create the view with (security_invoker = true), or move it out of the exposed schemas"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        for view in ctx.schema.views.values():
            if view.materialized or view.security_invoker or not is_exposed(view.name, ctx.exposed_schemas):
                continue
            protected = rls_tables(ctx.schema, base_relations(ctx.schema, view.relations))
            if protected:
                names = ", ".join(t.name for t in protected)
                yield from report_at(ctx, view.defined_in,
                                     f"view {view.name} reads {names} with its owner's rights, bypassing row level "
                                     "security: set security_invoker = true")
