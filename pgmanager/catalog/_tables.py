"""What a database's catalog says about its tables, read once.

Columns (type, NOT NULL, default, identity), keys (primary, unique indexes), foreign keys and CHECK
constraints: enough to fill tables in foreign-key order (bench's generator, verify's world), for the
bench workload to check that a parameter's ``from schema.table.column`` exists, and to find who owns a row.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import psycopg

USERS_TABLE = "auth.users"
"""Where request identities come from: the JWT ``sub`` claim is an auth.users id (Supabase)."""

_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")

PLATFORM_SCHEMAS = ("information_schema", "auth", "storage", "realtime", "_realtime", "extensions", "graphql",
                    "graphql_public", "vault", "pgsodium", "pgsodium_masks", "net", "cron", "pgbouncer", "pgtle",
                    "supabase_functions", "supabase_migrations", "_analytics", "tests", "pgtap")
"""Schemas of the platform (Supabase, extensions), not the project's: verify never names them as unexposed,
diff leaves them out on a Supabase target unless the project creates the object."""


@dataclass(frozen=True)
class Column:
    name: str
    type_sql: str
    """format_type(): a valid type name to cast to, typmod included (``character varying(50)``)."""
    type_name: str
    """pg_type.typname of the base type (a domain's base type): ``uuid``, ``int4``, ``jsonb``."""
    category: str
    """pg_type.typcategory of the base type: S string, N numeric, D date/time, B boolean, E enum..."""
    not_null: bool
    default: str | None
    identity: bool
    generated: bool
    enum_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ForeignKey:
    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass
class Table:
    schema: str
    name: str
    reltuples: float
    """The planner's row count; -1 when the table was never analyzed."""
    columns: list[Column] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    unique: list[tuple[str, ...]] = field(default_factory=list)
    """Every unique index over plain columns, the primary key's included."""
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[tuple[str, str]] = field(default_factory=list)
    """(name, pg_get_constraintdef) of each CHECK constraint."""

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


_TABLES = """
select c.oid, n.nspname, c.relname, c.reltuples::float8
from pg_catalog.pg_class as c
join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and not c.relispartition
    and n.nspname <> all(%s) and n.nspname !~ '^pg_'
"""

_COLUMNS = """
select a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
    bt.typname, bt.typcategory, a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid),
    a.attidentity <> '', a.attgenerated <> '',
    coalesce((select array_agg(e.enumlabel::text order by e.enumsortorder)
              from pg_catalog.pg_enum as e where e.enumtypid = bt.oid), '{}')
from pg_catalog.pg_attribute as a
join pg_catalog.pg_type as t on t.oid = a.atttypid
join pg_catalog.pg_type as bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
left join pg_catalog.pg_attrdef as d on d.adrelid = a.attrelid and d.adnum = a.attnum
where a.attrelid = any(%s) and a.attnum > 0 and not a.attisdropped
order by a.attrelid, a.attnum
"""

_UNIQUE = """
select i.indrelid, i.indisprimary, i.indkey::int2[]
from pg_catalog.pg_index as i
where i.indrelid = any(%s) and i.indisunique and i.indexprs is null and i.indpred is null
order by i.indrelid, not i.indisprimary, i.indexrelid
"""

_CONSTRAINTS = """
select c.conrelid, c.conname, c.contype, c.conkey, c.confrelid, c.confkey, pg_catalog.pg_get_constraintdef(c.oid)
from pg_catalog.pg_constraint as c
where c.conrelid = any(%s) and c.contype in ('f', 'c')
order by c.conrelid, c.conname
"""


def read_catalog(conn: psycopg.Connection) -> dict[str, Table]:
    """Every ordinary table outside the system schemas, by ``schema.name``."""
    rows = conn.execute(_TABLES, [list(_SYSTEM_SCHEMAS)]).fetchall()
    by_oid = {oid: Table(schema=nsp, name=rel, reltuples=tuples) for oid, nsp, rel, tuples in rows}
    oids = list(by_oid)
    names: dict[tuple[int, int], str] = {}
    for (relid, attnum, name, type_sql, typname, category, not_null, default, identity, generated,
         labels) in conn.execute(_COLUMNS, [oids]).fetchall():
        names[(relid, attnum)] = name
        by_oid[relid].columns.append(Column(name=name, type_sql=type_sql, type_name=typname, category=category,
                                            not_null=not_null, default=default, identity=identity,
                                            generated=generated, enum_labels=tuple(labels)))
    for relid, primary, keys in conn.execute(_UNIQUE, [oids]).fetchall():
        cols = tuple(names[(relid, k)] for k in keys)
        by_oid[relid].unique.append(cols)
        if primary:
            by_oid[relid].primary_key = cols
    for relid, conname, contype, conkey, confrelid, confkey, definition in conn.execute(_CONSTRAINTS,
                                                                                        [oids]).fetchall():
        table = by_oid[relid]
        if contype == "c":
            table.checks.append((conname, definition))
        elif confrelid in by_oid:
            table.foreign_keys.append(ForeignKey(
                name=conname, columns=tuple(names[(relid, k)] for k in conkey),
                ref_table=by_oid[confrelid].qualified,
                ref_columns=tuple(names[(confrelid, k)] for k in confkey)))
    return {t.qualified: t for t in by_oid.values()}


def closure(catalog: dict[str, Table], roots: list[str]) -> list[str]:
    """``roots`` and every table they reference through foreign keys, transitively (sorted)."""
    seen: set[str] = set()
    todo = [r for r in roots if r in catalog]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(fk.ref_table for fk in catalog[name].foreign_keys)
    return sorted(seen)


def owner_path(catalog: dict[str, Table], table: str) -> list[ForeignKey] | None:
    """The shortest chain of single-column foreign keys from ``table`` to the users table, or None.

    The owner of a row is the user id at the chain's end: ``projects.user_id -> users.id -> auth.users.id``
    says a project's owner is its user_id. ``[]`` when ``table`` is the users table itself.
    """
    if table == USERS_TABLE:
        return []
    queue: deque[tuple[str, list[ForeignKey]]] = deque([(table, [])])
    seen = {table}
    while queue:
        name, path = queue.popleft()
        for fk in sorted(catalog[name].foreign_keys, key=lambda f: f.name):
            if len(fk.columns) != 1:
                continue
            if fk.ref_table == USERS_TABLE:
                return [*path, fk]
            if fk.ref_table not in seen and fk.ref_table in catalog:
                seen.add(fk.ref_table)
                queue.append((fk.ref_table, [*path, fk]))
    return None
