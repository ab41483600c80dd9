"""Mutants of the project's policies: each CREATE POLICY weakened one way, by rewriting its pglast AST.

Mutations: drop a conjunct of an AND; USING or WITH CHECK replaced by true; the TO roles dropped (the
policy then applies to PUBLIC); the policy dropped; an owner (uuid) column swapped for another uuid
column of the table. A mutant is applied inside a rolled-back transaction on the shared clone (drop
the policy, create the mutant), so no database is built per mutant.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from pglast import ast, enums
from pglast.stream import RawStream
from psycopg import sql

from ..models import SqlFile
from ..parse import parse_file, rangevar_name


@dataclass(frozen=True)
class Mutant:
    file: str
    line: int
    table: str
    policy: str
    mutation: str
    create: str | None  # the mutated CREATE POLICY, None when the mutation drops the policy

    @property
    def id(self) -> str:
        return f"{self.file}: {self.policy}: {self.mutation}"


def _true() -> ast.Node:
    return ast.A_Const(val=ast.Boolean(boolval=True))


def _children(node: Any) -> Iterator[tuple[Any, str, int | None, Any]]:
    """(parent, attribute, index in a tuple or None, child) for every AST child of ``node``."""
    if not isinstance(node, ast.Node):
        return
    for attr in getattr(type(node), "__slots__", ()):
        value = getattr(node, attr, None)
        if isinstance(value, ast.Node):
            yield node, attr, None, value
        elif isinstance(value, tuple | list):
            for i, item in enumerate(value):
                if isinstance(item, ast.Node):
                    yield node, attr, i, item


def _walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, node
    for _, attr, index, child in _children(node):
        yield from _walk(child, (*path, (attr, index)))


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for attr, index in path:
        value = getattr(node, attr)
        node = value[index] if index is not None else value
    return node


def _kind(node: Any) -> str:
    return type(node).__name__


def _column(node: Any) -> str | None:
    """The column name of a ColumnRef (its last field), else None."""
    if _kind(node) != "ColumnRef" or _kind(node.fields[-1]) != "String":
        return None
    return str(node.fields[-1].sval)


def _expr_mutations(stmt: Any, clause: str, uuid_columns: list[str]) -> Iterator[tuple[str, Any]]:
    expr = getattr(stmt, clause)
    if expr is None:
        return
    label = "using" if clause == "qual" else "check"
    mutant = copy.deepcopy(stmt)
    setattr(mutant, clause, _true())
    yield f"{label}-true", mutant
    node: Any
    for path, node in _walk(expr):
        if _kind(node) == "BoolExpr" and node.boolop == enums.BoolExprType.AND_EXPR and len(node.args) > 1:
            for i in range(len(node.args)):
                mutant = copy.deepcopy(stmt)
                target = _at(getattr(mutant, clause), path)
                dropped = RawStream()(target.args[i])
                rest = [a for j, a in enumerate(target.args) if j != i]
                if len(rest) == 1:
                    _replace(mutant, clause, path, rest[0])
                else:
                    target.args = tuple(rest)
                yield f"{label}-drop-conjunct[{dropped}]", mutant
    used = sorted({c for _, n in _walk(expr) if (c := _column(n)) is not None and c in uuid_columns})
    for col in used:
        for other in uuid_columns:
            if other == col:
                continue
            mutant = copy.deepcopy(stmt)
            for _, node in _walk(getattr(mutant, clause)):
                if _column(node) == col:
                    node.fields = (*node.fields[:-1], ast.String(sval=other))
            yield f"{label}-swap-column[{col}->{other}]", mutant


def _replace(stmt: Any, clause: str, path: tuple[Any, ...], new: Any) -> None:
    if not path:
        setattr(stmt, clause, new)
        return
    parent = _at(getattr(stmt, clause), path[:-1])
    attr, index = path[-1]
    if index is None:
        setattr(parent, attr, new)
    else:
        items = list(getattr(parent, attr))
        items[index] = new
        setattr(parent, attr, tuple(items))


def mutants(files: list[SqlFile], uuid_columns: dict[str, list[str]]) -> list[Mutant]:
    """Every mutant of every CREATE POLICY in ``files``; ``uuid_columns`` maps a table to its uuid columns."""
    out: list[Mutant] = []
    for file in files:
        doc = parse_file(file)
        for stmt in doc.statements:
            node: Any = stmt.node
            if _kind(node) != "CreatePolicyStmt":
                continue
            table = rangevar_name(node.table)

            def add(mutation: str, create: Any, display: str = file.display,
                    line: int = stmt.line, policy: str = str(node.policy_name), table: str = table) -> None:
                out.append(Mutant(display, line, table, policy, mutation,
                                  RawStream()(create) if create is not None else None))

            add("drop-policy", None)
            is_public = not node.roles or any(r.roletype == enums.RoleSpecType.ROLESPEC_PUBLIC for r in node.roles)
            if not is_public:
                mutant = copy.deepcopy(node)
                mutant.roles = (ast.RoleSpec(roletype=enums.RoleSpecType.ROLESPEC_PUBLIC),)
                add("to-public", mutant)
            for clause in ("qual", "with_check"):
                for mutation, mutant in _expr_mutations(node, clause, uuid_columns.get(table, [])):
                    add(mutation, mutant)
    return out


def apply_mutant(conn: psycopg.Connection, mutant: Mutant) -> None:
    """Replace the policy by its mutant (call inside a transaction that is rolled back)."""
    schema, _, name = mutant.table.partition(".")
    conn.execute(sql.SQL("drop policy {} on {}").format(sql.Identifier(mutant.policy),
                                                         sql.Identifier(schema, name)))
    if mutant.create is not None:
        conn.execute(mutant.create)
