"""TRUNCATE ... CASCADE empties every table that references this one."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import DropBehavior

from ...models import Severity
from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation


class BanTruncateCascade(Rule):
    """``TRUNCATE ... CASCADE`` also empties every table with a foreign key to it, recursively.

    **Problem.** Which tables ``CASCADE`` reaches depends on the foreign keys of the target database,
    not on what the migration names: a new referencing table added by someone else is silently
    emptied too.

    **Solution.** Name every table to truncate explicitly, without ``CASCADE``; PostgreSQL then
    refuses if a referencing table was left out::

        truncate table order_items, orders;
    """

    name = "ban-truncate-cascade"
    severity = Severity.ERROR
    category = Category.SAFETY
    help = "list every table to truncate explicitly and drop CASCADE"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        node = stmt.node
        if isinstance(node, ast.TruncateStmt) and node.behavior == DropBehavior.DROP_CASCADE:
            yield Violation("TRUNCATE ... CASCADE empties every referencing table, named or not", stmt)
