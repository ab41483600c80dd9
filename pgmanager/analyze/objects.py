"""Which objects a statement creates, alters and drops, read from the pglast AST.

Comments and grants are left out on purpose: they change an object's documentation or privileges,
not its structure, and listing them would bury the changes a reviewer looks for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pglast import ast
from pglast.enums import ObjectType

from ..models import ObjectRef
from ..parse import Statement, dotted, qualify, rangevar_name


@dataclass
class Objects:
    created: list[ObjectRef] = field(default_factory=list)
    altered: list[ObjectRef] = field(default_factory=list)
    dropped: list[ObjectRef] = field(default_factory=list)


_KINDS: dict[ObjectType, str] = {
    ObjectType.OBJECT_TABLE: "table", ObjectType.OBJECT_VIEW: "view", ObjectType.OBJECT_MATVIEW: "materialized view",
    ObjectType.OBJECT_INDEX: "index", ObjectType.OBJECT_SEQUENCE: "sequence", ObjectType.OBJECT_FUNCTION: "function",
    ObjectType.OBJECT_PROCEDURE: "procedure", ObjectType.OBJECT_ROUTINE: "routine",
    ObjectType.OBJECT_AGGREGATE: "aggregate", ObjectType.OBJECT_POLICY: "policy", ObjectType.OBJECT_TRIGGER: "trigger",
    ObjectType.OBJECT_RULE: "rule", ObjectType.OBJECT_SCHEMA: "schema", ObjectType.OBJECT_EXTENSION: "extension",
    ObjectType.OBJECT_TYPE: "type", ObjectType.OBJECT_DOMAIN: "domain",
    ObjectType.OBJECT_FOREIGN_TABLE: "foreign table",
    ObjectType.OBJECT_COLUMN: "column", ObjectType.OBJECT_TABCONSTRAINT: "constraint",
    ObjectType.OBJECT_ROLE: "role", ObjectType.OBJECT_DATABASE: "database",
    ObjectType.OBJECT_PUBLICATION: "publication", ObjectType.OBJECT_EVENT_TRIGGER: "event trigger",
}


def _kind(t: ObjectType | None) -> str:
    return _KINDS.get(t, t.name.removeprefix("OBJECT_").lower().replace("_", " ")) if t is not None else "object"


def _on(name: str | None, table: str) -> str:
    return f"{name} on {table}"


def _drop_name(kind: ObjectType | None, obj: object) -> str:
    if isinstance(obj, ast.ObjectWithArgs):
        return dotted(obj.objname)
    if isinstance(obj, ast.TypeName):
        return dotted(obj.names)
    if isinstance(obj, ast.String):
        return obj.sval or ""
    parts = list(obj) if isinstance(obj, tuple) else []
    if kind in (ObjectType.OBJECT_POLICY, ObjectType.OBJECT_TRIGGER, ObjectType.OBJECT_RULE) and len(parts) >= 2:
        return _on(getattr(parts[-1], "sval", ""), dotted(parts[:-1]))
    if kind in (ObjectType.OBJECT_SCHEMA, ObjectType.OBJECT_EXTENSION):
        return getattr(parts[-1], "sval", "") if parts else ""
    return dotted(parts)


def _alter_table(node: ast.AlterTableStmt, out: Objects) -> None:
    kind = _kind(node.objtype) if node.objtype is not None else "table"
    out.altered.append(ObjectRef(kind=kind, name=rangevar_name(node.relation)))
    table = rangevar_name(node.relation)
    for cmd in node.cmds or ():
        if not isinstance(cmd, ast.AlterTableCmd):
            continue
        # constraints and indexes added or dropped inside ALTER TABLE are objects of their own
        if isinstance(cmd.def_, ast.Constraint) and cmd.def_.conname:
            out.created.append(ObjectRef(kind="constraint", name=_on(cmd.def_.conname, table)))
        elif cmd.subtype is not None and cmd.subtype.name == "AT_DropConstraint" and cmd.name:
            out.dropped.append(ObjectRef(kind="constraint", name=_on(cmd.name, table)))


def statement_objects(stmt: Statement) -> Objects:
    """The objects ``stmt`` creates, alters and drops (schema-qualified, 'public' when bare)."""
    out = Objects()
    node = stmt.node
    match node:
        case ast.CreateStmt():
            out.created.append(ObjectRef(kind="table", name=rangevar_name(node.relation)))
        case ast.CreateTableAsStmt(into=ast.IntoClause(rel=rv)):
            kind = "materialized view" if node.objtype == ObjectType.OBJECT_MATVIEW else "table"
            out.created.append(ObjectRef(kind=kind, name=rangevar_name(rv)))
        case ast.ViewStmt():
            out.created.append(ObjectRef(kind="view", name=rangevar_name(node.view)))
        case ast.IndexStmt():
            schema = node.relation.schemaname if node.relation is not None else None
            out.created.append(ObjectRef(kind="index", name=qualify(schema, node.idxname or "(unnamed)")))
        case ast.CreateFunctionStmt():
            kind = "procedure" if node.is_procedure else "function"
            out.created.append(ObjectRef(kind=kind, name=dotted(node.funcname)))
        case ast.AlterFunctionStmt():
            name = dotted(node.func.objname if node.func else ())
            out.altered.append(ObjectRef(kind=_kind(node.objtype), name=name))
        case ast.CreatePolicyStmt():
            out.created.append(ObjectRef(kind="policy", name=_on(node.policy_name, rangevar_name(node.table))))
        case ast.AlterPolicyStmt():
            out.altered.append(ObjectRef(kind="policy", name=_on(node.policy_name, rangevar_name(node.table))))
        case ast.CreateTrigStmt():
            out.created.append(ObjectRef(kind="trigger", name=_on(node.trigname, rangevar_name(node.relation))))
        case ast.CreateSchemaStmt():
            out.created.append(ObjectRef(kind="schema", name=node.schemaname or ""))
        case ast.CreateExtensionStmt():
            out.created.append(ObjectRef(kind="extension", name=node.extname or ""))
        case ast.AlterExtensionStmt():
            out.altered.append(ObjectRef(kind="extension", name=node.extname or ""))
        case ast.CreateSeqStmt():
            out.created.append(ObjectRef(kind="sequence", name=rangevar_name(node.sequence)))
        case ast.AlterSeqStmt():
            out.altered.append(ObjectRef(kind="sequence", name=rangevar_name(node.sequence)))
        case ast.CreateEnumStmt():
            out.created.append(ObjectRef(kind="type", name=dotted(node.typeName)))
        case ast.AlterEnumStmt():
            out.altered.append(ObjectRef(kind="type", name=dotted(node.typeName)))
        case ast.CompositeTypeStmt():
            out.created.append(ObjectRef(kind="type", name=rangevar_name(node.typevar)))
        case ast.CreateDomainStmt():
            out.created.append(ObjectRef(kind="domain", name=dotted(node.domainname)))
        case ast.CreateRoleStmt():
            out.created.append(ObjectRef(kind="role", name=node.role or ""))
        case ast.AlterTableStmt():
            _alter_table(node, out)
        case ast.RenameStmt():
            kind = _kind(node.renameType)
            if node.relation is not None:
                target = rangevar_name(node.relation)
                if node.renameType in (ObjectType.OBJECT_COLUMN, ObjectType.OBJECT_TABCONSTRAINT,
                                       ObjectType.OBJECT_POLICY, ObjectType.OBJECT_TRIGGER):
                    out.altered.append(ObjectRef(kind=_kind(node.relationType) if node.relationType else "table",
                                                 name=target))
                else:
                    out.dropped.append(ObjectRef(kind=kind, name=target))
                    out.created.append(ObjectRef(kind=kind, name=qualify(node.relation.schemaname, node.newname)))
            else:
                out.altered.append(ObjectRef(kind=kind, name=_drop_name(node.renameType, node.object)))
        case ast.AlterObjectSchemaStmt():
            name = (rangevar_name(node.relation) if node.relation is not None
                    else _drop_name(node.objectType, node.object))
            out.altered.append(ObjectRef(kind=_kind(node.objectType), name=name))
        case ast.DropStmt():
            kind = _kind(node.removeType)
            for obj in node.objects or ():
                out.dropped.append(ObjectRef(kind=kind, name=_drop_name(node.removeType, obj)))
        case ast.TruncateStmt():
            for rv in node.relations or ():
                if isinstance(rv, ast.RangeVar):
                    out.altered.append(ObjectRef(kind="table", name=rangevar_name(rv)))
        case ast.RefreshMatViewStmt():
            out.altered.append(ObjectRef(kind="materialized view", name=rangevar_name(node.relation)))
    return out
