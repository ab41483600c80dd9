"""Which lock a statement takes, on which table, and whether it rewrites or scans that table.

Pure: read from the pglast AST alone, so the answers hold for any database the statement could
run on. Where the real behaviour depends on the catalog (the old type of an altered column, the
volatility of a user function), the answer is the conservative one and ``note`` says so.

Lock levels follow the PostgreSQL reference pages (ALTER TABLE, CREATE INDEX, explicit locking).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pglast import ast, visitors
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType, ObjectType

from ..models import LockMode
from ..parse import Statement, default_verdict, dotted, rangevar_name
from ..schema import retype_without_rewrite, type_name


@dataclass(frozen=True)
class LockInfo:
    """One lock a statement takes on one table."""

    lock: LockMode
    """PostgreSQL lock mode taken on ``table`` ("ACCESS EXCLUSIVE", "SHARE", ...); "" when none."""
    table: str | None
    """Schema-qualified name ("public.projects"); None when no table is involved."""
    rewrites: bool
    """The whole table is rewritten (ALTER COLUMN TYPE, volatile default, SET LOGGED ...)."""
    scans: bool
    """The whole table is read while the lock is held (validation, index build, SET NOT NULL ...)."""
    note: str = ""
    """Short human explanation."""


ColumnType = Callable[[str, str], str | None]
"""(table, column) -> the column's type as schema.type_name writes it, or None when unknown."""


def statement_locks(stmt: Statement, column_type: ColumnType | None = None) -> list[LockInfo]:
    """The table locks ``stmt`` takes, in statement order; [] for statements that touch no table.

    ``column_type`` tells the type a column has before the statement (analyze reads it from the schema
    model): ALTER COLUMN ... TYPE then knows when PostgreSQL skips the rewrite. Without it, it assumes one."""
    return list(_locks(stmt.node, column_type))


# ------------------------------------------------------------------ helpers


def _info(lock: LockMode, table: str | None, note: str, *, rewrites: bool = False, scans: bool = False) -> LockInfo:
    """``table`` "" (no name in the AST) is no table: None."""
    return LockInfo(lock=lock, table=table or None, rewrites=rewrites, scans=scans, note=note)


def _default_rewrites(expr: ast.Node | None) -> tuple[bool, str]:
    """Does a column default force a rewrite? Volatile calls: yes; constants, stable and immutable calls: no;
    calls of unknown volatility: yes, unless that function is STABLE or IMMUTABLE (parse.volatility decides,
    for the lint rule too)."""
    verdict = default_verdict(expr)
    return verdict.rewrites, verdict.reason


def _type_name(col: ast.ColumnDef) -> str:
    names = [getattr(p, "sval", "") for p in (col.typeName.names if col.typeName else ()) or ()]
    return names[-1].lower() if names else ""


# ------------------------------------------------------------------ ADD COLUMN / ADD CONSTRAINT


def _add_column(table: str | None, col: ast.ColumnDef) -> list[LockInfo]:
    rewrites, why = False, ""
    scans = False
    extra: list[LockInfo] = []
    # NOT NULL with a default needs no check of existing rows: they all get the default.
    has_default = any(c.contype in (ConstrType.CONSTR_DEFAULT, ConstrType.CONSTR_IDENTITY)
                      for c in col.constraints or ())
    if _type_name(col) in ("serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"):
        rewrites, why = True, "serial column: nextval() fills every existing row"
    for c in col.constraints or ():
        ctype = c.contype
        if ctype == ConstrType.CONSTR_DEFAULT:
            r, w = _default_rewrites(c.raw_expr)
            if r and not rewrites:
                rewrites, why = r, w
        elif ctype == ConstrType.CONSTR_IDENTITY:
            rewrites, why = True, "identity column: every existing row gets a sequence value"
        elif ctype == ConstrType.CONSTR_GENERATED:
            rewrites, why = True, "stored generated column: computed for every existing row"
        elif (ctype == ConstrType.CONSTR_CHECK and not c.skip_validation) or ctype in (
                ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
            scans = True
        elif ctype == ConstrType.CONSTR_FOREIGN:
            extra.append(_info(LockMode.SHARE_ROW_EXCLUSIVE, rangevar_name(c.pktable),
                               "referenced by the new foreign key"))
        elif ctype == ConstrType.CONSTR_NOTNULL and not has_default:
            scans = True
    note = f"add column {col.colname}" + (f"; {why}" if why else "")
    if scans and not rewrites:
        note += "; existing rows are checked against the new constraint"
    return [_info(LockMode.ACCESS_EXCLUSIVE, table, note, rewrites=rewrites, scans=scans or rewrites), *extra]


def _add_constraint(table: str | None, c: ast.Constraint) -> list[LockInfo]:
    name = f" {c.conname}" if c.conname else ""
    not_valid = bool(c.skip_validation)
    ctype = c.contype
    if ctype == ConstrType.CONSTR_FOREIGN:
        note = f"add foreign key{name}" + (" NOT VALID: existing rows are not checked" if not_valid
                                            else ": every existing row is checked; add it NOT VALID and VALIDATE "
                                                 "later")
        return [_info(LockMode.SHARE_ROW_EXCLUSIVE, table, note, scans=not not_valid),
                _info(LockMode.SHARE_ROW_EXCLUSIVE, rangevar_name(c.pktable), f"referenced by foreign key{name}")]
    if ctype == ConstrType.CONSTR_CHECK:
        note = f"add check{name}" + (" NOT VALID" if not_valid else ": every existing row is checked")
        return [_info(LockMode.ACCESS_EXCLUSIVE, table, note, scans=not not_valid)]
    if ctype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
        kind = "primary key" if ctype == ConstrType.CONSTR_PRIMARY else "unique"
        if c.indexname:
            return [_info(LockMode.ACCESS_EXCLUSIVE, table, f"add {kind}{name} using an existing index")]
        return [_info(LockMode.ACCESS_EXCLUSIVE, table,
                      f"add {kind}{name}: builds its index under the lock; build it CONCURRENTLY first and add "
                      "USING INDEX", scans=True)]
    if ctype == ConstrType.CONSTR_EXCLUSION:
        return [_info(LockMode.ACCESS_EXCLUSIVE, table, f"add exclusion constraint{name}: builds its index",
                      scans=True)]
    if ctype == ConstrType.CONSTR_NOTNULL:
        return [_info(LockMode.ACCESS_EXCLUSIVE, table, f"add not null{name}: every existing row is checked",
                      scans=True)]
    return [_info(LockMode.ACCESS_EXCLUSIVE, table, f"add constraint{name}")]


# ------------------------------------------------------------------ ALTER TABLE

_SUE_RELOPTIONS = {"fillfactor", "toast_tuple_target", "parallel_workers", "vacuum_truncate",
                   "vacuum_index_cleanup", "log_autovacuum_min_duration"}

# Subcommands that take less than ACCESS EXCLUSIVE and neither rewrite nor scan.
_SIMPLE: dict[AT, tuple[LockMode, str]] = {
    AT.AT_SetStatistics: (LockMode.SHARE_UPDATE_EXCLUSIVE, "set statistics target"),
    AT.AT_SetOptions: (LockMode.SHARE_UPDATE_EXCLUSIVE, "set column options"),
    AT.AT_ResetOptions: (LockMode.SHARE_UPDATE_EXCLUSIVE, "reset column options"),
    AT.AT_ClusterOn: (LockMode.SHARE_UPDATE_EXCLUSIVE, "cluster on index (marks it only)"),
    AT.AT_DropCluster: (LockMode.SHARE_UPDATE_EXCLUSIVE, "set without cluster"),
    AT.AT_EnableTrig: (LockMode.SHARE_ROW_EXCLUSIVE, "enable trigger"),
    AT.AT_EnableAlwaysTrig: (LockMode.SHARE_ROW_EXCLUSIVE, "enable always trigger"),
    AT.AT_EnableReplicaTrig: (LockMode.SHARE_ROW_EXCLUSIVE, "enable replica trigger"),
    AT.AT_DisableTrig: (LockMode.SHARE_ROW_EXCLUSIVE, "disable trigger"),
    AT.AT_EnableTrigAll: (LockMode.SHARE_ROW_EXCLUSIVE, "enable all triggers"),
    AT.AT_DisableTrigAll: (LockMode.SHARE_ROW_EXCLUSIVE, "disable all triggers"),
    AT.AT_EnableTrigUser: (LockMode.SHARE_ROW_EXCLUSIVE, "enable user triggers"),
    AT.AT_DisableTrigUser: (LockMode.SHARE_ROW_EXCLUSIVE, "disable user triggers"),
    AT.AT_AlterConstraint: (LockMode.ACCESS_EXCLUSIVE, "alter constraint deferrability"),
    AT.AT_ColumnDefault: (LockMode.ACCESS_EXCLUSIVE, "set or drop a column default (existing rows unchanged)"),
    AT.AT_DropNotNull: (LockMode.ACCESS_EXCLUSIVE, "drop not null"),
    AT.AT_DropColumn: (LockMode.ACCESS_EXCLUSIVE, "drop column (no rewrite: the column is hidden)"),
    AT.AT_DropConstraint: (LockMode.ACCESS_EXCLUSIVE, "drop constraint"),
    AT.AT_ChangeOwner: (LockMode.ACCESS_EXCLUSIVE, "change owner"),
    AT.AT_EnableRowSecurity: (LockMode.ACCESS_EXCLUSIVE, "enable row level security"),
    AT.AT_DisableRowSecurity: (LockMode.ACCESS_EXCLUSIVE, "disable row level security"),
    AT.AT_ForceRowSecurity: (LockMode.ACCESS_EXCLUSIVE, "force row level security"),
    AT.AT_NoForceRowSecurity: (LockMode.ACCESS_EXCLUSIVE, "no force row level security"),
    AT.AT_ReplicaIdentity: (LockMode.ACCESS_EXCLUSIVE, "set replica identity"),
    AT.AT_AddIdentity: (LockMode.ACCESS_EXCLUSIVE, "add identity to an existing column"),
    AT.AT_SetIdentity: (LockMode.ACCESS_EXCLUSIVE, "alter identity"),
    AT.AT_DropIdentity: (LockMode.ACCESS_EXCLUSIVE, "drop identity"),
    AT.AT_SetStorage: (LockMode.ACCESS_EXCLUSIVE, "set storage (applies to new rows)"),
    AT.AT_SetCompression: (LockMode.ACCESS_EXCLUSIVE, "set compression (applies to new rows)"),
    AT.AT_DropExpression: (LockMode.ACCESS_EXCLUSIVE, "drop generation expression"),
    AT.AT_AddInherit: (LockMode.ACCESS_EXCLUSIVE, "inherit"),
    AT.AT_DropInherit: (LockMode.ACCESS_EXCLUSIVE, "no inherit"),
    AT.AT_AddOf: (LockMode.ACCESS_EXCLUSIVE, "of type"),
    AT.AT_DropOf: (LockMode.ACCESS_EXCLUSIVE, "not of type"),
    AT.AT_EnableRule: (LockMode.ACCESS_EXCLUSIVE, "enable rule"),
    AT.AT_EnableAlwaysRule: (LockMode.ACCESS_EXCLUSIVE, "enable always rule"),
    AT.AT_EnableReplicaRule: (LockMode.ACCESS_EXCLUSIVE, "enable replica rule"),
    AT.AT_DisableRule: (LockMode.ACCESS_EXCLUSIVE, "disable rule"),
    AT.AT_GenericOptions: (LockMode.ACCESS_EXCLUSIVE, "foreign table options"),
    AT.AT_AlterColumnGenericOptions: (LockMode.ACCESS_EXCLUSIVE, "foreign column options"),
}

# Subcommands that rewrite the whole table under ACCESS EXCLUSIVE.
_REWRITES: dict[AT, str] = {
    AT.AT_SetLogged: "set logged: the table is rewritten into the WAL",
    AT.AT_SetUnLogged: "set unlogged: the table is rewritten",
    AT.AT_SetTableSpace: "set tablespace: every file is copied",
    AT.AT_SetAccessMethod: "set access method: the table is rewritten",
    AT.AT_SetExpression: "set generation expression: every row is recomputed",
    AT.AT_DropOids: "set without oids",
}


def _alter_type(table: str | None, cmd: ast.AlterTableCmd, column_type: ColumnType | None) -> LockInfo:
    col = cmd.name or ""
    new = type_name(cmd.def_.typeName) if isinstance(cmd.def_, ast.ColumnDef) else ""
    using = isinstance(cmd.def_, ast.ColumnDef) and cmd.def_.raw_default is not None
    old = column_type(table, col) if column_type is not None and table else None
    if old is not None and not using and retype_without_rewrite(old, new):
        return _info(LockMode.ACCESS_EXCLUSIVE, table,
                     f"change type of {col} from {old} to {new}: no rewrite and no scan "
                     "(PostgreSQL only changes the catalog)")
    was = f" from {old}" if old is not None else ""
    why = ("USING: every row is converted" if using else "not a change PostgreSQL makes in place" if old is not None
           else "rewrites the table and its indexes unless the change is binary-coercible (e.g. varchar(n) -> text)")
    return _info(LockMode.ACCESS_EXCLUSIVE, table, f"change type of {col}{was} to {new}: {why}", rewrites=True,
                 scans=True)


def _alter_cmd(table: str | None, cmd: ast.AlterTableCmd, objtype: ObjectType | None,
               column_type: ColumnType | None = None) -> list[LockInfo]:
    sub = cmd.subtype
    col = f" {cmd.name}" if cmd.name else ""
    if sub == AT.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        return _add_column(table, cmd.def_)
    if sub in (AT.AT_AddConstraint, AT.AT_AddIndexConstraint) and isinstance(cmd.def_, ast.Constraint):
        return _add_constraint(table, cmd.def_)
    if sub == AT.AT_ValidateConstraint:
        return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE, table,
                      f"validate constraint{col}: scans the table but lets reads and writes go on", scans=True)]
    if sub == AT.AT_SetNotNull:
        return [_info(LockMode.ACCESS_EXCLUSIVE, table,
                      f"set not null on{col}: every row is checked (skipped when a valid CHECK (col IS NOT NULL) "
                      "exists)", scans=True)]
    if sub == AT.AT_AlterColumnType:
        return [_alter_type(table, cmd, column_type)]
    if sub in _REWRITES:
        return [_info(LockMode.ACCESS_EXCLUSIVE, table, _REWRITES[sub], rewrites=True, scans=True)]
    if sub in (AT.AT_SetRelOptions, AT.AT_ResetRelOptions, AT.AT_ReplaceRelOptions):
        names = {getattr(d, "defname", "") or "" for d in cmd.def_ or ()} if isinstance(cmd.def_, tuple) else set()
        light = all(n in _SUE_RELOPTIONS or n.startswith(("autovacuum_", "toast.autovacuum_")) for n in names)
        return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE if names and light else LockMode.ACCESS_EXCLUSIVE, table,
                      "set storage parameters " + ", ".join(sorted(names)))]
    if sub == AT.AT_AttachPartition:
        part = rangevar_name(cmd.def_.name) if isinstance(cmd.def_, ast.PartitionCmd) else None
        return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE, table, "attach partition"),
                _info(LockMode.ACCESS_EXCLUSIVE, part, "partition being attached: scanned to check the bound unless a "
                      "matching CHECK constraint exists", scans=True)]
    if sub in (AT.AT_DetachPartition, AT.AT_DetachPartitionFinalize):
        concurrent = isinstance(cmd.def_, ast.PartitionCmd) and bool(cmd.def_.concurrent)
        part = rangevar_name(cmd.def_.name) if isinstance(cmd.def_, ast.PartitionCmd) else None
        weak = concurrent or sub == AT.AT_DetachPartitionFinalize
        mode = LockMode.SHARE_UPDATE_EXCLUSIVE if weak else LockMode.ACCESS_EXCLUSIVE
        return [_info(mode, table, "detach partition" + (" concurrently" if concurrent else "")),
                _info(LockMode.ACCESS_EXCLUSIVE if not concurrent else LockMode.SHARE_UPDATE_EXCLUSIVE, part,
                      "partition detached")]
    if sub == AT.AT_AddColumnToView:
        return [_info(LockMode.ACCESS_EXCLUSIVE, table, "add column to view")]
    if sub in _SIMPLE:
        mode, note = _SIMPLE[sub]
        if objtype == ObjectType.OBJECT_INDEX and sub in (AT.AT_SetStatistics,):
            return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE, table, "set statistics on an index expression")]
        return [_info(mode, table, note + col)]
    return [_info(LockMode.ACCESS_EXCLUSIVE, table, f"alter table ({sub.name.removeprefix('AT_') if sub else '?'})")]


def _alter_table(node: ast.AlterTableStmt, column_type: ColumnType | None = None) -> list[LockInfo]:
    table = rangevar_name(node.relation)
    if node.objtype == ObjectType.OBJECT_INDEX:
        subs = {c.subtype for c in node.cmds or () if isinstance(c, ast.AlterTableCmd)}
        if subs <= {AT.AT_SetRelOptions, AT.AT_ResetRelOptions, AT.AT_SetStatistics}:
            return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE, table, "alter index options")]
        return [_info(LockMode.ACCESS_EXCLUSIVE, table, "alter index")]
    out: list[LockInfo] = []
    for cmd in node.cmds or ():
        if isinstance(cmd, ast.AlterTableCmd):
            out.extend(_alter_cmd(table, cmd, node.objtype, column_type))
    return out


# ------------------------------------------------------------------ other statements


def _create_table(node: ast.CreateStmt) -> list[LockInfo]:
    table = rangevar_name(node.relation) or None
    out = [_info(LockMode.ACCESS_EXCLUSIVE, table, "new table: nobody else can see it yet")]
    refs: list[ast.Constraint] = []
    for elt in node.tableElts or ():
        if isinstance(elt, ast.Constraint):
            refs.append(elt)
        elif isinstance(elt, ast.ColumnDef):
            refs.extend(c for c in elt.constraints or () if isinstance(c, ast.Constraint))
    for c in refs:
        if c.contype == ConstrType.CONSTR_FOREIGN and c.pktable is not None:
            ref = rangevar_name(c.pktable) or None
            if ref != table and all(i.table != ref for i in out):
                out.append(_info(LockMode.SHARE_ROW_EXCLUSIVE, ref, "referenced by a foreign key of the new table"))
    if node.partbound is not None and node.inhRelations:
        parent = rangevar_name(node.inhRelations[0]) if isinstance(node.inhRelations[0], ast.RangeVar) else None
        out.append(_info(LockMode.ACCESS_EXCLUSIVE, parent, "new partition of this table"))
    elif node.inhRelations:
        for parent_node in node.inhRelations:
            if isinstance(parent_node, ast.RangeVar):
                out.append(_info(LockMode.SHARE_UPDATE_EXCLUSIVE, rangevar_name(parent_node),
                                 "parent of the new table"))
    return out


def _index(node: ast.IndexStmt) -> list[LockInfo]:
    table = rangevar_name(node.relation)
    name = f" {node.idxname}" if node.idxname else ""
    if node.concurrent:
        return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE, table,
                      f"create index{name} concurrently: reads and writes go on; must run outside a transaction",
                      scans=True)]
    return [_info(LockMode.SHARE, table, f"create index{name}: blocks writes for the whole build; use CONCURRENTLY",
                  scans=True)]


_DROP_TABLE_LIKE = {ObjectType.OBJECT_TABLE: "table", ObjectType.OBJECT_VIEW: "view",
                    ObjectType.OBJECT_MATVIEW: "materialized view", ObjectType.OBJECT_FOREIGN_TABLE: "foreign table",
                    ObjectType.OBJECT_SEQUENCE: "sequence"}


def _drop(node: ast.DropStmt) -> list[LockInfo]:
    rtype = node.removeType
    out: list[LockInfo] = []
    if rtype == ObjectType.OBJECT_INDEX:
        for obj in node.objects or ():
            name = dotted(obj if isinstance(obj, tuple) else ())
            if node.concurrent:
                out.append(_info(LockMode.SHARE_UPDATE_EXCLUSIVE, name, "drop index concurrently: on the index and its "
                                 "table; must run outside a transaction"))
            else:
                out.append(_info(LockMode.ACCESS_EXCLUSIVE, name,
                                 "drop index: on the index and its table; use CONCURRENTLY"))
        return out
    if rtype in _DROP_TABLE_LIKE:
        for obj in node.objects or ():
            out.append(_info(LockMode.ACCESS_EXCLUSIVE, dotted(obj if isinstance(obj, tuple) else ()),
                             f"drop {_DROP_TABLE_LIKE[rtype]}"))
        return out
    if rtype in (ObjectType.OBJECT_POLICY, ObjectType.OBJECT_TRIGGER, ObjectType.OBJECT_RULE):
        for obj in node.objects or ():
            parts = obj if isinstance(obj, tuple) else ()
            out.append(_info(LockMode.ACCESS_EXCLUSIVE, dotted(parts[:-1]),
                             f"drop {rtype.name.removeprefix('OBJECT_').lower()}"
                             f" {getattr(parts[-1], 'sval', '')}" if parts else "drop"))
        return out
    return []


def _rename(node: ast.RenameStmt) -> list[LockInfo]:
    rtype = node.renameType
    if rtype in (ObjectType.OBJECT_INDEX,):
        return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE, rangevar_name(node.relation), f"rename index to {node.newname}")]
    if node.relation is not None:
        what = {ObjectType.OBJECT_COLUMN: f"rename column {node.subname}",
                ObjectType.OBJECT_TABCONSTRAINT: f"rename constraint {node.subname}",
                ObjectType.OBJECT_TRIGGER: f"rename trigger {node.subname}",
                ObjectType.OBJECT_POLICY: f"rename policy {node.subname}"}.get(rtype or ObjectType.OBJECT_TABLE,
                                                                                "rename")
        return [_info(LockMode.ACCESS_EXCLUSIVE, rangevar_name(node.relation),
                      f"{what} to {node.newname}: queries and code using the old name break")]
    return []


def _vacuum(node: ast.VacuumStmt) -> list[LockInfo]:
    opts = {getattr(o, "defname", "") for o in node.options or ()}
    tables: list[str | None] = [rangevar_name(r.relation) for r in node.rels or ()
                                if isinstance(r, ast.VacuumRelation)] or [None]
    if not node.is_vacuumcmd:
        return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE, t, "analyze: samples the table") for t in tables]
    if "full" in opts:
        return [_info(LockMode.ACCESS_EXCLUSIVE, t, "vacuum full: rewrites the table; must run outside a transaction",
                      rewrites=True, scans=True) for t in tables]
    return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE, t, "vacuum: reads and writes go on; must run outside a transaction",
                  scans=True) for t in tables]


def _reindex(node: ast.ReindexStmt) -> list[LockInfo]:
    concurrent = any(getattr(p, "defname", None) == "concurrently" for p in node.params or ())
    target = rangevar_name(node.relation) if node.relation is not None else (node.name or None)
    if concurrent:
        return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE, target, "reindex concurrently: must run outside a transaction",
                      scans=True)]
    return [_info(LockMode.SHARE, target,
                  "reindex: blocks writes (and reads using the index) for the build; use CONCURRENTLY",
                  scans=True)]


def _dml_target(rel: ast.RangeVar | None, verb: str, where: ast.Node | None, has_where: bool) -> list[LockInfo]:
    whole = not has_where
    note = f"{verb}" + (": every row (no WHERE)" if whole and verb != "insert" else "")
    return [_info(LockMode.ROW_EXCLUSIVE, rangevar_name(rel), note, scans=whole and verb != "insert")]


_LOCK_TABLE_MODES = {mode.rank: mode for mode in LockMode if mode.rank}
"""LOCK TABLE's mode numbers 1..8 in the AST."""


def _select_tables(node: ast.Node) -> list[str]:
    names: list[str] = []

    class _V(visitors.Visitor):
        def visit_RangeVar(self, ancestors: object, rv: ast.RangeVar) -> None:
            name = rangevar_name(rv)
            if name and name not in names:
                names.append(name)

    _V()(node)
    return names


def _locks(node: ast.Node, column_type: ColumnType | None = None) -> list[LockInfo]:
    match node:
        case ast.AlterTableStmt():
            return _alter_table(node, column_type)
        case ast.CreateStmt():
            return _create_table(node)
        case ast.IndexStmt():
            return _index(node)
        case ast.DropStmt():
            return _drop(node)
        case ast.ReindexStmt():
            return _reindex(node)
        case ast.CreatePolicyStmt(table=rv):
            return [_info(LockMode.ACCESS_EXCLUSIVE, rangevar_name(rv), f"create policy {node.policy_name}")]
        case ast.AlterPolicyStmt(table=rv):
            return [_info(LockMode.ACCESS_EXCLUSIVE, rangevar_name(rv), f"alter policy {node.policy_name}")]
        case ast.ViewStmt(view=rv, replace=replace):
            if replace:
                return [_info(LockMode.ACCESS_EXCLUSIVE, rangevar_name(rv),
                              "create or replace view: blocks queries on the view")]
            return [_info(LockMode.ACCESS_EXCLUSIVE, rangevar_name(rv), "new view: nobody else can see it yet")]
        case ast.CreateTableAsStmt(into=ast.IntoClause(rel=rv)):
            return [_info(LockMode.ACCESS_EXCLUSIVE, rangevar_name(rv),
                          "new table from a query: nobody else can see it yet"),
                    *(_info(LockMode.ACCESS_SHARE, t, "read by the query", scans=True)
                      for t in (_select_tables(node.query) if node.query else []) if t != rangevar_name(rv))]
        case ast.CreateTrigStmt(relation=rv):
            return [_info(LockMode.SHARE_ROW_EXCLUSIVE, rangevar_name(rv),
                          f"create trigger {node.trigname}: blocks writes briefly")]
        case ast.RuleStmt(relation=rv):
            return [_info(LockMode.ACCESS_EXCLUSIVE, rangevar_name(rv), f"create rule {node.rulename}")]
        case ast.TruncateStmt():
            return [_info(LockMode.ACCESS_EXCLUSIVE, rangevar_name(rv), "truncate") for rv in node.relations or ()
                    if isinstance(rv, ast.RangeVar)]
        case ast.VacuumStmt():
            return _vacuum(node)
        case ast.ClusterStmt(relation=rv):
            return [_info(LockMode.ACCESS_EXCLUSIVE, rangevar_name(rv), "cluster: rewrites the table in index order",
                          rewrites=True, scans=True)]
        case ast.RenameStmt():
            return _rename(node)
        case ast.RefreshMatViewStmt(relation=rv, concurrent=concurrent):
            return [_info(LockMode.EXCLUSIVE if concurrent else LockMode.ACCESS_EXCLUSIVE, rangevar_name(rv),
                          "refresh materialized view" + (" concurrently: reads go on" if concurrent
                                                         else ": blocks reads; use CONCURRENTLY"),
                          rewrites=not concurrent, scans=True)]
        case ast.LockStmt():
            mode = _LOCK_TABLE_MODES.get(node.mode or 8, LockMode.ACCESS_EXCLUSIVE)
            return [_info(mode, rangevar_name(rv), "explicit lock table") for rv in node.relations or ()
                    if isinstance(rv, ast.RangeVar)]
        case ast.InsertStmt(relation=rv):
            return _dml_target(rv, "insert", None, True)
        case ast.UpdateStmt(relation=rv, whereClause=where):
            return _dml_target(rv, "update", where, where is not None)
        case ast.DeleteStmt(relation=rv, whereClause=where):
            return _dml_target(rv, "delete", where, where is not None)
        case ast.MergeStmt(relation=rv):
            return [_info(LockMode.ROW_EXCLUSIVE, rangevar_name(rv), "merge")]
        case ast.SelectStmt():
            if node.lockingClause:
                return [_info(LockMode.ROW_SHARE, t, "select ... for update/share") for t in _select_tables(node)]
            return [_info(LockMode.ACCESS_SHARE, t, "read") for t in _select_tables(node)]
        case ast.CommentStmt(objtype=objtype, object=obj):
            if objtype in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW):
                return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE, dotted(obj if isinstance(obj, tuple) else ()),
                              "comment")]
            if objtype == ObjectType.OBJECT_COLUMN and isinstance(obj, tuple):
                return [_info(LockMode.SHARE_UPDATE_EXCLUSIVE, dotted(obj[:-1]), "comment on column")]
            return []
        case ast.GrantStmt(objtype=ObjectType.OBJECT_TABLE):
            return [_info(LockMode.NONE, rangevar_name(rv), "grant/revoke: catalog only, no table lock")
                    for rv in node.objects or () if isinstance(rv, ast.RangeVar)]
        case ast.DoStmt():
            return [_info(LockMode.NONE, None, "DO block: the locks of its body are not analyzed")]
    return []
