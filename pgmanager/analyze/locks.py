"""Which lock a statement takes, on which table, and whether it rewrites or scans that table.

Pure: read from the pglast AST alone, so the answers hold for any database the statement could
run on. Where the real behaviour depends on the catalog (the old type of an altered column, the
volatility of a user function), the answer is the conservative one and ``note`` says so.

Lock levels follow the PostgreSQL reference pages (ALTER TABLE, CREATE INDEX, explicit locking).
"""

from __future__ import annotations

from pglast import ast, visitors
from pglast.enums import ConstrType, ObjectType

from ..models import LockMode
from ..parse import Statement, dotted, rangevar_name
from ._alter_locks import alter_table_locks
from ._lock_info import ColumnType, LockInfo
from ._lock_info import info as _info

__all__ = ["ColumnType", "LockInfo", "statement_locks"]


def statement_locks(stmt: Statement, column_type: ColumnType | None = None) -> list[LockInfo]:
    """The table locks ``stmt`` takes, in statement order; [] for statements that touch no table.

    ``column_type`` tells the type a column has before the statement (analyze reads it from the schema
    model): ALTER COLUMN ... TYPE then knows when PostgreSQL skips the rewrite. Without it, it assumes one."""
    return list(_locks(stmt.node, column_type))


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
            return alter_table_locks(node, column_type)
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
