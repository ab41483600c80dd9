"""char(n) pads with spaces; use text."""

from __future__ import annotations

from collections.abc import Iterable

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import column_type, defined_columns


class BanCharField(Rule):
    """Do not use ``char(n)`` / ``character(n)``.

    **Problem.** ``char(n)`` pads values with spaces to ``n`` characters, compares ignoring trailing
    spaces, and is no faster or smaller than ``text`` (it is usually bigger). Changing ``n`` later
    rewrites the table.

    **Solution.** Use ``text`` (with a ``CHECK (char_length(col) = n)`` constraint if the length
    matters)::

        create table countries (code text not null check (char_length(code) = 2));
    """

    name = "ban-char-field"
    category = Category.SAFETY
    help = "use text (with a char_length check constraint) instead of char(n)"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        for col in defined_columns(stmt.node):
            if column_type(col.typeName) in ("bpchar", "char", "character"):
                yield Violation(f"column {col.colname!r} is char(n): blank-padded, use text", stmt,
                                offset=col.location)
