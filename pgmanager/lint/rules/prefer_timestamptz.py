"""Prefer timestamptz over timestamp without time zone."""

from __future__ import annotations

from collections.abc import Iterable

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import column_type, defined_columns


class PreferTimestamptz(Rule):
    """Prefer ``timestamptz`` over ``timestamp`` (without time zone).

    **Problem.** ``timestamp`` stores a wall-clock reading with no zone: the same instant written by
    servers or sessions in different time zones gets different values, and comparisons across
    daylight-saving changes go wrong. Converting the column later rewrites the table.

    **Solution.** Use ``timestamptz``: it stores an instant (UTC) and converts on display::

        create table events (created_at timestamptz not null default now());
    """

    name = "prefer-timestamptz"
    category = Category.SAFETY
    help = "use timestamptz (timestamp with time zone)"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        for col in defined_columns(stmt.node):
            if column_type(col.typeName) == "timestamp":
                yield Violation(f"column {col.colname!r} is timestamp without time zone; use timestamptz", stmt,
                                offset=col.location)
