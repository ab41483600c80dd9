"""How risky one lock is on a live table of known size: a level and a reason.

Pure (no database): ``pgmanager plan --dsn`` reads the sizes and a copy rate from the target
(``pgmanager.migrate.sizes``) and grades every lock with :func:`grade`. The levels, by the estimated
seconds the lock is held while the table is rewritten or scanned (its bytes over the copy rate):

==============================================  ======  =======  ========  ========
estimated work under the lock                   < 1 s   < 10 s   < 60 s    longer
==============================================  ======  =======  ========  ========
ACCESS EXCLUSIVE (blocks reads and writes)      medium  medium   high      critical
SHARE .. EXCLUSIVE (blocks writes)              low     low      medium    high
SHARE UPDATE EXCLUSIVE and weaker (both go on)  low     low      low       medium
==============================================  ======  =======  ========  ========

That is, the ladder is low < 1 s, medium < 10 s, high < 60 s, critical beyond, for ACCESS EXCLUSIVE;
a lock that lets reads go on is one level lower, one that lets reads and writes go on two levels
lower, never below low. ACCESS EXCLUSIVE on a table that holds data is at least medium: every query
on the table queues behind it, and the estimate is rough (the rate is measured by writing a temp
table: a real rewrite also writes WAL and rebuilds indexes, a scan only reads). Whatever the size:

- a metadata-only change (no rewrite, no scan) is low: the lock is brief;
- a rewrite or scan of an empty table (0 bytes of heap) is low;
- a table created earlier in the same plan is none: it is empty when the statement runs;
- a statement that takes no table lock is none.

A rewrite copies the heap and its TOAST and rebuilds every index, so its work is the table's total
size (``total_bytes``, pg_total_relation_size); a scan reads the heap (``heap_bytes``, pg_relation_size).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import LockMode, Risk

MB = 1024 * 1024
"""A megabyte as PostgreSQL's pg_size_pretty counts it (1024 kB)."""

DEFAULT_RATE_MB_S = 100.0
"""The copy rate assumed when it cannot be measured on the target (a standby, a read-only target)."""

LEVEL_SECONDS = (1.0, 10.0, 60.0)
"""Upper bounds (exclusive) of low, medium and high for work under ACCESS EXCLUSIVE; beyond is critical."""


@dataclass(frozen=True)
class Grade:
    risk: Risk
    reason: str
    estimate_s: float | None = None
    """Estimated seconds of the rewrite or scan (None when there is no such work)."""


def level_for_seconds(seconds: float) -> Risk:
    """The ladder for ACCESS EXCLUSIVE: low, medium, high, critical by the estimated seconds."""
    for bound, level in zip(LEVEL_SECONDS, (Risk.LOW, Risk.MEDIUM, Risk.HIGH), strict=True):
        if seconds < bound:
            return level
    return Risk.CRITICAL


def lock_shift(lock: LockMode) -> int:
    """Levels below the ACCESS EXCLUSIVE ladder: 0 for it, 1 for locks that block writes only, 2 for weaker."""
    if lock == LockMode.ACCESS_EXCLUSIVE:
        return 0
    return 1 if LockMode(lock).rank >= LockMode.SHARE.rank else 2


def size_text(n: int) -> str:
    """Bytes as pg_size_pretty prints them: 8192 bytes, 16 kB, 850 MB, 10 GB."""
    value = float(n)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if abs(value) < 10 * 1024 or unit == "TB":
            return f"{value:.0f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def seconds_text(seconds: float) -> str:
    """0.36 s, 9.3 s, 97 s, 5 min, 2.5 h."""
    if seconds < 10:
        return f"{seconds:.2g} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def grade(lock: LockMode, table: str | None, *, rewrites: bool, scans: bool, heap_bytes: int | None,
          total_bytes: int | None, rate_mb_s: float, new: bool = False) -> Grade | None:
    """The risk of holding ``lock`` on ``table`` (``heap_bytes`` of heap, ``total_bytes`` with TOAST and
    indexes) while the statement rewrites or scans it, at ``rate_mb_s``; ``new``: created earlier in the plan.

    Sizes are None when unknown (the table is not on the target and not created by the plan): a rewrite or
    scan cannot be graded then, and the answer is None.
    """
    if not lock or not table:
        return Grade(Risk.NONE, "no table lock")
    if new:
        return Grade(Risk.NONE, f"{table} is created earlier in this plan: empty when this runs")
    if not (rewrites or scans):
        return Grade(Risk.LOW, f"metadata only: {lock} on {table} is brief whatever its size")
    if heap_bytes is None or total_bytes is None:
        return None
    what = "rewritten" if rewrites else "scanned"
    if heap_bytes == 0:
        return Grade(Risk.LOW, f"{table} is empty: nothing to be {what}", 0.0)
    work = total_bytes if rewrites else heap_bytes
    seconds = work / (rate_mb_s * MB)
    shift = lock_shift(lock)
    rank = max(level_for_seconds(seconds).rank - shift, Risk.LOW.rank)
    if shift == 0:
        rank = max(rank, Risk.MEDIUM.rank)
    waits = ("reads and writes wait", "writes wait", "reads and writes go on")[shift]
    size = size_text(work) + (" with indexes" if rewrites else "")
    return Grade(list(Risk)[rank], f"{table} ({size}) is {what} under {lock}: {waits} for ~{seconds_text(seconds)} at "
                 f"{rate_mb_s:.0f} MB/s", seconds)
