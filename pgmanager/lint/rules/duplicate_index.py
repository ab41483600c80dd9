"""Two indexes on the same table with the same columns, method and predicate."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast

from ...models import Severity, SqlFile
from ...schema import IndexInfo, TableInfo, deparse
from .._base import Category, ProjectContext, Rule, Violation
from ._security_helpers import StatementIndex, report_at, statement_at, statement_index

Signature = tuple[str, tuple[tuple[str, ...], ...], str | None]


def _element(p: ast.IndexElem) -> tuple[str, ...]:
    key = p.name if p.name else (deparse(p.expr) or "?")
    opclass = ".".join(getattr(n, "sval", "") for n in p.opclass or ())
    collation = ".".join(getattr(n, "sval", "") for n in p.collation or ())
    return (key, str(int(p.ordering or 0)), str(int(p.nulls_ordering or 0)), opclass, collation)


def _signature(ctx: ProjectContext, ix: IndexInfo, index: StatementIndex) -> Signature | None:
    """What makes two indexes interchangeable: method, keys (with order, opclass, collation), predicate.
    None for an index the rule cannot compare (an exclusion constraint's)."""
    stmt = statement_at(ctx, ix.defined_in, index)
    node = stmt.node if stmt is not None else None
    if isinstance(node, ast.IndexStmt) and (node.idxname or "") == ix.name:
        elems = tuple(_element(p) for p in node.indexParams or () if isinstance(p, ast.IndexElem))
        return (node.accessMethod or "btree", elems, deparse(node.whereClause))
    if not ix.unique:
        return None  # an exclusion constraint: its own operators and method
    # a unique constraint: a plain btree over its columns
    return ("btree", tuple((c, "0", "0", "", "") for c in ix.columns), ix.where)


class DuplicateIndex(Rule):
    """Two indexes of a table are the same: same method, columns or expressions, order and predicate.

    **Problem.** A duplicate index speeds up nothing: the planner uses one of the two. Every
    insert and update still writes both, vacuum reads both, and both take memory and disk. They
    usually appear when a migration adds an index a unique constraint or the primary key already
    provides, or when two migrations add the same index under different names.

    **Solution.** Drop the later one (concurrently, on a live table)::

        drop index concurrently if exists public.idx_orders_customer_2;

    A unique index and a plain one on the same columns are duplicates too: keep the unique one.
    An index that becomes a constraint's (``add constraint ... primary key using index idx``, or
    ``unique using index``, as ``supabase db diff`` writes) is that constraint's index, not another.
    """

    name = "duplicate-index"
    severity = Severity.WARNING
    category = Category.PERFORMANCE
    help = "drop one of the two indexes (keep the unique one, or the primary key)"

    def check_project(self, ctx: ProjectContext) -> Iterable[tuple[SqlFile, Violation]]:
        index: StatementIndex | None = None
        for table in ctx.schema.tables.values():
            # the model's columns and predicate are a cheap first cut: only when two indexes agree on
            # them are the statements read (method, order, opclass), so a clean project parses nothing
            keys = [(ix.columns, ix.where) for ix in table.indexes]
            if table.primary_key:
                keys.append((table.primary_key, None))
            if len(set(keys)) == len(keys):
                continue
            if index is None:
                index = statement_index(ctx)
            yield from self._table(ctx, table, index)

    def _table(self, ctx: ProjectContext, table: TableInfo,
               index: StatementIndex) -> Iterable[tuple[SqlFile, Violation]]:
        seen: dict[Signature, str] = {}
        if table.primary_key:
            seen[("btree", tuple((c, "0", "0", "", "") for c in table.primary_key), None)] = "the primary key"
        for ix in table.indexes:
            sig = _signature(ctx, ix, index)
            if sig is None:
                continue
            first = seen.get(sig)
            if first is None:
                seen[sig] = f"index {ix.name}" if ix.name else "an index"
                continue
            cols = ", ".join(ix.columns)
            where = f" where {ix.where}" if ix.where else ""
            label = f"index {ix.name}" if ix.name else "an unnamed index"
            yield from report_at(ctx, ix.defined_in, f"{label} on {table.name} ({cols}){where} duplicates {first}")
