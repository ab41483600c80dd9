"""The locks of ALTER TABLE: each subcommand's lock mode (the ALTER TABLE reference page), and when adding a
column or a constraint, or changing a column's type, rewrites or scans the table."""

from __future__ import annotations

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType, ObjectType

from ..models import LockMode
from ..parse import default_verdict, rangevar_name
from ..schema import retype_without_rewrite, type_name
from ._lock_info import ColumnType, LockInfo
from ._lock_info import info as _info


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


def alter_table_locks(node: ast.AlterTableStmt, column_type: ColumnType | None = None) -> list[LockInfo]:
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
