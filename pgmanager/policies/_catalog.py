"""What the catalog says about the exposed relations: columns, keys, RLS flags, grants and policies."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg import sql

API_ROLES = ("anon", "authenticated")
COMMAND_CHAR = {"SELECT": "r", "INSERT": "a", "UPDATE": "w", "DELETE": "d"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    has_default: bool
    generated: bool
    references: tuple[str, str] | None = None  # (qualified table, column) of a single-column foreign key


@dataclass
class Relation:
    oid: int
    schema: str
    name: str
    kind: str  # r table, p partitioned, v view, m materialized view, f foreign
    rls: bool
    security_invoker: bool
    columns: list[Column] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    unique_sets: list[list[str]] = field(default_factory=list)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def ident(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.name)

    @property
    def is_table(self) -> bool:
        return self.kind in ("r", "p")

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def relations(conn: psycopg.Connection, schemas: list[str]) -> list[Relation]:
    """Tables and views of the exposed schemas, with what the matrix and the fuzzer need to write rows."""
    rows = conn.execute(
        """
        select c.oid::int, n.nspname, c.relname, c.relkind::text, c.relrowsecurity,
               coalesce('security_invoker=true' = any(c.reloptions) or 'security_invoker=on' = any(c.reloptions),
                        false)
        from pg_catalog.pg_class as c
        join pg_catalog.pg_namespace as n on n.oid = c.relnamespace
        where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'f') and not c.relispartition
        order by n.nspname, c.relname
        """, [schemas]).fetchall()
    out = [Relation(*r) for r in rows]
    for rel in out:
        _describe(conn, rel)
    return out


def relation(conn: psycopg.Connection, qualified: str) -> Relation | None:
    schema, _, name = qualified.partition(".")
    found = [r for r in relations(conn, [schema]) if r.name == name]
    return found[0] if found else None


def _describe(conn: psycopg.Connection, rel: Relation) -> None:
    fks = {
        r[0]: (r[1], r[2]) for r in conn.execute(
            """
            select a.attname, fn.nspname || '.' || fc.relname, fa.attname
            from pg_catalog.pg_constraint as k
            join pg_catalog.pg_attribute as a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
            join pg_catalog.pg_class as fc on fc.oid = k.confrelid
            join pg_catalog.pg_namespace as fn on fn.oid = fc.relnamespace
            join pg_catalog.pg_attribute as fa on fa.attrelid = k.confrelid and fa.attnum = k.confkey[1]
            where k.conrelid = %s and k.contype = 'f' and cardinality(k.conkey) = 1
            """, [rel.oid]).fetchall()
    }
    for name, typ, has_default, generated in conn.execute(
            """
            select a.attname, format_type(a.atttypid, a.atttypmod), a.atthasdef or a.attidentity <> '',
                   a.attgenerated <> '' or a.attidentity = 'a'
            from pg_catalog.pg_attribute as a
            where a.attrelid = %s and a.attnum > 0 and not a.attisdropped
            order by a.attnum
            """, [rel.oid]).fetchall():
        rel.columns.append(Column(name, typ, has_default, generated, fks.get(name)))
    for primary, cols in conn.execute(
            """
            select i.indisprimary, array_agg(a.attname order by k.ord)
            from pg_catalog.pg_index as i
            cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
            join pg_catalog.pg_attribute as a on a.attrelid = i.indrelid and a.attnum = k.attnum
            where i.indrelid = %s and i.indisunique
            group by i.indexrelid, i.indisprimary
            """, [rel.oid]).fetchall():
        if primary:
            rel.primary_key = list(cols)
        else:
            rel.unique_sets.append(list(cols))


def has_privilege(conn: psycopg.Connection, role: str, rel: Relation, command: str) -> bool:
    row = conn.execute("select has_table_privilege(%s, %s::oid, %s)", [role, rel.oid, command]).fetchone()
    return bool(row and row[0])


def policy_exists(conn: psycopg.Connection, role: str, rel: Relation, command: str) -> bool:
    """A permissive policy for ``command`` (or ALL) applying to ``role`` (directly, via PUBLIC or membership)."""
    row = conn.execute(
        """
        select exists (
            select 1 from pg_catalog.pg_policy as p
            where p.polrelid = %s and p.polpermissive and p.polcmd in (%s, '*')
              and (0::oid = any(p.polroles)
                   or exists (select 1 from unnest(p.polroles) as r(oid) where pg_has_role(%s, r.oid, 'member')))
        )
        """, [rel.oid, COMMAND_CHAR[command], role]).fetchone()
    return bool(row and row[0])


def has_policies(conn: psycopg.Connection, rel: Relation) -> bool:
    row = conn.execute("select exists (select 1 from pg_catalog.pg_policy where polrelid = %s)", [rel.oid]).fetchone()
    return bool(row and row[0])


def default_privilege(conn: psycopg.Connection, role: str, rel: Relation, command: str) -> bool:
    """The schema's default privileges (Supabase's ``alter default privileges ... grant all on tables``)
    give ``role`` (or PUBLIC) ``command`` on tables its owner creates there, so the grant need not be deliberate."""
    row = conn.execute(
        """
        select exists (
            select 1 from pg_catalog.pg_class as c
            join pg_catalog.pg_default_acl as d
              on d.defaclrole = c.relowner and d.defaclnamespace in (c.relnamespace, 0) and d.defaclobjtype = 'r'
            cross join lateral pg_catalog.aclexplode(d.defaclacl) as a
            where c.oid = %s and a.privilege_type = %s
              and (a.grantee = 0 or a.grantee = (select r.oid from pg_catalog.pg_roles as r where r.rolname = %s))
        )
        """, [rel.oid, command, role]).fetchone()
    return bool(row and row[0])
