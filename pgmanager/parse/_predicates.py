"""The conditions and sort keys of one query level, read for the walker (``_walker``): which column is
compared with what (a value, a constant, another relation's column), and ORDER BY / GROUP BY keys.

Only the top-level ANDs of a WHERE or JOIN ... ON are read: a condition under OR or NOT cannot be
served by an index on its column alone. Columns are resolved by the walker's own scopes (``resolve``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pglast import ast, enums

from ._scope import Predicate, Scope, SortKey, children, deparse

VARIABLE = ("", "")
"""What ``resolve`` returns for a function parameter or PL/pgSQL variable: a value, not a column."""

Resolve = Callable[[ast.ColumnRef, Scope], tuple[str, str] | None]
_RANGE_OPS = frozenset({"<", "<=", ">", ">="})
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


def conjuncts(expr: Any) -> Iterator[ast.Node]:
    if isinstance(expr, ast.BoolExpr) and expr.boolop == enums.BoolExprType.AND_EXPR:
        for arg in expr.args or ():
            yield from conjuncts(arg)
    elif isinstance(expr, ast.Node):
        yield expr


def _has_column(node: Any) -> bool:
    if isinstance(node, tuple):
        return any(_has_column(n) for n in node)
    if isinstance(node, ast.ColumnRef):
        return True
    if not isinstance(node, ast.Node):
        return False
    return any(_has_column(getattr(node, a, None)) for a in children(type(node)))


def _strip_cast(node: Any) -> Any:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return node


def _constant(node: Any) -> str | None:
    """The SQL of a constant (a literal, maybe cast), else None."""
    return deparse(node) if isinstance(_strip_cast(node), ast.A_Const) else None


class _Side:
    """One side of a comparison: a column, a value (constant or not), or neither."""

    def __init__(self, node: Any, scope: Scope, resolve: Resolve) -> None:
        self.column: tuple[str, str] | None = None
        self.value = False
        self.constant: str | None = None
        bare = _strip_cast(node)
        if isinstance(bare, ast.ColumnRef):
            found = resolve(bare, scope)
            if found == VARIABLE:
                self.value = True
            elif found is not None:
                self.column = found
        elif not _has_column(node):  # $1, a literal, now(), (select auth.uid())
            self.value = True
            self.constant = _constant(node)


def _op(expr: ast.A_Expr) -> str:
    names = [getattr(n, "sval", "") for n in expr.name or ()]
    return names[-1] if names else ""


def conditions(expr: Any, scope: Scope, resolve: Resolve) -> Iterator[Predicate]:
    """The predicates of ``expr``'s top-level ANDs at ``scope``'s level."""
    level = scope.level
    for node in conjuncts(expr):
        if isinstance(node, ast.A_Expr):
            yield from _compare(node, scope, resolve)
        elif isinstance(node, ast.NullTest):
            side = _Side(node.arg, scope, resolve)
            if side.column is not None:
                op = "is null" if node.nulltesttype == enums.NullTestType.IS_NULL else "is not null"
                yield Predicate(*side.column, kind="null", op=op, level=level, constant="null")
        elif isinstance(node, ast.ColumnRef | ast.BoolExpr):  # a boolean column, or NOT one
            target: Any = node
            if isinstance(node, ast.BoolExpr):
                if node.boolop != enums.BoolExprType.NOT_EXPR or len(node.args or ()) != 1:
                    continue
                target = (node.args or ())[0]
            side = _Side(target, scope, resolve)
            if side.column is not None:
                yield Predicate(*side.column, kind="eq", op="=", level=level,
                                constant="false" if target is not node else "true")
        elif isinstance(node, ast.SubLink) and node.subLinkType == enums.SubLinkType.ANY_SUBLINK:
            side = _Side(node.testexpr, scope, resolve)
            if side.column is not None:
                yield Predicate(*side.column, kind="in", op="in", level=level)


def _compare(node: ast.A_Expr, scope: Scope, resolve: Resolve) -> Iterator[Predicate]:
    level = scope.level
    kind = node.kind
    op = _op(node)
    if kind == enums.A_Expr_Kind.AEXPR_OP and op in _FLIP:
        left, right = _Side(node.lexpr, scope, resolve), _Side(node.rexpr, scope, resolve)
        if left.column is not None and right.column is not None:
            if op == "=" and left.column[0] != right.column[0]:
                yield Predicate(*left.column, kind="join", op="=", level=level, other=right.column)
                yield Predicate(*right.column, kind="join", op="=", level=level, other=left.column)
            return
        for col, val, oper in ((left, right, op), (right, left, _FLIP[op])):
            if col.column is not None and val.value:
                yield Predicate(*col.column, kind="eq" if oper == "=" else "range", op=oper, level=level,
                                constant=val.constant)
    elif kind == enums.A_Expr_Kind.AEXPR_OP_ANY and op == "=":
        left, right = _Side(node.lexpr, scope, resolve), _Side(node.rexpr, scope, resolve)
        if left.column is not None and right.value:
            yield Predicate(*left.column, kind="in", op="in", level=level)
    elif kind == enums.A_Expr_Kind.AEXPR_IN and op == "=":
        left = _Side(node.lexpr, scope, resolve)
        items = node.rexpr if isinstance(node.rexpr, tuple) else ()
        if left.column is not None and items and not _has_column(items):
            constants = [_constant(i) for i in items]
            text = "(" + ", ".join(c for c in constants if c) + ")" if all(constants) else None
            yield Predicate(*left.column, kind="in", op="in", level=level, constant=text)
    elif kind in (enums.A_Expr_Kind.AEXPR_BETWEEN, enums.A_Expr_Kind.AEXPR_BETWEEN_SYM):
        left = _Side(node.lexpr, scope, resolve)
        if left.column is not None and not _has_column(node.rexpr):
            yield Predicate(*left.column, kind="range", op="between", level=level)


def sort_keys(items: Any, targets: Any, scope: Scope, resolve: Resolve, clause: str) -> Iterator[SortKey]:
    """ORDER BY (SortBy) or GROUP BY (expressions) keys that are columns: ``1`` and output names are followed
    to the target list. A key that is not a column ends the list (an index can serve only a prefix)."""
    outputs = [t for t in targets or () if isinstance(t, ast.ResTarget)]
    for position, item in enumerate(items or ()):
        node = item.node if isinstance(item, ast.SortBy) else item
        bare = _strip_cast(node)
        if isinstance(bare, ast.A_Const) and isinstance(bare.val, ast.Integer):
            index = (bare.val.ival or 0) - 1
            bare = _strip_cast(outputs[index].val) if 0 <= index < len(outputs) else None
        elif isinstance(bare, ast.ColumnRef) and len(bare.fields or ()) == 1:
            name = getattr((bare.fields or ())[0], "sval", None)
            named = next((t for t in outputs if t.name and t.name == name), None)
            if named is not None:
                bare = _strip_cast(named.val)
        found = resolve(bare, scope) if isinstance(bare, ast.ColumnRef) else None
        if found is None or found == VARIABLE:
            return
        descending = isinstance(item, ast.SortBy) and item.sortby_dir == enums.SortByDir.SORTBY_DESC
        nulls = item.sortby_nulls if isinstance(item, ast.SortBy) else enums.SortByNulls.SORTBY_NULLS_DEFAULT
        nulls_first = None if nulls == enums.SortByNulls.SORTBY_NULLS_DEFAULT else \
            nulls == enums.SortByNulls.SORTBY_NULLS_FIRST
        yield SortKey(*found, clause=clause, level=scope.level, position=position, descending=descending,
                      nulls_first=nulls_first)
