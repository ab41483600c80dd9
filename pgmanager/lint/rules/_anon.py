"""Whether a policy condition can hold for a request as ``anon`` (no signed-in user).

For anon, ``auth.uid()`` is null and ``auth.jwt()`` holds no user's claims (no ``sub``, no
``email``), so a comparison of a row with them is never true: ``user_id = auth.uid()`` shows anon no
row. The test reads the expression only (a function it calls is not looked into), and answers
"excluded" only when sure.
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType, NullTestType, SubLinkType

from ._security_helpers import call_name

_NULL_FOR_ANON = frozenset({"auth.uid"})
"""Calls that are null for anon: any strict operator over them gives null."""
_NO_USER_CLAIMS = frozenset({"auth.jwt"})
"""Calls whose user claims anon's token lacks: matching a row column with them fails."""


def _scalar(node: object) -> object:
    """The expression of a FROM-less ``(select expr)`` (how auth calls are wrapped for the planner)."""
    if not (isinstance(node, ast.SubLink) and node.subLinkType == SubLinkType.EXPR_SUBLINK):
        return node
    sub = node.subselect
    targets = list(sub.targetList or ()) if isinstance(sub, ast.SelectStmt) and not sub.fromClause else []
    return targets[0].val if len(targets) == 1 and isinstance(targets[0], ast.ResTarget) else None


def _user_value(node: object, calls: frozenset[str]) -> bool:
    """Whether ``node`` is built by strict steps (casts, operators such as ``->>``) on one of ``calls``."""
    node = _scalar(node)
    if isinstance(node, ast.FuncCall):
        return call_name(node) in calls
    if isinstance(node, ast.TypeCast):
        return _user_value(node.arg, calls)
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP:
        return _user_value(node.lexpr, calls) or _user_value(node.rexpr, calls)
    return False


def _has_column(node: object) -> bool:
    if isinstance(node, ast.ColumnRef):
        return True
    if isinstance(node, ast.TypeCast):
        return _has_column(node.arg)
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP:
        return _has_column(node.lexpr) or _has_column(node.rexpr)
    return False


def _role_is_not_anon(node: ast.A_Expr) -> bool:
    """``auth.role() = 'authenticated'`` (any constant but 'anon')."""
    names = [getattr(n, "sval", "") for n in node.name or ()]
    sides = [_scalar(node.lexpr), _scalar(node.rexpr)]
    call = next((s for s in sides if isinstance(s, ast.FuncCall) and call_name(s) == "auth.role"), None)
    const = next((s for s in sides if isinstance(s, ast.A_Const)), None)
    value = getattr(const.val, "sval", None) if const is not None else None
    return names == ["="] and call is not None and isinstance(value, str) and value != "anon"


def excludes_anon(node: object) -> bool:
    """Whether the condition is never true for anon: it needs ``auth.uid()`` / ``auth.jwt()`` to match a
    row (directly, or in an ``exists`` / ``in (select ...)`` subquery), ``auth.uid() is not null``, or
    ``auth.role() = 'authenticated'``; AND needs one such part, OR needs all."""
    if isinstance(node, ast.BoolExpr):
        args = list(node.args or ())
        if node.boolop == BoolExprType.AND_EXPR:
            return any(excludes_anon(a) for a in args)
        if node.boolop == BoolExprType.OR_EXPR:
            return bool(args) and all(excludes_anon(a) for a in args)
        return False
    if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_OP:
        left, right = node.lexpr, node.rexpr
        if _user_value(left, _NULL_FOR_ANON) or _user_value(right, _NULL_FOR_ANON):
            return True
        if ((_user_value(left, _NO_USER_CLAIMS) and _has_column(right))
                or (_user_value(right, _NO_USER_CLAIMS) and _has_column(left))):
            return True
        return _role_is_not_anon(node)
    if isinstance(node, ast.NullTest):
        return node.nulltesttype == NullTestType.IS_NOT_NULL and _user_value(node.arg, _NULL_FOR_ANON)
    if isinstance(node, ast.SubLink) and node.subLinkType in (SubLinkType.EXISTS_SUBLINK, SubLinkType.ANY_SUBLINK):
        sub = node.subselect
        return isinstance(sub, ast.SelectStmt) and sub.larg is None and excludes_anon(sub.whereClause)
    return False
