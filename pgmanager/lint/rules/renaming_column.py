"""Renaming a column breaks the clients still using the old name."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ObjectType

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import is_new_table


class RenamingColumn(Rule):
    """Renaming a column breaks every client still using the old name.

    **Problem.** The application version running during the deployment (and any cached query plans,
    views in other projects, reports) still names the old column: its queries fail the moment the
    migration commits.

    **Solution.** Add the new column, write both and backfill, move readers to the new column, then
    drop the old one in a later release. Or rename in a release where nothing reads the column::

        alter table users add column full_name text;
        -- backfill, switch the application, then drop column name later
    """

    name = "renaming-column"
    category = Category.SAFETY
    help = "add the new column and migrate readers first; drop the old one in a later release"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        node = stmt.node
        if (isinstance(node, ast.RenameStmt) and node.renameType == ObjectType.OBJECT_COLUMN
                and not is_new_table(node.relation, stmt, ctx)):
            yield Violation(f"renaming column {node.subname!r} to {node.newname!r} breaks clients using the old "
                            "name", stmt)
