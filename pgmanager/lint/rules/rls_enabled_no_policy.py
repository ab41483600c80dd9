"""Row level security is enabled on a table that has no policy."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity, SqlFile
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import report_at


class RlsEnabledNoPolicy(Rule):
    """Row level security is enabled on a table, but no policy is ever created for it.

    **Problem.** With RLS on and no policy, every role but the owner and ``BYPASSRLS`` roles sees
    no row and can write none. That is sometimes the intent (a table only the server reaches with
    ``service_role``), but more often a policy file was forgotten, and the API silently returns
    empty results.

    **Solution.** Write the policies the table needs. If the table is meant for the server only,
    say so with an ignore comment on the ``enable`` statement::

        -- pgmanager-ignore rls-enabled-no-policy: server-side only (service_role)
        alter table public.audit_log enable row level security;
    """

    name = "rls-enabled-no-policy"
    severity = Severity.INFO
    category = Category.SECURITY
    help = "create policies for the roles that should reach the table, or mark it server-only with an ignore"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        for table in ctx.schema.tables.values():
            if table.rls_enabled and not ctx.schema.policies_on(table.name):
                yield from report_at(ctx, table.rls_enabled_in or table.defined_in,
                                     f"row level security is enabled on {table.name} but it has no policy: the API "
                                     "roles see no row of it")
