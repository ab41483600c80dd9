"""Adding a column with a volatile default rewrites the table."""

from __future__ import annotations

from collections.abc import Iterable

from pglast.enums import ConstrType

from ...parse import Statement, default_verdict
from .._base import Category, FileContext, Rule, Violation
from ._helpers import added_columns, constraints_of, is_new_table


class AddingFieldWithVolatileDefault(Rule):
    """Adding a column whose default is volatile rewrites the whole table.

    **Problem.** Since PostgreSQL 11, ``ADD COLUMN ... DEFAULT <constant>`` only records the default:
    it is instant. A *volatile* default (``gen_random_uuid()``, ``random()``, ``clock_timestamp()``,
    ``nextval()`` ...) must be computed for every existing row, so PostgreSQL rewrites the table while
    holding an ``ACCESS EXCLUSIVE`` lock: no reads or writes until it is done. Stable and immutable
    calls (``now()``, ``statement_timestamp()``, ``current_timestamp``, ``md5('x')``, ``lower()`` ...)
    are evaluated once and stored: no rewrite, no finding.

    Volatility comes from PostgreSQL's own catalog (``pg_proc.provolatile`` of the built-in functions,
    the most volatile overload of a name), plus a few extension functions common in defaults
    (``uuid_generate_v4()`` of uuid-ossp, ``gen_random_bytes()`` of pgcrypto ...). A function it does
    not know (your own, or another extension's) is reported too: the table is rewritten unless that
    function is declared ``STABLE`` or ``IMMUTABLE``. ``pgmanager analyze`` reports the same rewrite.

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
                if c.contype != ConstrType.CONSTR_DEFAULT:
                    continue
                verdict = default_verdict(c.raw_expr)
                if verdict.rewrites:
                    yield Violation(f"column {col.colname!r}: {verdict.reason}", stmt, offset=col.location)
