"""DROP INDEX without CONCURRENTLY blocks the table."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

from ...parse import Statement
from .._base import Category, FileContext, Fix, Rule, Violation
from ._helpers import in_case_of, in_explicit_transaction, index_table, keyword_end


class RequireConcurrentIndexDeletion(Rule):
    """Drop indexes ``CONCURRENTLY``.

    **Problem.** A plain ``DROP INDEX`` takes an ``ACCESS EXCLUSIVE`` lock on the table: it waits for
    every running query on the table, and every new query waits behind it.

    **Solution.** ``DROP INDEX CONCURRENTLY`` waits for running queries without blocking new ones. It
    drops one index at a time, without ``CASCADE``, outside a transaction (pgmanager runs such a
    migration statement by statement; ``--fix`` adds the keyword)::

        drop index concurrently if exists items_owner_idx;

    PostgreSQL cannot drop an index of a partitioned table concurrently: such a drop is still
    reported, with no fix; run it when the table is quiet.
    """

    name = "require-concurrent-index-deletion"
    category = Category.SAFETY
    help = "use DROP INDEX CONCURRENTLY (pgmanager then runs the migration outside a transaction)"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        node = stmt.node
        if not (isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_INDEX) or node.concurrent:
            return
        parted = [t.name for o in node.objects or () if (t := index_table(ctx.schema, o)) is not None and t.partitioned]
        if parted:
            yield Violation(f"DROP INDEX on partitioned table {parted[0]} locks it and every partition against "
                            "reads and writes, and PostgreSQL does not support CONCURRENTLY there: drop it at a "
                            "quiet time (pgmanager's short lock_timeout and retries keep queries from queueing "
                            "behind it)", stmt)
            return
        fix = None
        if len(node.objects or ()) == 1 and node.behavior != DropBehavior.DROP_CASCADE \
                and not in_explicit_transaction(stmt, ctx):
            at = keyword_end(ctx.doc.file.text, stmt.start, r"drop\s+index\b")
            fix = (Fix.insert("add CONCURRENTLY", at, in_case_of(ctx.doc.file.text, at, " concurrently"))
                   if at is not None else None)
        yield Violation("DROP INDEX without CONCURRENTLY locks the table against reads and writes", stmt, fix=fix)
