"""A table without a primary key."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity, SqlFile
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import report_at


class NoPrimaryKey(Rule):
    """A table never gets a primary key.

    **Problem.** Without a primary key a row cannot be addressed reliably: logical replication
    cannot replicate its updates and deletes (``REPLICA IDENTITY`` has nothing to use), the API
    and ORMs cannot update one row, and duplicates creep in. The rule looks at the whole project,
    so a primary key added by a later migration counts.

    **Solution.** Add a primary key, an identity column if nothing natural fits::

        create table public.events (
            id bigint generated always as identity primary key,
            ...
        );
    """

    name = "no-primary-key"
    severity = Severity.INFO
    category = Category.PERFORMANCE
    help = "add a primary key (e.g. id bigint generated always as identity primary key)"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        for table in ctx.schema.tables.values():
            if not table.primary_key:
                yield from report_at(ctx, table.defined_in, f"table {table.name} has no primary key")
