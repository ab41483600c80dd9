"""Facts about SQL read from the parsed AST, without a database: lock levels, rewrites, scans."""

from .graph import dependency_graph, function_body_refs
from .locks import LOCK_MODES, LockInfo, lock_rank, statement_locks
from .migration import analyze_document
from .objects import Objects, statement_objects

__all__ = ["LOCK_MODES", "LockInfo", "Objects", "analyze_document", "dependency_graph", "function_body_refs",
           "lock_rank", "statement_locks", "statement_objects"]
