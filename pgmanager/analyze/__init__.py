"""Facts about SQL read from the parsed AST, without a database: lock levels, rewrites, scans, objects
and the dependency graph. Parts load on first use (migrate needs only the locks)."""

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .graph import dependency_graph, function_body_refs
    from .locks import LOCK_MODES, LockInfo, lock_rank, statement_locks
    from .migration import analyze_document
    from .objects import Objects, statement_objects

__getattr__, __all__ = lazy_exports(__name__, {
    ".graph": ("dependency_graph", "function_body_refs"),
    ".locks": ("LOCK_MODES", "LockInfo", "lock_rank", "statement_locks"),
    ".migration": ("analyze_document",),
    ".objects": ("Objects", "statement_objects"),
})
