"""Replaying DDL onto the schema model: one handler per statement type the model tracks.

:class:`ModelBuilder` is the half of :class:`~pgmanager.schema.SchemaModel` that changes it; the
statements it does not track (grants, comments, DML ...) are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable

from pglast import ast, visitors
from pglast.enums import AlterTableType, ConstrType, ObjectType

from ..parse import SqlDocument, Statement, dotted, qualify, rangevar_name
from ._objects import (
    ColumnInfo,
    ForeignKeyInfo,
    FunctionInfo,
    IndexInfo,
    PolicyInfo,
    TableInfo,
    ViewInfo,
    Where,
    deparse,
    type_name,
)


class ModelBuilder:
    """The statement handlers of the schema model (mixed into :class:`~pgmanager.schema.SchemaModel`)."""

    tables: dict[str, TableInfo]
    views: dict[str, ViewInfo]
    functions: dict[str, FunctionInfo]
    policies: list[PolicyInfo]
    extensions: dict[str, str]
    schemas: set[str]

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

    @classmethod
    def tracks(cls, stmt: Statement) -> bool:
        """Whether replaying ``stmt`` may change the model (it has a handler; the rest are ignored)."""
        return hasattr(cls, f"_on_{type(stmt.node).__name__}")

    def _on_CreateSchemaStmt(self, node: ast.CreateSchemaStmt, where: Where) -> None:
        if node.schemaname:
            self.schemas.add(node.schemaname)

    def _on_CreateStmt(self, node: ast.CreateStmt, where: Where) -> None:
        name = rangevar_name(node.relation)
        if name in self.tables and node.if_not_exists:
            return
        table = TableInfo(name=name, defined_in=where, partitioned=node.partspec is not None)
        self.tables[name] = table
        for elt in node.tableElts or ():
            if isinstance(elt, ast.ColumnDef):
                self._add_column(table, elt, where)
            elif isinstance(elt, ast.Constraint):
                self._add_constraint(table, elt, where)

    def _on_CreateTableAsStmt(self, node: ast.CreateTableAsStmt, where: Where) -> None:
        rel = node.into.rel if node.into is not None else None
        name = rangevar_name(rel)
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
                    table.foreign_keys.append(ForeignKeyInfo(c.conname, (name,), rangevar_name(c.pktable), refs, where))
        if info.type_name in ("serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"):
            info.not_null = True
            info.default_sql = "nextval()"

    def _add_constraint(self, table: TableInfo, c: ast.Constraint, where: Where) -> None:
        keys = tuple(k.sval for k in c.keys or ())
        match c.contype:
            case ConstrType.CONSTR_PRIMARY:
                used = next((ix for ix in table.indexes if c.indexname and ix.name == c.indexname), None)
                if used is not None:  # USING INDEX: the index becomes the primary key's, like an inline one
                    keys = used.columns
                    table.indexes.remove(used)
                table.primary_key = keys
                for k in keys:
                    if k in table.columns:
                        table.columns[k].not_null = True
            case ConstrType.CONSTR_UNIQUE:
                if c.indexname:  # USING INDEX: the index becomes the constraint's, renamed after it
                    used = next((ix for ix in table.indexes if ix.name == c.indexname), None)
                    if used is not None and c.conname:
                        used.name = c.conname
                    return
                table.indexes.append(IndexInfo(c.conname or f"{table.name.split('.')[-1]}_{'_'.join(keys)}_key",
                                               keys, unique=True, defined_in=where))
            case ConstrType.CONSTR_EXCLUSION:
                table.indexes.append(IndexInfo(c.conname or "", tuple(
                    e[0].name for e in c.exclusions or () if isinstance(e[0], ast.IndexElem) and e[0].name
                ), defined_in=where))
            case ConstrType.CONSTR_FOREIGN:
                fk_cols = tuple(a.sval for a in c.fk_attrs or ())
                refs = tuple(a.sval for a in c.pk_attrs or ())
                table.foreign_keys.append(ForeignKeyInfo(c.conname, fk_cols, rangevar_name(c.pktable), refs, where))

    def _on_AlterTableStmt(self, node: ast.AlterTableStmt, where: Where) -> None:
        name = rangevar_name(node.relation)
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
        table = self.tables.get(rangevar_name(node.relation))
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
            old = rangevar_name(node.relation)
            table = self.tables.pop(old, None)
            if table is not None and node.newname:
                table.name = qualify(old.split(".")[0], node.newname)
                self.tables[table.name] = table
        elif node.renameType == ObjectType.OBJECT_COLUMN:
            table = self.tables.get(rangevar_name(node.relation))
            if table is not None and node.subname in table.columns and node.newname:
                table.columns[node.newname] = table.columns.pop(node.subname)

    def _on_ViewStmt(self, node: ast.ViewStmt, where: Where) -> None:
        name = rangevar_name(node.view)
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
            name=node.policy_name or "", table=rangevar_name(node.table), command=node.cmd_name or "all",
            roles=tuple(_role(r) for r in node.roles or ()), permissive=bool(node.permissive),
            using_node=node.qual, check_node=node.with_check, defined_in=where))

    def _on_AlterPolicyStmt(self, node: ast.AlterPolicyStmt, where: Where) -> None:
        table = rangevar_name(node.table)
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

    class _V(visitors.Visitor):
        def __init__(self) -> None:
            self.names: set[str] = set()
            self.ctes: set[str] = set()

        def visit_CommonTableExpr(self, ancestors: object, n: ast.CommonTableExpr) -> None:
            self.ctes.add(n.ctename or "")

        def visit_RangeVar(self, ancestors: object, n: ast.RangeVar) -> None:
            if n.schemaname is None and n.relname in self.ctes:
                return
            self.names.add(rangevar_name(n))

    if node is None:
        return set()
    v = _V()
    v(node)
    # a CTE can be read before the visitor reaches its definition: drop those names afterwards
    return {n for n in v.names if not (n.startswith("public.") and n[len("public."):] in v.ctes)}
