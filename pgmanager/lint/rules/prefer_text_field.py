"""Prefer text (with a check constraint) over varchar(n)."""

from __future__ import annotations

from collections.abc import Iterable

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import column_type, defined_columns


class PreferTextField(Rule):
    """Prefer ``text`` over ``varchar(n)``.

    **Problem.** Changing the maximum length of a ``varchar(n)`` column later (to make it longer) takes
    an ``ACCESS EXCLUSIVE`` lock, and on older PostgreSQL versions rewrites the table. ``varchar(n)``
    also buys no speed or storage over ``text``.

    **Solution.** Use ``text`` with a check constraint, which can be changed with ``NOT VALID`` and
    ``VALIDATE CONSTRAINT`` without blocking writes::

        create table users (name text, constraint users_name_length check (char_length(name) <= 100));
    """

    name = "prefer-text-field"
    category = Category.SAFETY
    help = "use text with a check (char_length(col) <= n) constraint instead of varchar(n)"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        for col in defined_columns(stmt.node):
            tn = col.typeName
            if column_type(tn) == "varchar" and tn is not None and tn.typmods:
                yield Violation(f"column {col.colname!r} is varchar(n); changing n later locks the table",
                                stmt, offset=col.location)
