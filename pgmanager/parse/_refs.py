"""Names a statement creates and names it uses, for ordering files by dependency."""

from __future__ import annotations

from pglast import ast, visitors


def qualify(schema: str | None, name: str | None, default_schema: str = "public") -> str:
    return f"{schema or default_schema}.{name}"


def _dotted(parts: tuple[ast.Node, ...] | None) -> str:
    names = [getattr(p, "sval", "") for p in parts or ()]
    return qualify(names[-2] if len(names) > 1 else None, names[-1]) if names else ""


def created_names(node: ast.Node) -> set[str]:
    """Relations and functions a statement creates or replaces (schema-qualified)."""
    match node:
        case ast.ViewStmt(view=ast.RangeVar() as rv) | ast.CreateTableAsStmt(
            into=ast.IntoClause(rel=ast.RangeVar() as rv)
        ) | ast.CreateStmt(relation=ast.RangeVar() as rv):
            return {qualify(rv.schemaname, rv.relname)}
        case ast.CreateFunctionStmt(funcname=parts):
            return {_dotted(parts)}
    return set()


class _Uses(visitors.Visitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
        self.names.add(qualify(node.schemaname, node.relname))

    def visit_FuncCall(self, ancestors: object, node: ast.FuncCall) -> None:
        self.names.add(_dotted(node.funcname))


def used_names(node: ast.Node) -> set[str]:
    """Relations and functions a statement refers to (schema-qualified, 'public' when bare)."""
    v = _Uses()
    v(node)
    return v.names - created_names(node)
