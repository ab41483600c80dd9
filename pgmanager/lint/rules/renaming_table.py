"""Renaming a table breaks the clients still using the old name."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ObjectType

from ...parse import Statement, rangevar_name
from .._base import Category, FileContext, Rule, Violation
from ._helpers import is_new_table


class RenamingTable(Rule):
    """Renaming a table breaks every client still using the old name.

    **Problem.** Queries of the application version still running during the deployment name the
    old table and fail as soon as the migration commits.

    **Solution.** Rename, then create a view with the old name over the new table for the
    transition, and drop the view once every client uses the new name::

        alter table public.customer rename to customers;
        create view public.customer with (security_invoker = true) as select * from public.customers;
    """

    name = "renaming-table"
    category = Category.SAFETY
    help = "keep a view with the old name during the transition, or rename when nothing uses the table"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        node = stmt.node
        if (isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_TABLE
                and not is_new_table(node.relation, stmt, ctx)):
            yield Violation(f"renaming table {rangevar_name(node.relation)} to {node.newname!r} breaks clients using "
                            "the old name", stmt)
