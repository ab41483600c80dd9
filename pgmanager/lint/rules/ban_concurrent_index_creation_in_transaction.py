"""CREATE INDEX CONCURRENTLY cannot run inside a transaction block."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from ...models import Severity
from .._base import Category, FileContext, Rule, Violation
from .transaction_nesting import transaction_blocks


class BanConcurrentIndexCreationInTransaction(Rule):
    """``CREATE INDEX CONCURRENTLY`` inside a transaction block fails.

    **Problem.** PostgreSQL refuses ``CREATE INDEX CONCURRENTLY`` (and ``DROP INDEX CONCURRENTLY``)
    inside a transaction block: ``ERROR: CREATE INDEX CONCURRENTLY cannot run inside a transaction
    block``. pgmanager already runs a migration holding such a statement outside a transaction, so
    this happens when the file opens a transaction itself with ``BEGIN``.

    **Solution.** Remove ``BEGIN`` / ``COMMIT`` from the migration; pgmanager sees the concurrent
    statement and runs the file statement by statement, outside a transaction. Keep such a
    migration to the concurrent statements alone, so a failure leaves nothing half-applied::

        create index concurrently if not exists items_owner_idx on items (owner_id);
    """

    name = "ban-concurrent-index-creation-in-transaction"
    severity = Severity.ERROR
    category = Category.SAFETY
    help = "remove BEGIN/COMMIT around it: pgmanager runs a file with a concurrent index outside a transaction"

    def check_file(self, ctx: FileContext) -> Iterable[Violation]:
        for stmt, in_block in transaction_blocks(ctx.doc.statements):
            node = stmt.node
            concurrent = (isinstance(node, ast.IndexStmt) and node.concurrent) or (
                isinstance(node, ast.DropStmt) and node.concurrent)
            if concurrent and (in_block or ctx.in_transaction(stmt)):
                what = "CREATE INDEX" if isinstance(node, ast.IndexStmt) else "DROP INDEX"
                yield Violation(f"{what} CONCURRENTLY inside a transaction block fails", stmt)
