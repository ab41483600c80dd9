"""Adding a primary key to an existing table builds its index under an ACCESS EXCLUSIVE lock."""

from __future__ import annotations

from collections.abc import Iterable

from pglast.enums import ConstrType

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import added_columns, added_constraints, column_type, constraints_of, is_new_table
from .adding_required_field import SERIALS


class AddingSerialPrimaryKeyField(Rule):
    """Adding a primary key (or a serial column) to an existing table blocks it while it works.

    **Problem.** ``ADD PRIMARY KEY`` builds a unique index while holding an ``ACCESS EXCLUSIVE`` lock,
    and ``ADD COLUMN ... serial`` fills every existing row from a sequence, rewriting the table.
    Either way, nothing reads or writes the table until it is done.

    **Solution.** Build the unique index first with ``CREATE UNIQUE INDEX CONCURRENTLY``, then attach it
    with ``ADD CONSTRAINT ... PRIMARY KEY USING INDEX``, which is instant::

        create unique index concurrently items_pkey_idx on items (id);
        alter table items add constraint items_pkey primary key using index items_pkey_idx;
    """

    name = "adding-serial-primary-key-field"
    category = Category.SAFETY
    help = "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... PRIMARY KEY USING INDEX"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        rv = getattr(stmt.node, "relation", None)
        if is_new_table(rv, stmt, ctx):
            return
        for c in added_constraints(stmt.node):
            if c.contype == ConstrType.CONSTR_PRIMARY and not c.indexname:
                yield Violation("primary key added without USING INDEX: its index is built under an ACCESS "
                                "EXCLUSIVE lock", stmt, offset=c.location)
        for col in added_columns(stmt.node):
            if column_type(col.typeName) in SERIALS:
                yield Violation(f"serial column {col.colname!r} added to an existing table: every row is "
                                "rewritten under an ACCESS EXCLUSIVE lock", stmt, offset=col.location)
            elif any(c.contype == ConstrType.CONSTR_PRIMARY for c in constraints_of(col)):
                yield Violation(f"column {col.colname!r} is added as primary key: its index is built under an "
                                "ACCESS EXCLUSIVE lock", stmt, offset=col.location)
