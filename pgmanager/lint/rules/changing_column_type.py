"""Changing a column's type usually rewrites the table under an ACCESS EXCLUSIVE lock."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import AlterTableType

from ...parse import Statement, rangevar_name
from ...schema import retype_without_rewrite, type_name
from .._base import Category, FileContext, Rule, Violation
from ._helpers import alter_cmds, is_new_table


class ChangingColumnType(Rule):
    """Changing a column's type rewrites the table (and its indexes) under an ``ACCESS EXCLUSIVE`` lock.

    **Problem.** ``ALTER COLUMN ... TYPE`` blocks every read and write while the table and every index
    on the column are rewritten. Only a few changes skip the rewrite: ``varchar(n)`` to ``text`` or to a
    longer ``varchar``. pgmanager knows the column's current type from the project's earlier
    migrations and does not report those.

    **Solution.** Add a new column of the new type, fill it in batches (and keep it in sync with a
    trigger), switch the application over, then drop the old column::

        alter table items add column price_cents bigint;
        -- backfill in batches, then switch readers and writers to price_cents
    """

    name = "changing-column-type"
    category = Category.SAFETY
    help = "add a new column of the new type, backfill it in batches, switch over, drop the old one"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        rv = getattr(stmt.node, "relation", None)
        if is_new_table(rv, stmt, ctx):
            return
        table = ctx.schema.table(rangevar_name(rv)) if rv is not None else None
        for cmd in alter_cmds(stmt.node, AlterTableType.AT_AlterColumnType):
            new = type_name(cmd.def_.typeName) if isinstance(cmd.def_, ast.ColumnDef) else ""
            col = table.columns.get(cmd.name or "") if table is not None else None
            if col is not None and retype_without_rewrite(col.type_name, new):
                continue
            was = f" from {col.type_name}" if col is not None else ""
            yield Violation(f"changing the type of column {cmd.name!r}{was} to {new} rewrites the table under an "
                            "ACCESS EXCLUSIVE lock", stmt)
