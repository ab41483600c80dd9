"""Names a statement creates, and what it refers to: the one reference extractor of pgmanager.

``references(node)`` reads a statement's AST (or expressions, e.g. a policy's USING) and returns the
relations it reads, writes and otherwise names, the columns it reads and writes where they resolve to
a relation, and the functions it calls. It follows scopes: a CTE is not a relation, and a CTE named
like a table hides the table inside its scope only; an alias stands for its relation. It reads the
bodies of SQL functions (``AS '...'``, ``BEGIN ATOMIC``, ``RETURN``), PL/pgSQL functions and
procedures, and DO blocks (pglast's ``parse_plpgsql`` finds their embedded statements and
expressions); dynamic SQL (EXECUTE) stays invisible. Plan orders and re-applies repeatables with it;
analyze builds its dependency graph with it. Names are schema-qualified (``public`` when bare), spelled
as :func:`created_names` spells them, so the two can be compared.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pglast import ast

from ._names import dotted, rangevar_name
from ._scope import Predicate, SortKey
from ._walker import Collector, References

__all__ = ["Collector", "Predicate", "References", "SortKey", "created_names", "references",
           "statement_references", "used_names"]

if TYPE_CHECKING:
    from ._document import Statement


def created_names(node: ast.Node) -> set[str]:
    """Relations and functions a statement creates or replaces (schema-qualified)."""
    match node:
        case ast.ViewStmt(view=ast.RangeVar() as rv) | ast.CreateTableAsStmt(
            into=ast.IntoClause(rel=ast.RangeVar() as rv)
        ) | ast.CreateStmt(relation=ast.RangeVar() as rv):
            return {rangevar_name(rv)}
        case ast.CreateFunctionStmt(funcname=parts):
            return {dotted(parts)}
    return set()


def references(node: ast.Node | Iterable[ast.Node | None] | None, text: str | None = None) -> References:
    """What ``node`` (a statement, an expression, or several) refers to.

    ``text`` is the statement's SQL, used to read a PL/pgSQL body (which needs the whole CREATE FUNCTION
    or DO); without it such a statement is deparsed first.
    """
    c = Collector()
    if isinstance(node, ast.Node):
        c.statement(node, text)
    elif node is not None:
        for n in node:
            if n is not None:
                c.statement(n, None)
    return c.result()


_CACHE: weakref.WeakKeyDictionary[Statement, References] = weakref.WeakKeyDictionary()


def statement_references(stmt: Statement) -> References:
    """:func:`references` of a parsed statement, computed once per statement."""
    found = _CACHE.get(stmt)
    if found is None:
        found = _CACHE[stmt] = references(stmt.node, stmt.text)
    return found


def used_names(stmt: Statement | ast.Node) -> set[str]:
    """Relations and functions a statement refers to, less those it creates (schema-qualified)."""
    node = stmt if isinstance(stmt, ast.Node) else stmt.node
    refs = references(node) if isinstance(stmt, ast.Node) else statement_references(stmt)
    return refs.names - created_names(node)
