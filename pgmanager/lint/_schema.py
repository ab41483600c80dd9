"""The project-aware schema model: what the database holds after replaying the project's SQL.

Built by replaying every statement of every file in apply order (auth emulation, migrations,
repeatables) without a database. A table created in one migration and given RLS in policies/ is
RLS-enabled; an index created in a later migration covers a foreign key declared earlier.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pglast
from pglast import ast
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.stream import RawStream

from ..parse import SqlDocument, Statement, qualify

Where = tuple[str, int]
"""(file display path, line) where an object was defined."""


def deparse(node: ast.Node | None) -> str | None:
    """SQL text of an expression node (None when absent)."""
    if node is None:
        return None
    try:
        return str(RawStream()(node))
    except Exception:  # a node the printer does not know: the model stays usable without its text
        return None


def parse_expression(sql: str | None) -> ast.Node | None:
    """The AST of one SQL expression (the inverse of :func:`deparse`)."""
    if sql is None:
        return None
    stmt = pglast.parse_sql(f"select {sql}")[0].stmt
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


def range_name(rv: ast.RangeVar | None) -> str:
    return qualify(rv.schemaname, rv.relname) if rv is not None else ""


def dotted(parts: Iterable[ast.Node] | None) -> str:
    names = [getattr(p, "sval", "") for p in parts or ()]
    if not names:
        return ""
    return qualify(names[-2] if len(names) > 1 else None, names[-1])


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


@dataclass
class PolicyInfo:
    name: str
    table: str
    command: str = "all"
    roles: tuple[str, ...] = ()
    permissive: bool = True
    using_node: ast.Node | None = field(default=None, repr=False, compare=False)
    check_node: ast.Node | None = field(default=None, repr=False, compare=False)
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
        state["using_node"] = state["check_node"] = None  # snapshots keep text: printing is slow, loading too
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.using_node = parse_expression(state.get("using_sql"))
        self.check_node = parse_expression(state.get("check_sql"))

    def set_exprs(self, using: ast.Node | None, check: ast.Node | None) -> None:
        if using is not None:
            self.using_node = using
            self.__dict__.pop("using_sql", None)
        if check is not None:
            self.check_node = check
            self.__dict__.pop("check_sql", None)


@dataclass
class SchemaModel:
    """Tables, views, functions, policies and extensions as the project's SQL leaves them."""

    tables: dict[str, TableInfo] = field(default_factory=dict)
    views: dict[str, ViewInfo] = field(default_factory=dict)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    policies: list[PolicyInfo] = field(default_factory=list)
    extensions: dict[str, str] = field(default_factory=dict)
    schemas: set[str] = field(default_factory=lambda: {"public"})

    def copy(self) -> SchemaModel:
        return copy.deepcopy(self)

    def table(self, name: str) -> TableInfo | None:
        return self.tables.get(name)

    def policies_on(self, table: str) -> list[PolicyInfo]:
        return [p for p in self.policies if p.table == table]

    def digest(self) -> str:
        """A hash of the model's content, positions left out (they move when a comment is added)."""
        h = hashlib.sha256()
        for name, t in sorted(self.tables.items()):
            h.update(repr((name, sorted((c, v.type_name, v.not_null, v.default_sql) for c, v in t.columns.items()),
                           t.primary_key, sorted((i.name, i.columns, i.unique, i.where) for i in t.indexes),
                           sorted((f.name or "", f.columns, f.ref_table, f.ref_columns) for f in t.foreign_keys),
                           t.rls_enabled, t.rls_forced)).encode())
        for name, v in sorted(self.views.items()):
            h.update(repr((name, v.security_invoker, sorted(v.relations), v.materialized)).encode())
        for name, f in sorted(self.functions.items()):
            h.update(repr((name, f.security_definer, f.search_path_set, f.language)).encode())
        for p in sorted(self.policies, key=lambda p: (p.table, p.name)):
            h.update(repr((p.name, p.table, p.command, p.roles, p.permissive, p.using_sql, p.check_sql)).encode())
        h.update(repr((sorted(self.extensions.items()), sorted(self.schemas))).encode())
        return h.hexdigest()

    # ------------------------------------------------------------------ replay

    def apply_document(self, doc: SqlDocument) -> None:
        """Replay every statement of a parsed file."""
        for stmt in doc.statements:
            self.apply(stmt, doc.file.display)

    def apply(self, stmt: Statement, display: str = "") -> None:
        """Replay one statement; statements the model does not track are ignored."""
        where = (display, stmt.line)
        node = stmt.node
        handler = getattr(self, f"_on_{type(node).__name__}", None)
        if handler is not None:
            handler(node, where)

    def _on_CreateSchemaStmt(self, node: ast.CreateSchemaStmt, where: Where) -> None:
        if node.schemaname:
            self.schemas.add(node.schemaname)

    def _on_CreateStmt(self, node: ast.CreateStmt, where: Where) -> None:
        name = range_name(node.relation)
        if name in self.tables and node.if_not_exists:
            return
        table = TableInfo(name=name, defined_in=where)
        self.tables[name] = table
        for elt in node.tableElts or ():
            if isinstance(elt, ast.ColumnDef):
                self._add_column(table, elt, where)
            elif isinstance(elt, ast.Constraint):
                self._add_constraint(table, elt, where)

    def _on_CreateTableAsStmt(self, node: ast.CreateTableAsStmt, where: Where) -> None:
        rel = node.into.rel if node.into is not None else None
        name = range_name(rel)
        if node.objtype == ObjectType.OBJECT_MATVIEW:
            self.views[name] = ViewInfo(name=name, relations=_relations(node.query), defined_in=where,
                                        materialized=True)
        elif name:
            cols = [c.sval for c in (node.into.colNames or ())] if node.into is not None else []
            self.tables[name] = TableInfo(name=name, columns={c: ColumnInfo("") for c in cols}, defined_in=where)

    def _add_column(self, table: TableInfo, col: ast.ColumnDef, where: Where) -> None:
        name = col.colname or ""
        info = ColumnInfo(type_name=type_name(col.typeName), not_null=bool(col.is_not_null))
        table.columns[name] = info
        for c in col.constraints or ():
            match c.contype:
                case ConstrType.CONSTR_NOTNULL:
                    info.not_null = True
                case ConstrType.CONSTR_DEFAULT:
                    info.set_default(c.raw_expr)
                case ConstrType.CONSTR_IDENTITY:
                    info.not_null = True
                    info.default_sql = "identity"
                case ConstrType.CONSTR_PRIMARY:
                    info.not_null = True
                    table.primary_key = (name,)
                case ConstrType.CONSTR_UNIQUE:
                    table.indexes.append(IndexInfo(c.conname or f"{table.name.split('.')[-1]}_{name}_key",
                                                   (name,), unique=True, defined_in=where))
                case ConstrType.CONSTR_FOREIGN:
                    refs = tuple(a.sval for a in c.pk_attrs or ())
                    table.foreign_keys.append(ForeignKeyInfo(c.conname, (name,), range_name(c.pktable), refs, where))
        if info.type_name in ("serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"):
            info.not_null = True
            info.default_sql = "nextval()"

    def _add_constraint(self, table: TableInfo, c: ast.Constraint, where: Where) -> None:
        keys = tuple(k.sval for k in c.keys or ())
        match c.contype:
            case ConstrType.CONSTR_PRIMARY:
                if c.indexname:  # USING INDEX: the index's columns
                    keys = next((ix.columns for ix in table.indexes if ix.name == c.indexname), keys)
                table.primary_key = keys
                for k in keys:
                    if k in table.columns:
                        table.columns[k].not_null = True
            case ConstrType.CONSTR_UNIQUE:
                if c.indexname:
                    return  # the index already exists
                table.indexes.append(IndexInfo(c.conname or f"{table.name.split('.')[-1]}_{'_'.join(keys)}_key",
                                               keys, unique=True, defined_in=where))
            case ConstrType.CONSTR_EXCLUSION:
                table.indexes.append(IndexInfo(c.conname or "", tuple(
                    e[0].name for e in c.exclusions or () if isinstance(e[0], ast.IndexElem) and e[0].name
                ), defined_in=where))
            case ConstrType.CONSTR_FOREIGN:
                fk_cols = tuple(a.sval for a in c.fk_attrs or ())
                refs = tuple(a.sval for a in c.pk_attrs or ())
                table.foreign_keys.append(ForeignKeyInfo(c.conname, fk_cols, range_name(c.pktable), refs, where))

    def _on_AlterTableStmt(self, node: ast.AlterTableStmt, where: Where) -> None:
        name = range_name(node.relation)
        if node.objtype == ObjectType.OBJECT_VIEW or name in self.views:
            view = self.views.get(name)
            for cmd in node.cmds or ():
                if view is not None and cmd.subtype in (AlterTableType.AT_SetRelOptions,
                                                        AlterTableType.AT_ResetRelOptions):
                    for opt in cmd.def_ or ():
                        if getattr(opt, "defname", None) == "security_invoker":
                            view.security_invoker = (cmd.subtype == AlterTableType.AT_SetRelOptions
                                                     and _truthy(opt.arg))
            return
        table = self.tables.get(name)
        if table is None:
            return
        for cmd in node.cmds or ():
            self._alter(table, cmd, where)

    def _alter(self, table: TableInfo, cmd: ast.AlterTableCmd, where: Where) -> None:
        col = table.columns.get(cmd.name or "")
        match cmd.subtype:
            case AlterTableType.AT_AddColumn:
                if isinstance(cmd.def_, ast.ColumnDef):
                    if cmd.missing_ok and cmd.def_.colname in table.columns:
                        return
                    self._add_column(table, cmd.def_, where)
            case AlterTableType.AT_DropColumn:
                table.columns.pop(cmd.name or "", None)
                table.indexes = [i for i in table.indexes if cmd.name not in i.columns]
                table.foreign_keys = [f for f in table.foreign_keys if cmd.name not in f.columns]
            case AlterTableType.AT_AddConstraint:
                if isinstance(cmd.def_, ast.Constraint):
                    self._add_constraint(table, cmd.def_, where)
            case AlterTableType.AT_DropConstraint:
                table.indexes = [i for i in table.indexes if i.name != cmd.name]
                table.foreign_keys = [f for f in table.foreign_keys if f.name != cmd.name]
                if cmd.name and cmd.name == f"{table.name.split('.')[-1]}_pkey":
                    table.primary_key = None
            case AlterTableType.AT_SetNotNull if col is not None:
                col.not_null = True
            case AlterTableType.AT_DropNotNull if col is not None:
                col.not_null = False
            case AlterTableType.AT_ColumnDefault if col is not None:
                col.set_default(cmd.def_ if isinstance(cmd.def_, ast.Node) else None)
            case AlterTableType.AT_AlterColumnType if col is not None and isinstance(cmd.def_, ast.ColumnDef):
                col.type_name = type_name(cmd.def_.typeName)
            case AlterTableType.AT_EnableRowSecurity:
                table.rls_enabled = True
                table.rls_enabled_in = where
            case AlterTableType.AT_DisableRowSecurity:
                table.rls_enabled = False
            case AlterTableType.AT_ForceRowSecurity:
                table.rls_forced = True
            case AlterTableType.AT_NoForceRowSecurity:
                table.rls_forced = False

    def _on_IndexStmt(self, node: ast.IndexStmt, where: Where) -> None:
        table = self.tables.get(range_name(node.relation))
        if table is None:
            return
        name = node.idxname or ""
        if name and any(ix.name == name for ix in table.indexes):
            return
        cols = tuple(p.name if p.name else (deparse(p.expr) or "?") for p in node.indexParams or ())
        table.indexes.append(IndexInfo(name, cols, unique=bool(node.unique), where_node=node.whereClause,
                                       defined_in=where))
        if node.primary:
            table.primary_key = cols

    def _on_DropStmt(self, node: ast.DropStmt, where: Where) -> None:
        kind = node.removeType
        for obj in node.objects or ():
            parts = [getattr(p, "sval", "") for p in (obj if isinstance(obj, tuple) else (obj,))]
            if kind == ObjectType.OBJECT_TABLE:
                self.tables.pop(dotted(obj), None)
            elif kind in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
                self.views.pop(dotted(obj), None)
            elif kind == ObjectType.OBJECT_INDEX:
                idx = parts[-1]
                schema = parts[-2] if len(parts) > 1 else "public"
                for t in self.tables.values():
                    if t.schema == schema:
                        t.indexes = [i for i in t.indexes if i.name != idx]
            elif kind == ObjectType.OBJECT_POLICY and len(parts) >= 2:
                table = qualify(parts[-3] if len(parts) > 2 else None, parts[-2])
                self.policies = [p for p in self.policies if not (p.table == table and p.name == parts[-1])]
            elif kind == ObjectType.OBJECT_EXTENSION:
                self.extensions.pop(parts[-1], None)
            elif kind in (ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE):
                name = obj.objname if isinstance(obj, ast.ObjectWithArgs) else obj
                self.functions.pop(dotted(name), None)
            elif kind == ObjectType.OBJECT_SCHEMA:
                self.schemas.discard(parts[-1])

    def _on_RenameStmt(self, node: ast.RenameStmt, where: Where) -> None:
        if node.renameType == ObjectType.OBJECT_TABLE:
            old = range_name(node.relation)
            table = self.tables.pop(old, None)
            if table is not None and node.newname:
                table.name = qualify(old.split(".")[0], node.newname)
                self.tables[table.name] = table
        elif node.renameType == ObjectType.OBJECT_COLUMN:
            table = self.tables.get(range_name(node.relation))
            if table is not None and node.subname in table.columns and node.newname:
                table.columns[node.newname] = table.columns.pop(node.subname)

    def _on_ViewStmt(self, node: ast.ViewStmt, where: Where) -> None:
        name = range_name(node.view)
        invoker = any(getattr(o, "defname", None) == "security_invoker" and _truthy(o.arg) for o in node.options or ())
        self.views[name] = ViewInfo(name=name, security_invoker=invoker, relations=_relations(node.query),
                                    defined_in=where)

    def _on_CreateFunctionStmt(self, node: ast.CreateFunctionStmt, where: Where) -> None:
        name = dotted(node.funcname)
        info = FunctionInfo(name=name, defined_in=where)
        _function_options(info, node.options)
        self.functions[name] = info

    def _on_AlterFunctionStmt(self, node: ast.AlterFunctionStmt, where: Where) -> None:
        info = self.functions.get(dotted(node.func.objname if node.func else None))
        if info is not None:
            _function_options(info, node.actions)

    def _on_CreatePolicyStmt(self, node: ast.CreatePolicyStmt, where: Where) -> None:
        self.policies.append(PolicyInfo(
            name=node.policy_name or "", table=range_name(node.table), command=node.cmd_name or "all",
            roles=tuple(_role(r) for r in node.roles or ()), permissive=bool(node.permissive),
            using_node=node.qual, check_node=node.with_check, defined_in=where))

    def _on_AlterPolicyStmt(self, node: ast.AlterPolicyStmt, where: Where) -> None:
        table = range_name(node.table)
        for p in self.policies:
            if p.table == table and p.name == node.policy_name:
                if node.roles:
                    p.roles = tuple(_role(r) for r in node.roles)
                p.set_exprs(node.qual, node.with_check)

    def _on_CreateExtensionStmt(self, node: ast.CreateExtensionStmt, where: Where) -> None:
        if node.if_not_exists and node.extname in self.extensions:
            return
        schema = next((getattr(o.arg, "sval", None) for o in node.options or () if o.defname == "schema"), None)
        self.extensions[node.extname or ""] = schema or "public"

    def _on_AlterObjectSchemaStmt(self, node: ast.AlterObjectSchemaStmt, where: Where) -> None:
        if node.objectType == ObjectType.OBJECT_EXTENSION and node.newschema:
            ext = getattr(node.object, "sval", None)
            if ext in self.extensions:
                self.extensions[ext] = node.newschema


def _truthy(arg: object) -> bool:
    value = getattr(arg, "sval", None) or getattr(arg, "boolval", None)
    if value is None and arg is None:
        return True  # WITH (security_invoker) alone means true
    return str(value).lower() in ("true", "on", "1", "yes", "t")


def _role(r: ast.Node) -> str:
    if isinstance(r, ast.RoleSpec):
        return r.rolename or {0: "", 1: "current_role", 2: "current_user", 3: "session_user", 4: "public"}.get(
            int(r.roletype or 0), "")
    return str(r)


def _function_options(info: FunctionInfo, options: Iterable[ast.Node] | None) -> None:
    for opt in options or ():
        if not isinstance(opt, ast.DefElem):
            continue
        name = opt.defname
        if name == "security":
            info.security_definer = bool(getattr(opt.arg, "boolval", False))
        elif name == "language":
            info.language = getattr(opt.arg, "sval", info.language)
        elif name == "set" and isinstance(opt.arg, ast.VariableSetStmt) and opt.arg.name == "search_path":
            info.search_path_set = True


def _relations(node: ast.Node | None) -> set[str]:
    """Tables and views a query reads (CTE names left out)."""
    from pglast import visitors

    class _V(visitors.Visitor):
        def __init__(self) -> None:
            self.names: set[str] = set()
            self.ctes: set[str] = set()

        def visit_CommonTableExpr(self, ancestors: object, n: ast.CommonTableExpr) -> None:
            self.ctes.add(n.ctename or "")

        def visit_RangeVar(self, ancestors: object, n: ast.RangeVar) -> None:
            if n.schemaname is None and n.relname in self.ctes:
                return
            self.names.add(range_name(n))

    if node is None:
        return set()
    v = _V()
    v(node)
    # a CTE can be read before the visitor reaches its definition: drop those names afterwards
    return {n for n in v.names if not (n.startswith("public.") and n[len("public."):] in v.ctes)}


def build_model(docs: Iterable[SqlDocument], model: SchemaModel | None = None) -> SchemaModel:
    """Replay documents (in apply order) onto a model (a new empty one by default)."""
    model = model if model is not None else SchemaModel()
    for doc in docs:
        model.apply_document(doc)
    return model
