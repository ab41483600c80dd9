"""Prefer bigint over int: 32-bit ids run out."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import Severity
from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import column_type, defined_columns

SMALL_INTS = {"int2", "int4", "smallint", "integer", "int", "serial", "serial4", "serial2", "smallserial"}


class PreferBigintOverInt(Rule):
    """Prefer ``bigint`` over ``integer`` / ``smallint`` for columns that count or identify rows.

    **Problem.** A 32-bit ``integer`` stops at 2,147,483,647. Ids and counters reach that sooner than
    expected, and changing the type later rewrites the table (and every referencing column) under
    an ``ACCESS EXCLUSIVE`` lock. ``bigint`` costs 4 bytes more per row, often nothing with alignment.

    **Solution.** Use ``bigint`` (``bigint generated always as identity`` for ids)::

        create table events (id bigint generated always as identity primary key, attempts bigint);
    """

    name = "prefer-bigint-over-int"
    severity = Severity.INFO
    category = Category.SAFETY
    help = "use bigint: changing the type later rewrites the table"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        for col in defined_columns(stmt.node):
            t = column_type(col.typeName)
            if t in SMALL_INTS:
                yield Violation(f"column {col.colname!r} is {t}: a 32-bit range runs out; prefer bigint", stmt,
                                offset=col.location)
