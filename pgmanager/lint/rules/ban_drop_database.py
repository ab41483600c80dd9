"""DROP DATABASE in a migration."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from ...models import Severity
from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation


class BanDropDatabase(Rule):
    """Never ``DROP DATABASE`` in a migration.

    **Problem.** A migration runs against every environment, production included. Dropping a database
    there destroys everything in it; it cannot even run inside a transaction to be rolled back.

    **Solution.** Drop databases by hand, deliberately, outside the migration history.
    """

    name = "ban-drop-database"
    severity = Severity.ERROR
    category = Category.SAFETY
    help = "drop databases by hand, never from a migration"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        if isinstance(stmt.node, ast.DropdbStmt):
            yield Violation(f"DROP DATABASE {stmt.node.dbname} in a migration destroys it in every environment",
                            stmt)
