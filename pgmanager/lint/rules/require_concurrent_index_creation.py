"""CREATE INDEX without CONCURRENTLY blocks writes for the whole build."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from ...parse import Statement, rangevar_name
from .._base import Category, FileContext, Fix, Rule, Violation
from ._helpers import PARTITIONED_INDEX_HOWTO, in_case_of, in_explicit_transaction, is_new_table, keyword_end

CREATE_INDEX = r"create\s+(?:unique\s+)?index\b"


class RequireConcurrentIndexCreation(Rule):
    """Create indexes on existing tables ``CONCURRENTLY``.

    **Problem.** A plain ``CREATE INDEX`` takes a ``SHARE`` lock: every insert, update and delete on
    the table waits until the index is built, minutes on a large table.

    **Solution.** ``CREATE INDEX CONCURRENTLY`` builds the index while writes go on. It cannot run in a
    transaction: pgmanager sees it and runs the migration statement by statement, outside one, so
    keep such a migration to its index statements (``--fix`` adds the keyword). An index on a table
    created in the same migration is not reported: the table is new and empty::

        create index concurrently if not exists items_owner_idx on items (owner_id);

    PostgreSQL does not build an index CONCURRENTLY on a partitioned table (nor does ``--fix`` offer
    it there). Build it in steps instead: the parent's index ``ON ONLY`` (not reported), each
    partition's concurrently, then attach them::

        create index events_owner_idx on only events (owner_id);
        create index concurrently events_2024_owner_idx on events_2024 (owner_id);
        alter index events_owner_idx attach partition events_2024_owner_idx;
    """

    name = "require-concurrent-index-creation"
    category = Category.SAFETY
    help = "use CREATE INDEX CONCURRENTLY (pgmanager then runs the migration outside a transaction)"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        node = stmt.node
        if not isinstance(node, ast.IndexStmt) or is_new_table(node.relation, stmt, ctx):
            return
        table = ctx.schema.tables.get(rangevar_name(node.relation))
        if table is not None and table.partitioned:
            if node.relation is not None and node.relation.inh:  # not ON ONLY, the first step of the way round
                what = (f"CREATE INDEX CONCURRENTLY fails on partitioned table {table.name} (PostgreSQL does not "
                        "support it there)" if node.concurrent else
                        f"CREATE INDEX on partitioned table {table.name} blocks writes to every partition while it "
                        "builds, and CONCURRENTLY is not supported there")
                yield Violation(f"{what}: {PARTITIONED_INDEX_HOWTO}", stmt)
            return
        if node.concurrent:
            return
        at = keyword_end(ctx.doc.file.text, stmt.start, CREATE_INDEX)
        text = ctx.doc.file.text
        fix = Fix.insert("add CONCURRENTLY", at, in_case_of(text, at, " concurrently")) \
            if at is not None and not in_explicit_transaction(stmt, ctx) else None
        yield Violation("CREATE INDEX without CONCURRENTLY blocks writes to the table while it builds", stmt,
                        fix=fix)
