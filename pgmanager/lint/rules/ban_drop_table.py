"""Dropping a table breaks the code that uses it and loses its data."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import ObjectType

from ...parse import Statement, dotted
from .._base import Category, FileContext, Rule, Violation


class BanDropTable(Rule):
    """Dropping a table breaks every client that still uses it, and its data is gone.

    **Problem.** Application code deployed before the migration still queries the table; a rollback
    of the application cannot bring the rows back.

    **Solution.** Stop using the table in the application first; rename it or revoke access for a
    release to be sure nothing needs it; then drop it with an ignore comment that says why::

        -- pgmanager-ignore ban-drop-table: replaced by events in release 42
        drop table public.legacy_events;
    """

    name = "ban-drop-table"
    category = Category.SAFETY
    help = "stop using the table first, then drop it with a pgmanager-ignore comment saying why"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        node = stmt.node
        if isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TABLE:
            for obj in node.objects or ():
                name = dotted(obj)
                if name not in ctx.created_before(stmt):
                    yield Violation(f"dropping table {name} breaks clients still using it and loses its rows", stmt)
