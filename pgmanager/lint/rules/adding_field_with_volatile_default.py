"""Adding a column with a volatile default rewrites the table."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast, visitors

from ...parse import Statement
from .._base import Category, FileContext, Rule, Violation
from ._helpers import added_columns, constraints_of, is_new_table

# Functions whose value is fixed for the statement: PostgreSQL 11+ stores such a default once.
NON_VOLATILE = {"now", "transaction_timestamp", "statement_timestamp", "current_timestamp", "current_date",
                "lower", "upper", "jsonb_build_object", "json_build_object", "array", "coalesce", "to_jsonb"}


class _Calls(visitors.Visitor):
    def __init__(self) -> None:
        self.names: list[str] = []

    def visit_FuncCall(self, ancestors: object, node: ast.FuncCall) -> None:
        self.names.append(getattr(node.funcname[-1], "sval", "") if node.funcname else "")


def volatile_calls(expr: ast.Node | None) -> list[str]:
    """Functions called by a default expression that PostgreSQL evaluates per row."""
    if expr is None:
        return []
    v = _Calls()
    v(expr)
    return [n for n in v.names if n.lower() not in NON_VOLATILE]


class AddingFieldWithVolatileDefault(Rule):
    """Adding a column whose default is volatile rewrites the whole table.

    **Problem.** Since PostgreSQL 11, ``ADD COLUMN ... DEFAULT <constant>`` only records the default:
    it is instant. A *volatile* default (``gen_random_uuid()``, ``random()``, ``clock_timestamp()``,
    ``nextval()`` ...) must be computed for every existing row, so PostgreSQL rewrites the table while
    holding an ``ACCESS EXCLUSIVE`` lock: no reads or writes until it is done.

    **Solution.** Add the column without a default (or with a constant one), set the volatile default
    with ``ALTER COLUMN ... SET DEFAULT`` (applies to new rows only), then backfill existing rows in
    batches::

        alter table items add column token uuid;
        alter table items alter column token set default gen_random_uuid();
        -- backfill in batches: update items set token = gen_random_uuid() where id between ... ;
    """

    name = "adding-field-with-volatile-default"
    category = Category.SAFETY
    help = "add the column without a default, SET DEFAULT separately, then backfill in batches"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        rv = getattr(stmt.node, "relation", None)
        if is_new_table(rv, stmt, ctx):
            return
        for col in added_columns(stmt.node):
            for c in constraints_of(col):
                calls = volatile_calls(c.raw_expr) if c.contype == 2 else []  # CONSTR_DEFAULT
                if calls:
                    yield Violation(f"column {col.colname!r} gets a volatile default ({calls[0]}()): "
                                    "every existing row is rewritten under an ACCESS EXCLUSIVE lock",
                                    stmt, offset=col.location)
