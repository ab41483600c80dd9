"""Prefer identity columns over serial."""

from __future__ import annotations

from collections.abc import Iterable

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import column_type, defined_columns
from .adding_required_field import SERIALS


class PreferIdentity(Rule):
    """Prefer ``generated ... as identity`` over ``serial`` / ``bigserial``.

    **Problem.** A ``serial`` column is an integer with a default reading a separately owned sequence:
    its privileges must be granted apart, ``CREATE TABLE ... LIKE`` copies share the sequence, and
    nothing stops a client from inserting ids that later collide with the sequence.

    **Solution.** Use an identity column (SQL standard; the sequence belongs to the column)::

        create table items (id bigint generated always as identity primary key);
    """

    name = "prefer-identity"
    category = Category.SAFETY
    help = "use bigint generated always as identity instead of serial"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        for col in defined_columns(stmt.node):
            t = column_type(col.typeName)
            if t in SERIALS:
                yield Violation(f"column {col.colname!r} is {t}; use an identity column", stmt, offset=col.location)
