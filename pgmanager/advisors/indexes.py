"""Keys and indexes: foreign keys without an index, tables without a primary key, duplicate and unused indexes."""

from __future__ import annotations

from collections.abc import Iterable

from psycopg import sql

from ..models import Severity
from ._base import NOT_EXTENSION_MEMBER, OURS, Advisor, AdvisorContext, Hit

_OWNED = NOT_EXTENSION_MEMBER.format(oid=sql.SQL("c.oid"))

_UNINDEXED_FKS = sql.SQL("""
select n.nspname || '.' || c.relname as table, k.conname as name,
       array(select a.attname::text from unnest(k.conkey) with ordinality as u(num, pos)
             join pg_catalog.pg_attribute as a on a.attrelid = k.conrelid and a.attnum = u.num
             order by u.pos) as columns,
       (select rn.nspname || '.' || r.relname from pg_catalog.pg_class as r
        join pg_catalog.pg_namespace as rn on rn.oid = r.relnamespace where r.oid = k.confrelid) as ref
from pg_catalog.pg_constraint as k
join pg_catalog.pg_class as c on c.oid = k.conrelid
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where k.contype = 'f' and {ours} and {owned}
  and not exists (
    select 1 from pg_catalog.pg_index as i
    where i.indrelid = k.conrelid and i.indisvalid and i.indpred is null
      and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)] @> k.conkey
      and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(k.conkey)] <@ k.conkey)
order by 1, 2
""").format(ours=OURS, owned=_OWNED)

_NO_PRIMARY_KEY = sql.SQL("""
select n.nspname || '.' || c.relname as table
from pg_catalog.pg_class as c
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and not c.relispartition and {ours} and {owned}
  and not exists (select 1 from pg_catalog.pg_index as i where i.indrelid = c.oid and i.indisprimary)
order by 1
""").format(ours=OURS, owned=_OWNED)

# Two indexes are the same when they agree on everything but their name and uniqueness: method, keys,
# operator classes, collations, order, expressions and predicate. Exclusion constraints' indexes are
# left out (their operators are the constraint's).
_DUPLICATES = sql.SQL("""
select n.nspname || '.' || c.relname as table,
       array_agg(x.relname::text order by i.indisprimary desc, i.indisunique desc, x.relname) as indexes,
       bool_or(i.indisprimary) as primary_key,
       min(array_to_string(array(select pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
                                 from generate_series(1, i.indnkeyatts) as k), ', ')) as columns,
       min(pg_catalog.pg_get_expr(i.indpred, i.indrelid)) as predicate
from pg_catalog.pg_index as i
join pg_catalog.pg_class as x on x.oid = i.indexrelid
join pg_catalog.pg_class as c on c.oid = i.indrelid
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where {ours} and {owned} and i.indisvalid
  and not exists (select 1 from pg_catalog.pg_constraint as k where k.conindid = i.indexrelid and k.contype = 'x')
group by n.nspname, c.relname, x.relam, i.indkey::text, i.indclass::text, i.indcollation::text, i.indoption::text,
         pg_catalog.pg_get_expr(i.indexprs, i.indrelid), pg_catalog.pg_get_expr(i.indpred, i.indrelid)
having count(*) > 1
order by 1, 2
""").format(ours=OURS, owned=_OWNED)

_UNUSED = sql.SQL("""
select n.nspname || '.' || c.relname as table, x.relname as name, s.idx_scan,
       pg_catalog.pg_relation_size(i.indexrelid) as bytes,
       (select d.stats_reset::text from pg_catalog.pg_stat_database as d where d.datname = current_database())
         as since
from pg_catalog.pg_stat_user_indexes as s
join pg_catalog.pg_index as i on i.indexrelid = s.indexrelid
join pg_catalog.pg_class as x on x.oid = i.indexrelid
join pg_catalog.pg_class as c on c.oid = i.indrelid
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where s.idx_scan = 0 and not i.indisunique and not i.indisprimary and {ours} and {owned}
  and not exists (select 1 from pg_catalog.pg_constraint as k where k.conindid = i.indexrelid)
order by 1, 2
""").format(ours=OURS, owned=_OWNED)


class UnindexedForeignKeys(Advisor):
    twin = "unindexed-foreign-keys"
    splinter = "unindexed_foreign_keys"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for r in ctx.rows(_UNINDEXED_FKS):
            cols = ", ".join(r["columns"])
            yield Hit("constraint", r["name"], f"foreign key {r['name']} {r['table']} ({cols}) -> {r['ref']} has no "
                                               f"index on ({cols}): deletes in {r['ref']} scan {r['table']}",
                      table=r["table"])


class NoPrimaryKey(Advisor):
    twin = "no-primary-key"
    splinter = "no_primary_key"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for r in ctx.rows(_NO_PRIMARY_KEY):
            yield Hit("table", r["table"], f"table {r['table']} has no primary key")


class DuplicateIndex(Advisor):
    twin = "duplicate-index"
    splinter = "duplicate_index"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for r in ctx.rows(_DUPLICATES):
            keep, *drop = r["indexes"]
            first = "the primary key" if r["primary_key"] else f"index {keep}"
            where = f" where {r['predicate']}" if r["predicate"] else ""
            for name in drop:
                yield Hit("index", name, f"index {name} on {r['table']} ({r['columns']}){where} duplicates {first}",
                          table=r["table"])


class UnusedIndex(Advisor):
    """An index no query has used since the statistics were last reset.

    **Problem.** Every insert and update writes the index, vacuum reads it, and it takes memory and
    disk, but ``pg_stat_user_indexes.idx_scan`` says no scan has used it. Indexes that back a
    constraint (primary key, unique, exclusion) are never reported: they enforce something.

    **Decision.** Only on a live database (``--dsn``/``--target``): on a freshly built sandbox every
    counter is zero. The numbers are those of the server you point at: an index used only on a
    replica, or only by a monthly job, looks unused on the primary. Check ``stats_reset`` (in the
    message) covers a representative period before dropping anything.

    **Solution.** Drop it, concurrently, in a migration::

        drop index concurrently if exists public.idx_orders_created;
    """

    name = "unused-index"
    severity = Severity.INFO
    category = "performance"
    help = "drop the index (concurrently) if no workload needs it, after checking replicas and rare jobs"
    needs_statistics = True
    splinter = "unused_index"

    def check(self, ctx: AdvisorContext) -> Iterable[Hit]:
        for r in ctx.rows(_UNUSED):
            since = f" (statistics since {r['since']})" if r["since"] else ""
            yield Hit("index", r["name"], f"index {r['name']} on {r['table']} ({r['bytes']} bytes) has never been "
                                          f"scanned{since}", table=r["table"])
