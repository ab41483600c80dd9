"""Small AST helpers shared by rules."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType

from .._schema import range_name, type_name

__all__ = ["alter_cmds", "column_type", "range_name", "type_name"]


def alter_cmds(node: ast.Node, *subtypes: AlterTableType) -> Iterator[ast.AlterTableCmd]:
    """The commands of an ALTER TABLE with one of these subtypes (all when none given)."""
    if isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            if isinstance(cmd, ast.AlterTableCmd) and (not subtypes or cmd.subtype in subtypes):
                yield cmd


def column_type(tn: ast.TypeName | None) -> str:
    """The bare type name, lower case, without schema or modifiers: 'varchar', 'int4', 'timestamp'."""
    if tn is None or not tn.names:
        return ""
    return (getattr(tn.names[-1], "sval", "") or "").lower()
