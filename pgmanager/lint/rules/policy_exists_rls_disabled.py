"""Policies exist on a table whose row level security is not enabled."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity, SqlFile
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import report_at


class PolicyExistsRlsDisabled(Rule):
    """A table has RLS policies but row level security is never enabled on it.

    **Problem.** Policies do nothing until ``enable row level security`` is run on their table:
    every role with table privileges sees and changes every row. The policies give a false sense
    of protection. The rule looks at the schema the whole project leaves behind, so an ``enable``
    in another file (or a later ``disable``) is taken into account.

    **Solution.** Enable row level security on the table, in the same file as its policies::

        alter table public.orders enable row level security;
    """

    name = "policy-exists-rls-disabled"
    severity = Severity.ERROR
    category = Category.SECURITY
    help = "alter table ... enable row level security; policies are ignored until it is"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        for table in ctx.schema.tables.values():
            if table.rls_enabled:
                continue
            policies = ctx.schema.policies_on(table.name)
            for p in policies:
                yield from report_at(ctx, p.defined_in,
                                     f"policy {p.name!r} on {table.name} has no effect: row level security is not "
                                     "enabled on the table")
