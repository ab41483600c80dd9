"""A table in an exposed schema never gets row level security."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity, SqlFile
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import is_exposed, report_at


class RlsDisabledInPublic(Rule):
    """A table in a schema the API exposes never has row level security enabled.

    **Problem.** Supabase's API (PostgREST) serves every table of the exposed schemas (``public``
    by default) to the ``anon`` and ``authenticated`` roles, which hold table privileges there by
    default. Without row level security, anyone holding the public anon key reads and writes
    every row. The rule looks at the whole project: a table created in a migration and given
    ``enable row level security`` in ``policies/`` is fine.

    **Solution.** Enable RLS (and write policies for what each role may do), or move the table to a
    schema the API does not expose::

        alter table public.orders enable row level security;
    """

    name = "rls-disabled-in-public"
    severity = Severity.ERROR
    category = Category.SECURITY
    help = "alter table ... enable row level security (with policies), or move the table out of the exposed schemas"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        for table in ctx.schema.tables.values():
            if is_exposed(table.name, ctx.exposed_schemas) and not table.rls_enabled:
                yield from report_at(ctx, table.defined_in,
                                     f"table {table.name} is in an exposed schema and row level security is never "
                                     "enabled: every row is readable and writable through the API")
