"""Facts about SQL read from the parsed AST, without a database: lock levels, rewrites, scans, objects
and the dependency graph. Import what you use from its module (``analyze.locks``, ``analyze.objects``,
``analyze.graph``, ``analyze.migration``, ``analyze.risk``). `pgmanager migrate` needs only the locks,
and only on a failure's path or for a repeatable's dependencies: ``locks_of`` loads them then."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lock_info import is_new_table_note

if TYPE_CHECKING:
    from ..parse import Statement
    from .locks import LockInfo


__all__ = ["is_new_table_note", "locks_of"]


def locks_of(stmt: Statement) -> list[LockInfo]:
    """``analyze.locks.statement_locks(stmt)``, its module (pglast's visitors, the schema model) imported
    on the first call rather than at every migrate's start-up."""
    from .locks import statement_locks

    return statement_locks(stmt)
