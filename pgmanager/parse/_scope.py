"""What the walker keeps while it reads a statement: the References it returns, query scopes, and the
helpers that read PL/pgSQL bodies and statement options."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pglast import ast

from ._nodes import parse_sql


@dataclass(frozen=True)
class Predicate:
    """A condition of one query level on one column: what an index could serve.

    ``kind``: ``eq`` (``=``, also a boolean column alone), ``in`` (IN list, ``= ANY``, IN subquery),
    ``range`` (``<``, ``<=``, ``>``, ``>=``, BETWEEN), ``join`` (``=`` with another relation's column,
    ``other``), ``null`` (IS [NOT] NULL). ``constant`` is the SQL of the value compared with when it is a
    constant (``'active'``, ``true``, ``null``), so the condition could be a partial index's predicate;
    None for a parameter, a variable or another column.
    """

    relation: str
    column: str
    kind: str
    op: str
    level: int
    constant: str | None = None
    other: tuple[str, str] | None = None


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY or GROUP BY key of a query level that is a plain column (``clause``: order, group)."""

    relation: str
    column: str
    clause: str
    level: int
    position: int
    descending: bool = False
    nulls_first: bool | None = None
    """None: the default for the direction (NULLS LAST ascending, FIRST descending)."""


@dataclass(frozen=True)
class References:
    """What a statement refers to, each in first-seen order, schema-qualified.

    ``columns_*`` hold ``(relation, column)`` pairs, ``"*"`` for every column (``t.*``, ``select *``,
    an INSERT or COPY without a column list). A column is resolved when qualified by a relation or its
    alias, or unqualified where its query level reads exactly one relation (a DML target with no
    FROM/USING, a policy's table); function parameters and PL/pgSQL variables are not columns.
    """

    reads: tuple[str, ...] = ()
    """Relations read: FROM, JOIN, USING, MERGE sources, subqueries, COPY TO, view and CREATE TABLE AS queries."""
    writes: tuple[str, ...] = ()
    """Relations written: INSERT, UPDATE, DELETE and MERGE targets, COPY FROM, TRUNCATE."""
    mentions: tuple[str, ...] = ()
    """Relations otherwise named: ALTER TABLE, CREATE INDEX/POLICY/TRIGGER ON, REFERENCES, GRANT, LOCK, ..."""
    columns_read: tuple[tuple[str, str], ...] = ()
    columns_written: tuple[tuple[str, str], ...] = ()
    functions: tuple[str, ...] = ()
    """Functions and procedures called (built-ins included, as ``public.count``), trigger functions."""
    late: tuple[str, ...] = ()
    """Of the names above, those named only inside a PL/pgSQL function's body: PostgreSQL resolves them when
    the function runs, not when it is created, so they order files only where they close no cycle."""
    predicates: tuple[Predicate, ...] = ()
    """Conditions on resolved columns, per query level (top-level ANDs of WHERE, JOIN ... ON)."""
    sort_keys: tuple[SortKey, ...] = ()
    """ORDER BY and GROUP BY keys that are resolved columns (positions and output names followed)."""
    limited: tuple[int, ...] = ()
    """The query levels with a LIMIT."""

    @property
    def relations(self) -> tuple[str, ...]:
        """Every relation named: read, written or mentioned."""
        return tuple(dict.fromkeys((*self.reads, *self.writes, *self.mentions)))

    @property
    def names(self) -> set[str]:
        """Relations and functions: what a statement depends on."""
        return {*self.reads, *self.writes, *self.mentions, *self.functions}



_MISSING = object()
# attributes never holding a reference: names, types, roles, collations
_SKIP_TYPES = frozenset({"char*", "Alias*", "TypeName*", "RoleSpec*", "CollateClause*", "String*", "Bitmapset*"})
_CHILDREN: dict[type, tuple[str, ...]] = {}
LEAVES = (ast.String, ast.Integer, ast.Float, ast.Boolean, ast.BitString, ast.A_Const, ast.ParamRef,
           ast.TypeName, ast.Alias, ast.RoleSpec, ast.A_Star, ast.SQLValueFunction, ast.SetToDefault)


def children(cls: type) -> tuple[str, ...]:
    attrs = _CHILDREN.get(cls)
    if attrs is None:
        slots = getattr(cls, "__slots__", None)
        infos = slots.items() if isinstance(slots, dict) else ()
        attrs = _CHILDREN[cls] = tuple(
            name for name, info in infos
            if (info.c_type.endswith("*") and info.c_type not in _SKIP_TYPES) or info.c_type == "CreateStmt"
        )
    return attrs


class Scope:
    """One query level: visible CTE names, FROM names (alias -> relation, None when not a relation)."""

    __slots__ = ("ctes", "has_from", "items", "level", "names", "outputs", "parent", "relations", "variables")

    def __init__(self, parent: Scope | None, variables: frozenset[str] | None = None) -> None:
        self.parent = parent
        self.ctes: frozenset[str] = parent.ctes if parent is not None else frozenset()
        self.variables: frozenset[str] = (variables if variables is not None
                                          else parent.variables if parent is not None else frozenset())
        self.names: dict[str, str | None] = {}
        self.relations: list[str] = []
        self.items = 0
        self.has_from = False
        self.outputs: frozenset[str] = frozenset()
        self.level: int = parent.level if parent is not None else 0

    @property
    def single(self) -> str | None:
        return self.relations[0] if self.items == 1 and len(self.relations) == 1 else None

    def lookup(self, name: str) -> object:
        scope: Scope | None = self
        while scope is not None:
            found = scope.names.get(name, _MISSING)
            if found is not _MISSING:
                return found
            scope = scope.parent
        return _MISSING

    def add_relation(self, alias: str, name: str, bare: bool) -> None:
        self.names[alias] = name
        if bare:  # no alias: "public.t.col" is also valid
            self.names.setdefault(name, name)
        self.relations.append(name)
        self.items += 1
        self.has_from = True

    def add_other(self, alias: str | None) -> None:
        if alias:
            self.names[alias] = None
        self.items += 1
        self.has_from = True


ASSIGN = re.compile(r"^\s*(?:[^:=\"']|\"[^\"]*\")*?(?::=|=)")


def plpgsql_queries(data: Any) -> Iterator[tuple[str, int]]:
    """(query, parse mode) of every embedded SQL statement or expression of a PL/pgSQL parse tree."""
    if isinstance(data, dict):
        query = data.get("query")
        if isinstance(query, str):
            yield query, int(data.get("parseMode") or 0)
        for key, value in data.items():
            if key != "query" or not isinstance(value, str):
                yield from plpgsql_queries(value)
    elif isinstance(data, list):
        for item in data:
            yield from plpgsql_queries(item)


def plpgsql_variables(data: Any) -> Iterator[str]:
    for fn in data if isinstance(data, list) else ():
        for datum in (fn.get("PLpgSQL_function") or {}).get("datums") or ():
            for value in datum.values():
                name = value.get("refname") if isinstance(value, dict) else None
                if name and not name.startswith("("):
                    yield name


def split_statements(text: str) -> list[tuple[ast.Node, str]]:
    """The statements of ``text`` with their own text (pglast reports character offsets)."""
    out = []
    for rs in parse_sql(text):
        if rs.stmt is not None:
            start = rs.stmt_location or 0
            out.append((rs.stmt, text[start:start + rs.stmt_len] if rs.stmt_len else text[start:]))
    return out


def deparse(node: ast.Node) -> str | None:
    from pglast.stream import RawStream

    try:
        return str(RawStream()(node))
    except Exception:  # a node pglast cannot print: its body stays unread
        return None


def option(options: Iterable[ast.Node] | None, name: str) -> Any:
    for opt in options or ():
        if isinstance(opt, ast.DefElem) and opt.defname == name:
            return opt.arg
    return None


def sval(node: ast.Node | tuple[ast.Node, ...] | None) -> str | None:
    if isinstance(node, tuple):
        node = node[0] if node else None
    return getattr(node, "sval", None)
