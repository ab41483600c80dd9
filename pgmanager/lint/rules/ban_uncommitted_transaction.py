"""A BEGIN with no COMMIT leaves the transaction open."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from ...models import Severity
from .._base import Category, FileContext, Rule, Violation
from .transaction_nesting import CLOSES, OPENS


class BanUncommittedTransaction(Rule):
    """A ``BEGIN`` without a matching ``COMMIT`` leaves a transaction open.

    **Problem.** When a file opens a transaction and never commits it, its changes stay invisible and
    its locks held until the session ends, and they are then rolled back. Run by hand with ``psql``,
    the statements seem to work and are silently lost.

    **Solution.** Remove ``BEGIN`` (pgmanager runs each migration in its own transaction), or end
    the block with ``COMMIT``::

        begin;
        alter table items add column note text;
        commit;
    """

    name = "ban-uncommitted-transaction"
    severity = Severity.ERROR
    category = Category.CORRECTNESS
    help = "remove the BEGIN (pgmanager owns the transaction) or end the block with COMMIT"

    def check_file(self, ctx: FileContext) -> Iterable[Violation]:
        open_stmt = None
        for stmt in ctx.doc.statements:
            node = stmt.node
            if isinstance(node, ast.TransactionStmt):
                if node.kind in OPENS:
                    open_stmt = stmt
                elif node.kind in CLOSES:
                    open_stmt = None
        if open_stmt is not None:
            yield Violation("transaction opened here is never committed", open_stmt)
