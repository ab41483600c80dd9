"""Prefer text (with a check constraint) over varchar(n)."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import AlterTableType

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import alter_cmds, column_type


def column_defs(node: ast.Node) -> Iterable[ast.ColumnDef]:
    """Column definitions a statement creates: CREATE TABLE columns and ALTER TABLE ADD COLUMN."""
    if isinstance(node, ast.CreateStmt):
        yield from (e for e in node.tableElts or () if isinstance(e, ast.ColumnDef))
    for cmd in alter_cmds(node, AlterTableType.AT_AddColumn):
        if isinstance(cmd.def_, ast.ColumnDef):
            yield cmd.def_


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
        for col in column_defs(stmt.node):
            tn = col.typeName
            if column_type(tn) == "varchar" and tn is not None and tn.typmods:
                yield Violation(f"column {col.colname!r} is varchar(n); changing n later locks the table",
                                stmt, offset=col.location)
