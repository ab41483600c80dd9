"""Small AST helpers shared by rules."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import AlterTableType, TransactionStmtKind
from pglast.parser import scan

from ...parse import dotted, rangevar_name

if TYPE_CHECKING:
    from ...schema import SchemaModel, TableInfo

__all__ = ["added_columns", "added_constraints", "alter_cmds", "column_type", "constraints_of", "defined_columns",
           "in_case_of", "index_table", "is_new_table", "keyword_end", "tokens"]

PARTITIONED_INDEX_HOWTO = ("create the index ON ONLY the parent (quick, not valid yet), then CONCURRENTLY on each "
                           "partition, then ALTER INDEX <parent index> ATTACH PARTITION <partition index> for each")
"""What to do instead of CREATE INDEX [CONCURRENTLY] on a partitioned table."""


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


def is_new_table(rv: ast.RangeVar | None, stmt: object, ctx: object) -> bool:
    """Whether the table was created earlier in the same file (so it is empty and unseen by others)."""
    if rv is None:
        return False
    return rangevar_name(rv) in ctx.created_before(stmt)  # type: ignore[attr-defined]


def index_table(schema: SchemaModel, name: ast.Node | tuple[ast.Node, ...] | list[ast.Node]) -> TableInfo | None:
    """The table of the index a DROP INDEX names (unqualified: in public), from the schema model."""
    full = dotted(name if isinstance(name, tuple | list) else (name,))
    index_schema, _, index = full.partition(".")
    return next((t for t in schema.tables.values()
                 if t.schema == index_schema and any(ix.name == index for ix in t.indexes)), None)


def constraints_of(col: ast.ColumnDef) -> Iterator[ast.Constraint]:
    for c in col.constraints or ():
        if isinstance(c, ast.Constraint):
            yield c


def added_columns(node: ast.Node) -> Iterator[ast.ColumnDef]:
    """ColumnDefs of ALTER TABLE ... ADD COLUMN."""
    for cmd in alter_cmds(node, AlterTableType.AT_AddColumn):
        if isinstance(cmd.def_, ast.ColumnDef):
            yield cmd.def_


def defined_columns(node: ast.Node) -> Iterator[ast.ColumnDef]:
    """Column definitions a statement creates: CREATE TABLE columns and ALTER TABLE ADD COLUMN."""
    if isinstance(node, ast.CreateStmt):
        yield from (e for e in node.tableElts or () if isinstance(e, ast.ColumnDef))
    yield from added_columns(node)


def added_constraints(node: ast.Node) -> Iterator[ast.Constraint]:
    """Constraints of ALTER TABLE ... ADD CONSTRAINT."""
    for cmd in alter_cmds(node, AlterTableType.AT_AddConstraint):
        if isinstance(cmd.def_, ast.Constraint):
            yield cmd.def_


_SKIP = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)


def keyword_end(text: str, start: int, pattern: str) -> int | None:
    """Offset in ``text`` just after ``pattern`` (a case-insensitive regex) matched at the first token
    at or after ``start`` (comments skipped); None when it does not match there."""
    pos = _SKIP.match(text, start)
    begin = pos.end() if pos else start
    m = re.compile(pattern, re.IGNORECASE | re.DOTALL).match(text, begin)
    return m.end() if m else None


def tokens(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """The SQL tokens of ``text[start:end]`` as (name, start, end) character offsets in ``text``
    (names as pglast's scanner gives them: 'DROP', 'COLUMN', 'IDENT', 'ASCII_44' for a comma)."""
    return [(t.name, start + t.start, start + t.end + 1) for t in scan(text[start:end])]


def in_case_of(text: str, at: int, words: str) -> str:
    """``words`` in the letter case of the keyword just before ``at`` (CREATE INDEX -> CONCURRENTLY)."""
    before = text[max(0, at - 12) : at].split()
    last = before[-1] if before else ""
    return words.upper() if last.isupper() else words


def in_explicit_transaction(stmt: object, ctx: object) -> bool:
    """Whether ``stmt`` stands between a BEGIN (or START TRANSACTION) and its COMMIT/ROLLBACK in its file:
    a fix must not make it CONCURRENTLY there, where PostgreSQL refuses such a statement."""
    k = TransactionStmtKind
    inside = False
    for other in ctx.doc.statements:  # type: ignore[attr-defined]
        if other is stmt:
            return inside
        node = other.node
        if isinstance(node, ast.TransactionStmt):
            if node.kind in (k.TRANS_STMT_BEGIN, k.TRANS_STMT_START):
                inside = True
            elif node.kind in (k.TRANS_STMT_COMMIT, k.TRANS_STMT_ROLLBACK, k.TRANS_STMT_COMMIT_PREPARED,
                               k.TRANS_STMT_ROLLBACK_PREPARED, k.TRANS_STMT_PREPARE):
                inside = False
    return inside
