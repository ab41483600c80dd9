"""Adding a UNIQUE constraint builds its index under an ACCESS EXCLUSIVE lock."""

from __future__ import annotations

from collections.abc import Iterable

from pglast.enums import ConstrType

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import added_columns, added_constraints, constraints_of, is_new_table


class DisallowedUniqueConstraint(Rule):
    """Adding a ``UNIQUE`` constraint to an existing table blocks it while the index is built.

    **Problem.** ``ADD CONSTRAINT ... UNIQUE`` (or ``ADD COLUMN ... UNIQUE``) builds a unique index
    while holding an ``ACCESS EXCLUSIVE`` lock: no reads or writes for the whole build.

    **Solution.** Build the index concurrently, then attach it as the constraint, which is instant::

        create unique index concurrently users_email_key_idx on users (email);
        alter table users add constraint users_email_key unique using index users_email_key_idx;
    """

    name = "disallowed-unique-constraint"
    category = Category.SAFETY
    help = "CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... UNIQUE USING INDEX"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        if is_new_table(getattr(stmt.node, "relation", None), stmt, ctx):
            return
        for c in added_constraints(stmt.node):
            if c.contype == ConstrType.CONSTR_UNIQUE and not c.indexname:
                yield Violation("UNIQUE constraint added without USING INDEX: its index is built under an "
                                "ACCESS EXCLUSIVE lock", stmt, offset=c.location)
        for col in added_columns(stmt.node):
            if any(c.contype == ConstrType.CONSTR_UNIQUE for c in constraints_of(col)):
                yield Violation(f"column {col.colname!r} is added UNIQUE: its index is built under an ACCESS "
                                "EXCLUSIVE lock", stmt, offset=col.location)
