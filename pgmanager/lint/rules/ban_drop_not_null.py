"""DROP NOT NULL breaks code that relies on the column being set."""

from __future__ import annotations

from collections.abc import Iterable

from pglast.enums import AlterTableType

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import alter_cmds, is_new_table


class BanDropNotNull(Rule):
    """Dropping ``NOT NULL`` breaks readers that assume a value, and is hard to take back.

    **Problem.** Clients (and typed API clients generated from the schema) assume the column always
    holds a value. Once ``NULL`` rows exist, setting ``NOT NULL`` again needs a backfill and a full
    table scan.

    **Solution.** Make sure every reader handles ``NULL`` first, then drop the constraint with an
    ignore comment that says so::

        -- pgmanager-ignore ban-drop-not-null: clients handle a missing phone since release 42
        alter table users alter column phone drop not null;
    """

    name = "ban-drop-not-null"
    category = Category.SAFETY
    help = "make every reader handle NULL first, then drop it with a pgmanager-ignore comment"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        if is_new_table(getattr(stmt.node, "relation", None), stmt, ctx):
            return
        for cmd in alter_cmds(stmt.node, AlterTableType.AT_DropNotNull):
            yield Violation(f"DROP NOT NULL on column {cmd.name!r}: readers assuming a value break", stmt)
