"""Live facts for `plan --dsn`: how big the tables a plan locks are, and how fast the target copies data.

Read-only towards user objects: the sizes come from the catalog and the statistics views in one
query; the copy rate from a few MB written into a temp table inside a transaction that is always
rolled back (skipped on a standby or a read-only target, where the documented default is assumed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from ..analyze.risk import DEFAULT_RATE_MB_S, MB
from .session import error_line

if TYPE_CHECKING:
    from ..analyze.locks import LockInfo


@dataclass(frozen=True)
class TableSize:
    name: str
    """As the plan names it: schema.name."""
    kind: str
    """pg_class.relkind: r table, p partitioned (sizes summed over its partitions), m, i, v ..."""
    rows: int | None
    """Estimated rows: reltuples scaled to the current number of pages, else n_live_tup; None when unknown."""
    heap_bytes: int
    """pg_relation_size: the main fork the table's rows live in."""
    total_bytes: int
    """pg_total_relation_size: with TOAST and every index."""


@dataclass(frozen=True)
class Rate:
    mb_s: float
    measured: bool
    note: str


# Names are matched as text (schema || '.' || name, as the parser spells them) rather than cast to
# regclass: no quoting to get right, and no error on a schema we may not use. A partitioned table's
# own relation is empty; its partitions hold the rows, so the leaves are summed.
SIZES_SQL = """
with named as (
  select c.oid, n.nspname || '.' || c.relname as name, c.relkind
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relname = any(%(relnames)s) and n.nspname || '.' || c.relname = any(%(names)s)
), parts as (
  select named.name, named.relkind, coalesce(leaf.relid, named.oid) as oid
    from named left join lateral (
      select relid from pg_partition_tree(named.oid) where isleaf and named.relkind = 'p') leaf on true
)
select p.name, p.relkind::text,
       sum(case when c.reltuples >= 0 and c.relpages > 0
                then c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::int)
                else coalesce(s.n_live_tup, nullif(c.reltuples, -1)) end)::bigint,
       sum(pg_relation_size(c.oid))::bigint, sum(pg_total_relation_size(c.oid))::bigint
  from parts p join pg_class c on c.oid = p.oid left join pg_stat_all_tables s on s.relid = c.oid
 group by p.name, p.relkind
"""


def table_sizes(conn: psycopg.Connection, names: Iterable[str]) -> dict[str, TableSize]:
    """Sizes of the named relations ("schema.name") that exist on the target, keyed by name."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    # "a.b.c" may be schema "a" and table "b.c" or schema "a.b" and table "c": ask for both.
    relnames = sorted({part for n in wanted for part in (n.split(".", 1)[-1], n.rsplit(".", 1)[-1])})
    rows = conn.execute(SIZES_SQL, {"names": wanted, "relnames": relnames}).fetchall()
    return {r[0]: TableSize(name=r[0], kind=r[1], rows=None if r[2] is None else int(r[2]), heap_bytes=int(r[3]),
                            total_bytes=int(r[4])) for r in rows}


PROBE_ROWS = 20_000
"""Rows of the rate probe: about 1.5 MB, well within the default temp_buffers (8 MB): ~25 ms at 60 MB/s."""

# One statement, timed by the server (no network round trip in the measure); the result leaves through a
# transaction-local setting. The temp table lives in a transaction that is rolled back in any case.
PROBE_SQL = sql.SQL("""
do $pgm$
declare started timestamptz := clock_timestamp();
begin
  create temp table pgmanager_rate_probe on commit drop as
    select g as id, md5(g::text) as payload, now() as at from generate_series(1, {rows}) g;
  perform set_config('pgmanager.rate_probe',
                     extract(epoch from clock_timestamp() - started)::text || ' '
                     || pg_total_relation_size('pgmanager_rate_probe')::text, true);
end
$pgm$
""").format(rows=sql.Literal(PROBE_ROWS))


def copy_rate(conn: psycopg.Connection) -> Rate:
    """MB/s the target writes a fresh table at (a temp table in a rolled-back transaction), or the default.

    ``conn`` is an idle autocommit connection. Nothing is measured on a standby or a read-only target, or
    when temp tables are not allowed: the default rate is assumed and the note says why.
    """
    assumed = f"assumed {DEFAULT_RATE_MB_S:.0f} MB/s"
    row = conn.execute("select pg_is_in_recovery(), current_setting('transaction_read_only')").fetchone()
    if row and row[0]:
        return Rate(DEFAULT_RATE_MB_S, False, f"{assumed} (the target is a standby: nothing measured)")
    if row and row[1] == "on":
        return Rate(DEFAULT_RATE_MB_S, False, f"{assumed} (the target is read-only: nothing measured)")
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("select set_config('statement_timeout', '2s', true), set_config('lock_timeout', '1s', true)")
            conn.execute(PROBE_SQL)
            got = conn.execute("select current_setting('pgmanager.rate_probe')").fetchone()
    except psycopg.Error as exc:
        return Rate(DEFAULT_RATE_MB_S, False, f"{assumed} (could not measure: {error_line(exc)})")
    seconds, size = (float(x) for x in (got[0] if got else "0 0").split())
    if seconds <= 0 or size <= 0:
        return Rate(DEFAULT_RATE_MB_S, False, f"{assumed} (the measure was empty)")
    mb_s = size / MB / seconds
    return Rate(round(mb_s, 1), True, f"measured {mb_s:.0f} MB/s ({size / MB:.1f} MB into a temp table in "
                                      f"{seconds * 1000:.0f} ms, rolled back)")


def live_facts(conn: psycopg.Connection, locks: Iterable[LockInfo]) -> tuple[dict[str, TableSize], Rate | None]:
    """The sizes of every table ``locks`` name, and the copy rate when one of them is rewritten or scanned
    and holds data (else None: no estimate needs it, nothing is measured)."""
    taken = [i for i in locks if i.table and i.lock]
    sizes = table_sizes(conn, (i.table for i in taken if i.table))
    heavy = any((i.rewrites or i.scans) and i.table in sizes and sizes[i.table].heap_bytes > 0 for i in taken)
    return sizes, copy_rate(conn) if heavy else None
