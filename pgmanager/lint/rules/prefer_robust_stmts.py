"""Outside a transaction, statements should survive being run twice."""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast
from pglast.enums import AlterTableType, ObjectType

from ...parse import Statement
from .._base import Category, FileContext, Fix, Rule, Violation
from ._helpers import alter_cmds, in_case_of, keyword_end, tokens
from .require_concurrent_index_creation import CREATE_INDEX

_DROP_KEYWORDS = {
    ObjectType.OBJECT_INDEX: r"drop\s+index(?:\s+concurrently)?\b",
    ObjectType.OBJECT_TABLE: r"drop\s+table\b",
    ObjectType.OBJECT_VIEW: r"drop\s+view\b",
    ObjectType.OBJECT_SEQUENCE: r"drop\s+sequence\b",
    ObjectType.OBJECT_SCHEMA: r"drop\s+schema\b",
    ObjectType.OBJECT_TYPE: r"drop\s+type\b",
    ObjectType.OBJECT_FUNCTION: r"drop\s+function\b",
}

_NOT_A_COLUMN = {"CONSTRAINT", "DEFAULT", "NOT", "IDENTITY", "EXPRESSION"}
"""Words after an ALTER TABLE's DROP that make it drop something else than a column."""


def _drop_column_places(text: str, stmt: Statement) -> list[int]:
    """Where ``IF EXISTS`` goes in each ``DROP [COLUMN] name`` of an ALTER TABLE, in order: after
    COLUMN (ATTRIBUTE of a type), or after DROP when COLUMN is left out (IF EXISTS written already counts too)."""
    toks = tokens(text, stmt.start, stmt.end)
    places: list[int] = []
    depth = 0
    for i, (name, _, end) in enumerate(toks):
        depth += {"ASCII_40": 1, "ASCII_41": -1}.get(name, 0)
        if name != "DROP" or depth or i + 1 >= len(toks) or toks[i + 1][0] in _NOT_A_COLUMN:
            continue
        places.append(toks[i + 1][2] if toks[i + 1][0] in ("COLUMN", "ATTRIBUTE") else end)
    return places


class PreferRobustStmts(Rule):
    """In a migration that runs outside a transaction, make each statement safe to run again.

    **Problem.** A migration holding ``CREATE INDEX CONCURRENTLY`` (or another statement that cannot run
    in a transaction) runs statement by statement. If it fails half-way, the statements that
    succeeded stay, and the retry fails on them ("relation already exists").

    **Solution.** Use ``IF NOT EXISTS`` / ``IF EXISTS`` so a retry skips what is already done
    (``--fix`` adds them). Inside a transaction (the default) this is not needed: a failure rolls
    everything back::

        create index concurrently if not exists items_owner_idx on items (owner_id);
        drop index concurrently if exists items_old_idx;
        alter table items drop column if exists legacy_note;
    """

    name = "prefer-robust-stmts"
    category = Category.SAFETY
    help = "add IF NOT EXISTS / IF EXISTS so a failed non-transactional migration can be re-run"

    def check_statement(self, stmt: Statement, ctx: FileContext) -> Iterable[Violation]:
        if ctx.in_transaction(stmt):
            return
        node, text = stmt.node, ctx.doc.file.text
        if isinstance(node, ast.IndexStmt) and not node.if_not_exists and node.idxname:
            at = keyword_end(text, stmt.start, CREATE_INDEX + r"(?:\s+concurrently)?")
            yield self._v(text, "CREATE INDEX without IF NOT EXISTS", stmt, at, " if not exists")
        elif isinstance(node, ast.DropStmt) and not node.missing_ok and node.removeType in _DROP_KEYWORDS:
            at = keyword_end(text, stmt.start, _DROP_KEYWORDS[node.removeType])
            yield self._v(text, "DROP without IF EXISTS", stmt, at, " if exists")
        elif isinstance(node, ast.CreateStmt) and not node.if_not_exists:
            at = node.relation.location if node.relation is not None else None
            yield self._v(text, "CREATE TABLE without IF NOT EXISTS", stmt, at, "if not exists ")
        for cmd in alter_cmds(node, AlterTableType.AT_AddColumn):
            if not cmd.missing_ok and isinstance(cmd.def_, ast.ColumnDef):
                yield self._v(text, "ADD COLUMN without IF NOT EXISTS", stmt, cmd.def_.location, "if not exists ")
        drops = list(alter_cmds(node, AlterTableType.AT_DropColumn))
        places = _drop_column_places(text, stmt) if any(not c.missing_ok for c in drops) else []
        for i, cmd in enumerate(drops):
            if not cmd.missing_ok:
                at = places[i] if len(places) == len(drops) else None
                yield self._v(text, "DROP COLUMN without IF EXISTS", stmt, at, " if exists")

    def _v(self, text: str, what: str, stmt: Statement, at: int | None, insert: str) -> Violation:
        fix = None
        if at is not None and insert:
            fix = Fix.insert(f"add {insert.strip().upper()}", at, in_case_of(text, at, insert))
        return Violation(f"{what} in a migration that runs outside a transaction: a retry after a failure "
                         "fails here", stmt, fix=fix)
