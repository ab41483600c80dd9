"""Adding a validated foreign key blocks writes on both tables while it scans."""

from __future__ import annotations

from collections.abc import Iterable

from pglast.enums import ConstrType

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import added_columns, added_constraints, constraints_of, is_new_table


class AddingForeignKeyConstraint(Rule):
    """Adding a foreign key to an existing table without ``NOT VALID`` blocks writes while it validates.

    **Problem.** ``ALTER TABLE ... ADD FOREIGN KEY`` takes a ``SHARE ROW EXCLUSIVE`` lock on both the
    table and the referenced table, then checks every existing row. Writes to both tables wait for
    the whole scan.

    **Solution.** Add the constraint ``NOT VALID`` (only new rows are checked, the lock is brief),
    then validate it in a later migration: ``VALIDATE CONSTRAINT`` only takes a ``SHARE UPDATE
    EXCLUSIVE`` lock, which lets reads and writes go on::

        alter table orders add constraint orders_user_fk
            foreign key (user_id) references users (id) not valid;
        -- next migration:
        alter table orders validate constraint orders_user_fk;
    """

    name = "adding-foreign-key-constraint"
    category = Category.SAFETY
    help = "add the foreign key NOT VALID, then VALIDATE CONSTRAINT in a later migration"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        rv = getattr(stmt.node, "relation", None)
        if is_new_table(rv, stmt, ctx):
            return
        for c in added_constraints(stmt.node):
            if c.contype == ConstrType.CONSTR_FOREIGN and not c.skip_validation:
                yield Violation("foreign key added without NOT VALID: writes to both tables wait while every "
                                "row is checked", stmt, offset=c.location)
        for col in added_columns(stmt.node):
            for c in constraints_of(col):
                if c.contype == ConstrType.CONSTR_FOREIGN:
                    yield Violation(f"column {col.colname!r} is added with a foreign key: the referenced table "
                                    "is locked against writes; add the column, then the constraint NOT VALID",
                                    stmt, offset=c.location)
