"""SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock."""

from __future__ import annotations

from collections.abc import Iterable

from pglast.enums import AlterTableType

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import alter_cmds, is_new_table


class AddingNotNullableField(Rule):
    """Setting an existing column ``NOT NULL`` scans the whole table while blocking it.

    **Problem.** ``ALTER TABLE ... ALTER COLUMN ... SET NOT NULL`` must check every row, and holds an
    ``ACCESS EXCLUSIVE`` lock (no reads, no writes) for the whole scan.

    **Solution.** Since PostgreSQL 12, a validated ``CHECK (col IS NOT NULL)`` constraint lets
    ``SET NOT NULL`` skip the scan. Add the check ``NOT VALID``, validate it (a weaker lock), then set
    the column not null and drop the check::

        alter table users add constraint users_email_not_null check (email is not null) not valid;
        alter table users validate constraint users_email_not_null;
        alter table users alter column email set not null;
        alter table users drop constraint users_email_not_null;
    """

    name = "adding-not-nullable-field"
    category = Category.SAFETY
    help = "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL (no scan)"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        rv = getattr(stmt.node, "relation", None)
        if is_new_table(rv, stmt, ctx):
            return
        for cmd in alter_cmds(stmt.node, AlterTableType.AT_SetNotNull):
            yield Violation(f"SET NOT NULL on column {cmd.name!r} scans the table under an ACCESS EXCLUSIVE lock",
                            stmt)
