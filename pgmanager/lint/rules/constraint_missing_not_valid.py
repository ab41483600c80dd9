"""Adding a CHECK constraint without NOT VALID scans the table while blocking it."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import AlterTableType, ConstrType

from ...parse import rangevar_name
from .._base import Category, FileContext, Rule, Violation
from ._helpers import added_constraints, alter_cmds, is_new_table


class ConstraintMissingNotValid(Rule):
    """Add ``CHECK`` constraints to existing tables ``NOT VALID``, and validate them separately.

    **Problem.** ``ADD CONSTRAINT ... CHECK`` verifies every existing row while holding an ``ACCESS
    EXCLUSIVE`` lock. And ``VALIDATE CONSTRAINT`` in the same transaction as the ``NOT VALID`` add
    gains nothing: the lock of the add is held until the transaction ends.

    **Solution.** Add the constraint ``NOT VALID`` (instant; new rows are checked), then validate it
    in a *later* migration, which only takes a ``SHARE UPDATE EXCLUSIVE`` lock::

        alter table items add constraint items_price_positive check (price > 0) not valid;
        -- next migration:
        alter table items validate constraint items_price_positive;
    """

    name = "constraint-missing-not-valid"
    category = Category.SAFETY
    help = "add the constraint NOT VALID, then VALIDATE CONSTRAINT in a later migration"

    def check_file(self, ctx: FileContext) -> Iterable[Violation]:
        not_valid: set[tuple[str, str]] = set()
        for stmt in ctx.doc.statements:
            rv = getattr(stmt.node, "relation", None)
            if not isinstance(stmt.node, ast.AlterTableStmt) or is_new_table(rv, stmt, ctx):
                continue
            table = rangevar_name(rv)
            for c in added_constraints(stmt.node):
                if c.contype != ConstrType.CONSTR_CHECK:
                    continue
                if c.skip_validation:
                    not_valid.add((table, c.conname or ""))
                else:
                    yield Violation("CHECK constraint added without NOT VALID: every row is checked under an "
                                    "ACCESS EXCLUSIVE lock", stmt, offset=c.location)
            for cmd in alter_cmds(stmt.node, AlterTableType.AT_ValidateConstraint):
                if (table, cmd.name or "") in not_valid and ctx.in_transaction(stmt):
                    yield Violation(f"VALIDATE CONSTRAINT {cmd.name} in the transaction that added it NOT VALID "
                                    "still holds the ACCESS EXCLUSIVE lock of the add", stmt)
