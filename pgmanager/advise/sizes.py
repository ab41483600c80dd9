"""The size a btree will have when built, from the planner's statistics (hypopg's estimate as the fallback).

hypopg sizes an index as one tuple per row with its own page model, about 1.4x what CREATE INDEX
builds here, and it ignores deduplication: since PostgreSQL 13 a btree stores equal keys once with a
posting list of the rows' heap TIDs (6 bytes each), so an index on a column with few distinct values
(``user_id`` over 2M events of 10k users) is several times smaller. Both matter to a selection per byte
under a budget given in real megabytes.

The model: rows (the table's ``reltuples``; for a partial index scaled by hypopg's own partial/full
ratio), a tuple of ``MAXALIGN(8 + key and INCLUDE widths) + 4`` bytes (``avg_width`` from pg_stats),
leaf pages filled to 90% (CREATE INDEX's default fillfactor) plus 1% of inner pages and the meta page.
Deduplication applies to an index without INCLUDE columns whose key types have a btree "equalimage"
support function (integers, uuid, timestamps, text and varchar with a deterministic collation, enums;
not numeric, floats, jsonb or arrays): ``k`` rows per distinct key (the columns' ``n_distinct``
multiplied, as if independent, so never more gain than the data allows) take one posting tuple per
``POSTING_MAX`` TIDs instead of ``k`` tuples. A column never analyzed leaves hypopg's estimate as it is.
"""

from __future__ import annotations

import math

import psycopg

from .candidates import Candidate

POSTING_MAX = 400
"""TIDs per posting tuple: a posting list is at most a third of a page (about 2.7 kB)."""
PAGE = 8192
USABLE = PAGE - 24 - 16
"""A page less its header and the btree special space."""
FILL = 0.90
INNER = 1.01
_TUPLE_HEADER = 8
_LINE_POINTER = 4
_TID = 6

_STATS = """
select a.attname::text, s.n_distinct, s.avg_width, c.reltuples,
    exists (select 1 from pg_catalog.pg_opclass as oc
            join pg_catalog.pg_amproc as p on p.amprocfamily = oc.opcfamily and p.amprocnum = 4
                and p.amproclefttype = oc.opcintype
            where oc.opcmethod = (select am.oid from pg_catalog.pg_am as am where am.amname = 'btree')
                and oc.opcdefault and oc.opcintype = case
                    when b.typtype = 'e' then 'anyenum'::regtype
                    when b.oid = 'varchar'::regtype then 'text'::regtype
                    else b.oid end)
from pg_catalog.pg_attribute as a
join pg_catalog.pg_class as c on c.oid = a.attrelid
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
join pg_catalog.pg_type as t on t.oid = a.atttypid
join pg_catalog.pg_type as b on b.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
left join pg_catalog.pg_stats as s on s.schemaname = n.nspname and s.tablename = c.relname and s.attname = a.attname
where n.nspname = %s and c.relname = %s and a.attname = any(%s) and a.attnum > 0 and not a.attisdropped
"""


def _align(n: float) -> float:
    return math.ceil(n / 8) * 8


def built_size(conn: psycopg.Connection, cand: Candidate, hypo_bytes: int, share: float = 1.0) -> int:
    """The index's size once built; ``hypo_bytes``: hypopg's estimate, kept when there is nothing to model
    from; ``share``: the rows a partial index holds, as a fraction of the table's."""
    schema, table = cand.table.split(".", 1)
    columns = list(dict.fromkeys([*cand.columns, *cand.include]))
    rows = {r[0]: r for r in conn.execute(_STATS, [schema, table, columns]).fetchall()}
    if len(rows) != len(columns) or any(r[1] is None or r[2] is None for r in rows.values()):
        return hypo_bytes
    tuples = max(float(next(iter(rows.values()))[3] or 0), 0.0) * share
    if tuples < 1:
        return hypo_bytes
    width = sum(float(rows[c][2]) for c in columns)
    plain = _align(_TUPLE_HEADER + width) + _LINE_POINTER
    leaf = tuples * plain
    if not cand.include and all(rows[c][4] for c in cand.columns):
        distinct = 1.0
        for c in cand.columns:
            n_distinct = float(rows[c][1])
            distinct *= n_distinct if n_distinct > 0 else max(-n_distinct * tuples, 1.0)
        per_key = tuples / min(max(distinct, 1.0), tuples)
        if per_key >= 2:
            pieces = math.ceil(per_key / POSTING_MAX)
            posting = pieces * (_align(_TUPLE_HEADER + width + _TID * per_key / pieces) + _LINE_POINTER)
            leaf = min(leaf, tuples / per_key * posting)
    pages = math.ceil(leaf / (USABLE * FILL) * INNER) + 1
    return int(pages * PAGE)
