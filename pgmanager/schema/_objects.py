"""The objects of the schema model: tables and their columns, indexes and foreign keys, views, functions
and policies, each with where the project defined it.

Expressions (defaults, index predicates, policy USING / WITH CHECK) are kept as AST nodes and printed
to SQL only when read: printing is slow. Pickled snapshots keep the SQL text instead of the nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pglast import ast
from pglast.stream import RawStream

from ..parse import parse_sql

Where = tuple[str, int]
"""(file display path, line) where an object was defined."""


def deparse(node: ast.Node | None) -> str | None:
    """SQL text of an expression node (None when absent).

    Column defaults repeat (``now()``, ``0``, ``'draft'``, ``gen_random_uuid()``): the text of a constant,
    a call without arguments or a cast of a constant is printed once per shape and then reused."""
    if node is None:
        return None
    key = _shape(node)
    if key is None:
        return _print(node)
    if key not in _PRINTED:
        if len(_PRINTED) >= 4096:
            _PRINTED.clear()
        _PRINTED[key] = _print(node)
    return _PRINTED[key]


_PRINTED: dict[tuple[Any, ...], str | None] = {}


def _print(node: ast.Node) -> str | None:
    try:
        return str(RawStream()(node))
    except Exception:  # a node the printer does not know: the model stays usable without its text
        return None


_VALUE = {"String": "sval", "Integer": "ival", "Float": "fval", "Boolean": "boolval", "BitString": "bsval"}
_CALL_EXTRAS = ("args", "agg_order", "agg_filter", "over", "agg_within_group", "agg_star", "agg_distinct",
                "func_variadic")


def _names(names: tuple[Any, ...] | None) -> tuple[str, ...] | None:
    if not names or not all(isinstance(n, ast.String) for n in names):
        return None
    return tuple(n.sval for n in names)


def _shape(node: ast.Node) -> tuple[Any, ...] | None:
    """A key that fixes the printed text of a small expression, or None (then it is printed each time)."""
    if isinstance(node, ast.A_Const):
        if node.isnull:
            return ("null",)
        kind = type(node.val).__name__
        return ("const", kind, getattr(node.val, _VALUE[kind])) if kind in _VALUE else None
    if isinstance(node, ast.FuncCall):
        names = _names(node.funcname)
        if names is None or any(getattr(node, extra) for extra in _CALL_EXTRAS):
            return None
        return ("call", names, node.funcformat)
    if isinstance(node, ast.TypeCast) and isinstance(node.arg, ast.A_Const) and node.typeName is not None:
        tn, arg = node.typeName, _shape(node.arg)
        names = _names(tn.names)
        if arg is None or names is None or tn.typmods or tn.setof or tn.pct_type:
            return None
        return ("cast", arg, names, tn.typemod, tuple(getattr(b, "ival", b) for b in tn.arrayBounds or ()))
    return None


def parse_expression(sql: str | None) -> ast.Node | None:
    """The AST of one SQL expression (the inverse of :func:`deparse`)."""
    if sql is None:
        return None
    stmt = parse_sql(f"select {sql}")[0].stmt
    return stmt.targetList[0].val if isinstance(stmt, ast.SelectStmt) and stmt.targetList else None


def type_name(tn: ast.TypeName | None) -> str:
    """A readable type name: 'int4', 'varchar(50)', 'timestamptz', 'text[]'."""
    if tn is None:
        return ""
    names = [getattr(n, "sval", "") for n in tn.names or ()]
    base = names[-1] if names else ""
    mods = [deparse(m) or "" for m in tn.typmods or ()]
    text = f"{base}({', '.join(mods)})" if mods else base
    return text + "[]" * len(tn.arrayBounds or ())


class ColumnInfo:
    """A column: its type, NOT NULL, and its default's SQL (deparsed only when read: printing is slow)."""

    __slots__ = ("_default_node", "_default_sql", "not_null", "type_name")

    def __init__(self, type_name: str, not_null: bool = False, default_sql: str | None = None,
                 default_node: ast.Node | None = None) -> None:
        self.type_name = type_name
        self.not_null = not_null
        self._default_sql = default_sql
        self._default_node = default_node

    @property
    def default_sql(self) -> str | None:
        if self._default_sql is None and self._default_node is not None:
            self._default_sql = deparse(self._default_node)
        return self._default_sql

    @default_sql.setter
    def default_sql(self, value: str | None) -> None:
        self._default_sql, self._default_node = value, None

    def set_default(self, node: ast.Node | None) -> None:
        self._default_sql, self._default_node = None, node

    @property
    def has_default(self) -> bool:
        return self._default_sql is not None or self._default_node is not None

    def __getstate__(self) -> tuple[str, bool, str | None]:
        return (self.type_name, self.not_null, self.default_sql)  # snapshots keep text, not nodes

    def __setstate__(self, state: tuple[str, bool, str | None]) -> None:
        self.type_name, self.not_null, self._default_sql = state
        self._default_node = None

    def __repr__(self) -> str:
        return f"ColumnInfo({self.type_name!r}, not_null={self.not_null}, default_sql={self.default_sql!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ColumnInfo) and (self.type_name, self.not_null, self.default_sql) == (
            other.type_name, other.not_null, other.default_sql)

    __hash__ = None  # type: ignore[assignment]


@dataclass
class IndexInfo:
    name: str
    columns: tuple[str, ...]
    """Column names in index order; an expression is given as its SQL text."""
    unique: bool = False
    where_node: ast.Node | None = field(default=None, repr=False, compare=False)
    """The predicate of a partial index (``where`` is its SQL)."""
    defined_in: Where | None = None

    @cached_property
    def where(self) -> str | None:
        return deparse(self.where_node)

    @property
    def partial(self) -> bool:
        return self.where_node is not None or self.__dict__.get("where") is not None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__, where=self.where)  # snapshots keep text, not nodes
        state["where_node"] = None
        return state


@dataclass
class ForeignKeyInfo:
    name: str | None
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    defined_in: Where | None = None


@dataclass
class TableInfo:
    name: str
    columns: dict[str, ColumnInfo] = field(default_factory=dict)
    primary_key: tuple[str, ...] | None = None
    indexes: list[IndexInfo] = field(default_factory=list)
    foreign_keys: list[ForeignKeyInfo] = field(default_factory=list)
    rls_enabled: bool = False
    rls_forced: bool = False
    defined_in: Where | None = None
    rls_enabled_in: Where | None = None
    partitioned: bool = False
    """PARTITION BY: PostgreSQL builds and drops its indexes on every partition, never CONCURRENTLY."""

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    def covered(self, columns: tuple[str, ...]) -> bool:
        """Whether some index (or the primary key) starts with these columns, in any order."""
        want = set(columns)
        leads = [ix.columns[: len(columns)] for ix in self.indexes if not ix.partial]
        if self.primary_key:
            leads.append(self.primary_key[: len(columns)])
        return any(set(lead) == want for lead in leads)


@dataclass
class ViewInfo:
    name: str
    security_invoker: bool = False
    relations: set[str] = field(default_factory=set)
    defined_in: Where | None = None
    materialized: bool = False


@dataclass
class FunctionInfo:
    name: str
    security_definer: bool = False
    search_path_set: bool = False
    language: str = "sql"
    defined_in: Where | None = None


class _SavedExpression:
    """A policy's USING or WITH CHECK node. Snapshots keep its SQL text (``using_sql``/``check_sql``); a
    loaded policy parses the text back only when a rule first reads the node: most loads never do."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot, self.text = f"_{name}", name.replace("_node", "_sql")

    def __get__(self, obj: object, owner: type | None = None) -> ast.Node | None:
        if obj is None:
            return None
        saved = obj.__dict__
        if self.slot not in saved:
            saved[self.slot] = parse_expression(saved.get(self.text))
        node: ast.Node | None = saved[self.slot]
        return node

    def __set__(self, obj: object, value: ast.Node | None) -> None:
        # the dataclass passes this descriptor itself as the default: no expression
        obj.__dict__[self.slot] = None if isinstance(value, _SavedExpression) else value


@dataclass
class PolicyInfo:
    name: str
    table: str
    command: str = "all"
    roles: tuple[str, ...] = ()
    permissive: bool = True
    using_node: _SavedExpression = field(default=_SavedExpression(), repr=False, compare=False)
    check_node: _SavedExpression = field(default=_SavedExpression(), repr=False, compare=False)
    defined_in: Where | None = None

    # The SQL text of USING / WITH CHECK, printed from the nodes when first read (printing is slow).
    @cached_property
    def using_sql(self) -> str | None:
        return deparse(self.using_node)

    @cached_property
    def check_sql(self) -> str | None:
        return deparse(self.check_node)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__, using_sql=self.using_sql, check_sql=self.check_sql)
        state.pop("_using_node", None)  # snapshots keep text: printing is slow, loading too
        state.pop("_check_node", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def set_exprs(self, using: ast.Node | None, check: ast.Node | None) -> None:
        if using is not None:
            self.using_node = using
            self.__dict__.pop("using_sql", None)
        if check is not None:
            self.check_node = check
            self.__dict__.pop("check_sql", None)
