"""What a CHECK constraint says about single columns: allowed values and numeric bounds.

Filling a column only needs the common shapes: ``col in (...)`` / ``col = any (array[...])`` (an
enumeration), ``col >= c``, ``col > c``, ``col <= c``, ``col < c``, ``col between a and b``, joined by
AND. Anything else is left to the database, whose error names the constraint.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pglast
from pglast import ast, enums


@dataclass(frozen=True)
class Facts:
    values: tuple[str, ...] | None = None
    low: float | None = None
    low_inclusive: bool = True
    high: float | None = None
    high_inclusive: bool = True


_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "="}


def _strip(node: Any) -> Any:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    return node


def _column(node: Any) -> str | None:
    node = _strip(node)
    if isinstance(node, ast.ColumnRef) and node.fields and isinstance(node.fields[-1], ast.String):
        return str(node.fields[-1].sval)
    return None


def _const(node: Any) -> str | float | None:
    node = _strip(node)
    if isinstance(node, ast.A_Expr) and node.kind == enums.A_Expr_Kind.AEXPR_OP and node.lexpr is None \
            and node.name and node.name[0].sval == "-":
        value = _const(node.rexpr)
        return -value if isinstance(value, float) else None
    if not isinstance(node, ast.A_Const) or node.isnull:
        return None
    val = node.val
    if isinstance(val, ast.String):
        return str(val.sval)
    if isinstance(val, ast.Integer) and val.ival is not None:
        return float(val.ival)
    if isinstance(val, ast.Float) and val.fval is not None:
        return float(val.fval)
    return None


def _number(node: Any) -> float | None:
    """A numeric constant; pg_get_constraintdef writes negative ones as strings ('-3'::integer)."""
    value = _const(node)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return value


def _list(node: Any) -> list[Any]:
    node = _strip(node)
    if isinstance(node, ast.A_ArrayExpr):
        return list(node.elements or ())
    if isinstance(node, (list, tuple)):
        return list(node)
    return []


def _bound(facts: Facts, op: str, value: float) -> Facts:
    if op in (">", ">="):
        return replace(facts, low=value, low_inclusive=op == ">=")
    if op in ("<", "<="):
        return replace(facts, high=value, high_inclusive=op == "<=")
    return facts


def _walk(node: Any, out: dict[str, Facts]) -> None:
    node = _strip(node)
    if isinstance(node, ast.BoolExpr) and node.boolop == enums.BoolExprType.AND_EXPR:
        for arg in node.args or ():
            _walk(arg, out)
        return
    if not isinstance(node, ast.A_Expr):
        return
    op = node.name[0].sval if node.name else ""
    col = _column(node.lexpr)
    if node.kind in (enums.A_Expr_Kind.AEXPR_OP_ANY, enums.A_Expr_Kind.AEXPR_IN) and op == "=" and col:
        values = [_const(v) for v in _list(node.rexpr)]
        if values and all(v is not None for v in values):
            texts = tuple(v if isinstance(v, str) else f"{v:g}" for v in values)
            out[col] = replace(out.get(col, Facts()), values=texts)
    elif node.kind == enums.A_Expr_Kind.AEXPR_BETWEEN and col:
        low, high = (_number(v) for v in _list(node.rexpr))
        if isinstance(low, float) and isinstance(high, float):
            out[col] = replace(out.get(col, Facts()), low=low, high=high, low_inclusive=True, high_inclusive=True)
    elif node.kind == enums.A_Expr_Kind.AEXPR_OP and op == "=" and col and isinstance(_const(node.rexpr), str):
        out[col] = replace(out.get(col, Facts()), values=(str(_const(node.rexpr)),))
    elif node.kind == enums.A_Expr_Kind.AEXPR_OP and op in _FLIP:
        right = _column(node.rexpr)
        value: float | None
        if col and (value := _number(node.rexpr)) is not None:
            name = col
        elif right and (value := _number(node.lexpr)) is not None:
            name, op = right, _FLIP[op]
        else:
            return
        if op == "=":
            out[name] = replace(out.get(name, Facts()), values=(f"{value:g}",))
        else:
            out[name] = _bound(out.get(name, Facts()), op, value)


def column_facts(definitions: list[str]) -> dict[str, Facts]:
    """Facts per column from ``pg_get_constraintdef`` texts (``CHECK ((role = ANY (ARRAY[...])))``)."""
    out: dict[str, Facts] = {}
    for definition in definitions:
        text = definition.strip()
        if not text.upper().startswith("CHECK"):
            continue
        body = text[len("CHECK"):].strip().removesuffix("NOT VALID").strip()
        try:
            tree = pglast.parse_sql("select " + body)
        except pglast.parser.ParseError:
            continue
        stmt = tree[0].stmt
        if isinstance(stmt, ast.SelectStmt) and stmt.targetList:
            _walk(stmt.targetList[0].val, out)
    return out
