"""What the lock analysis says about one lock: :class:`LockInfo`, and how it is made (:func:`info`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..models import LockMode


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


def info(lock: LockMode, table: str | None, note: str, *, rewrites: bool = False, scans: bool = False) -> LockInfo:
    """``table`` "" (no name in the AST) is no table: None."""
    return LockInfo(lock=lock, table=table or None, rewrites=rewrites, scans=scans, note=note)
