"""BEGIN / COMMIT in a migration: pgmanager owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pglast import ast
from pglast.enums import TransactionStmtKind

from ...models import Severity
from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation

OPENS = {TransactionStmtKind.TRANS_STMT_BEGIN, TransactionStmtKind.TRANS_STMT_START}
CLOSES = {TransactionStmtKind.TRANS_STMT_COMMIT, TransactionStmtKind.TRANS_STMT_ROLLBACK,
          TransactionStmtKind.TRANS_STMT_PREPARE, TransactionStmtKind.TRANS_STMT_COMMIT_PREPARED,
          TransactionStmtKind.TRANS_STMT_ROLLBACK_PREPARED}


def transaction_blocks(statements: Iterable[Statement]) -> Iterator[tuple[Statement, bool]]:
    """Each statement with whether it stands inside an explicit BEGIN ... COMMIT block of the file."""
    inside = False
    for stmt in statements:
        node = stmt.node
        if isinstance(node, ast.TransactionStmt):
            if node.kind in OPENS:
                yield stmt, inside
                inside = True
                continue
            if node.kind in CLOSES:
                inside = False
        yield stmt, inside


class TransactionNesting(Rule):
    """Do not ``BEGIN``, ``COMMIT`` or ``ROLLBACK`` in a migration.

    **Problem.** pgmanager runs each migration in its own transaction, together with the row that
    records it in the history table. A ``BEGIN`` inside only warns ("there is already a transaction in
    progress"), but the ``COMMIT`` that follows commits pgmanager's transaction early: a later
    failure leaves the migration half-applied and unrecorded, and the next run applies it again.

    **Solution.** Remove the transaction control statements. A migration that must run outside a
    transaction (``CREATE INDEX CONCURRENTLY``) is detected and run that way automatically::

        -- no begin / commit: the file is one transaction already
        alter table items add column note text;
    """

    name = "transaction-nesting"
    severity = Severity.ERROR
    category = Category.CORRECTNESS
    help = "remove BEGIN/COMMIT/ROLLBACK: pgmanager runs each migration in its own transaction"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        node = stmt.node
        if not isinstance(node, ast.TransactionStmt):
            return
        if node.kind in OPENS:
            yield Violation("BEGIN inside a migration: pgmanager already runs it in a transaction", stmt)
        elif node.kind in CLOSES:
            yield Violation(f"{stmt.text.split()[0].upper()} inside a migration ends pgmanager's transaction "
                            "early: a later failure leaves the migration half-applied", stmt)
        elif node.kind in (TransactionStmtKind.TRANS_STMT_SAVEPOINT, TransactionStmtKind.TRANS_STMT_RELEASE,
                           TransactionStmtKind.TRANS_STMT_ROLLBACK_TO):
            yield Violation("savepoints belong to the migrator, not the migration", stmt)
