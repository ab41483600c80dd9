"""Facts about one statement read from its AST: can it run inside a transaction?"""

from __future__ import annotations

from pglast import ast


def _has_option(params: tuple[ast.Node, ...] | None, name: str) -> bool:
    return any(getattr(p, "defname", None) == name for p in (params or ()))


def no_transaction_reason(node: ast.Node) -> str | None:
    """Why this statement cannot run inside a transaction block, or None if it can."""
    match node:
        case ast.IndexStmt(concurrent=True):
            return "CREATE INDEX CONCURRENTLY"
        case ast.DropStmt(concurrent=True):
            return "DROP INDEX CONCURRENTLY"
        case ast.ReindexStmt() if _has_option(node.params, "concurrently"):
            return "REINDEX CONCURRENTLY"
        case ast.VacuumStmt(is_vacuumcmd=True):
            return "VACUUM"
        case ast.AlterSystemStmt():
            return "ALTER SYSTEM"
        case ast.CreatedbStmt():
            return "CREATE DATABASE"
        case ast.DropdbStmt():
            return "DROP DATABASE"
        case ast.CreateTableSpaceStmt():
            return "CREATE TABLESPACE"
        case ast.DropTableSpaceStmt():
            return "DROP TABLESPACE"
        case ast.ClusterStmt(relation=None):
            return "CLUSTER of every table"
        case ast.AlterTableStmt() if any(isinstance(getattr(c, "def_", None), ast.PartitionCmd)
                                         and c.def_.concurrent for c in node.cmds or ()):
            return "DETACH PARTITION CONCURRENTLY"
        case ast.CreateSubscriptionStmt():
            return "CREATE SUBSCRIPTION"
        case ast.DropSubscriptionStmt():
            return "DROP SUBSCRIPTION"
    return None


# The same facts read from libpg_query's JSON (parse_sql_json), which is ~10x cheaper than building
# pglast nodes: migrate only needs these flags for files whose AST nobody else looks at.
_ALWAYS_OUTSIDE = {
    "AlterSystemStmt": "ALTER SYSTEM",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
    "CreateSubscriptionStmt": "CREATE SUBSCRIPTION",
    "DropSubscriptionStmt": "DROP SUBSCRIPTION",
}


def no_transaction_reason_json(kind: str, body: dict) -> str | None:
    """:func:`no_transaction_reason` for a statement given as libpg_query JSON (node type, fields)."""
    if kind in _ALWAYS_OUTSIDE:
        return _ALWAYS_OUTSIDE[kind]
    if kind == "IndexStmt" and body.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if kind == "DropStmt" and body.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if kind == "ReindexStmt" and any(p.get("DefElem", {}).get("defname") == "concurrently"
                                     for p in body.get("params", ())):
        return "REINDEX CONCURRENTLY"
    if kind == "VacuumStmt" and body.get("is_vacuumcmd"):
        return "VACUUM"
    if kind == "ClusterStmt" and "relation" not in body:
        return "CLUSTER of every table"
    if kind == "AlterTableStmt" and any(c.get("AlterTableCmd", {}).get("def", {}).get("PartitionCmd", {})
                                        .get("concurrent") for c in body.get("cmds", ())):
        return "DETACH PARTITION CONCURRENTLY"
    return None


def is_transaction_control(node: ast.Node) -> bool:
    """BEGIN, COMMIT, ROLLBACK, SAVEPOINT ...: the migrator owns transactions, files must not."""
    return isinstance(node, ast.TransactionStmt)
