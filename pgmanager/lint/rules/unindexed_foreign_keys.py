"""A foreign key whose columns lead no index."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity, SqlFile
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import report_at


class UnindexedForeignKeys(Rule):
    """A foreign key's columns are not the leading columns of any index.

    **Problem.** Deleting or updating a referenced row makes PostgreSQL look for referencing rows;
    without an index on the foreign key columns that is a full scan of the referencing table, for
    every row deleted (``on delete cascade`` included), under locks. Joins along the key are slow
    for the same reason. PostgreSQL does not create this index by itself.

    The rule looks at the schema the whole project leaves: an index created in a later migration
    counts, and so does any index (or primary key, or unique constraint) whose leading columns
    are the key's columns, in any order. Partial indexes do not count.

    **Solution.** Index the foreign key columns (concurrently, on an existing table)::

        create index concurrently idx_orders_customer on public.orders (customer_id);
    """

    name = "unindexed-foreign-keys"
    severity = Severity.INFO
    category = Category.PERFORMANCE
    help = "create an index whose leading columns are the foreign key's columns"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        for table in ctx.schema.tables.values():
            for fk in table.foreign_keys:
                if not fk.columns or table.covered(fk.columns):
                    continue
                cols = ", ".join(fk.columns)
                label = f"foreign key {fk.name}" if fk.name else "foreign key"
                yield from report_at(ctx, fk.defined_in or table.defined_in,
                                     f"{label} {table.name} ({cols}) -> {fk.ref_table} has no index on ({cols}): "
                                     f"deletes in {fk.ref_table} scan {table.name}")
