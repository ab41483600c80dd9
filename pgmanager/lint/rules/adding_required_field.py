"""Adding a NOT NULL column without a default fails on a table that has rows."""

from __future__ import annotations

from collections.abc import Iterable

from pglast.enums import ConstrType

from ...models import Severity
from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import added_columns, constraints_of, is_new_table

SERIALS = {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}


class AddingRequiredField(Rule):
    """Adding a ``NOT NULL`` column without a ``DEFAULT`` fails as soon as the table has rows.

    **Problem.** Existing rows would get ``NULL`` in the new column, which the constraint forbids:
    the migration passes on an empty development database and fails in production.

    **Solution.** Give the column a default (a constant default is instant since PostgreSQL 11), or
    add it nullable, backfill it, then make it ``NOT NULL``::

        alter table users add column plan text not null default 'free';
    """

    name = "adding-required-field"
    severity = Severity.ERROR
    category = Category.SAFETY
    help = "add a DEFAULT, or add the column nullable, backfill, then SET NOT NULL"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        rv = getattr(stmt.node, "relation", None)
        if is_new_table(rv, stmt, ctx):
            return
        for col in added_columns(stmt.node):
            kinds = {c.contype for c in constraints_of(col)}
            type_ = (getattr(col.typeName.names[-1], "sval", "") if col.typeName and col.typeName.names else "")
            if (ConstrType.CONSTR_NOTNULL in kinds or col.is_not_null) and not kinds & {
                ConstrType.CONSTR_DEFAULT, ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_GENERATED
            } and type_ not in SERIALS:
                yield Violation(f"NOT NULL column {col.colname!r} has no default: the migration fails on a "
                                "table that has rows", stmt, offset=col.location)
