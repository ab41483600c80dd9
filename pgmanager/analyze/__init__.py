"""Facts about SQL read from the parsed AST, without a database: lock levels, rewrites, scans."""

from .locks import LOCK_MODES, LockInfo, lock_rank, statement_locks

__all__ = ["LOCK_MODES", "LockInfo", "lock_rank", "statement_locks"]
