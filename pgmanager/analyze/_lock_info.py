"""What the lock analysis says about one lock: :class:`LockInfo`, and how it is made (:func:`info`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

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


NEW_TABLE = "is new, nobody else can see it yet"


def on_new_table(lock: LockInfo) -> LockInfo:
    """``lock`` on a table created earlier in the same migration or plan: what the statement does, without the
    advice (CONCURRENTLY, NOT VALID, ...): nobody else can see the table, so nobody waits on the lock."""
    if not lock.table or lock.note.startswith("new "):
        return lock
    what = re.split(r"[:;]", lock.note, maxsplit=1)[0].strip()
    return replace(lock, note=f"{what}: {lock.table} {NEW_TABLE}")


def is_new_table_note(note: str) -> bool:
    """Whether a note is the one :func:`on_new_table` gives."""
    return note.endswith(NEW_TABLE)
