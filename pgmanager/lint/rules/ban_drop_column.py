"""Dropping a column breaks the code that still reads it."""

from __future__ import annotations

from collections.abc import Iterable

from pglast.enums import AlterTableType

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import alter_cmds, is_new_table


class BanDropColumn(Rule):
    """Dropping a column breaks every client that still selects or writes it.

    **Problem.** During a deployment the old application version keeps running against the new
    schema: its queries naming the column fail. The data is gone too, and a rollback cannot bring
    it back.

    **Solution.** First ship application code that no longer uses the column, then drop it in a
    later migration (with a note saying that the code no longer reads it), and ignore the rule for
    that statement::

        -- pgmanager-ignore ban-drop-column: unused since release 42
        alter table users drop column legacy_flag;
    """

    name = "ban-drop-column"
    category = Category.SAFETY
    help = "stop using the column in the application first, then drop it in a later release"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        if is_new_table(getattr(stmt.node, "relation", None), stmt, ctx):
            return
        for cmd in alter_cmds(stmt.node, AlterTableType.AT_DropColumn):
            yield Violation(f"dropping column {cmd.name!r} breaks clients still using it and loses its data",
                            stmt)
