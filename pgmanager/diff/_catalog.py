"""One database's schema as generic objects keyed by (kind, identity), read from its catalogs.

Every query skips pg_catalog, information_schema, pg_toast, temp schemas, the excluded schemas (the
history schema) and whatever an extension owns (pg_depend deptype 'e'). Each object carries the
properties compared (``props``), what the DDL needs besides (``extra``) and its catalog address, so that
pg_depend edges can be mapped onto objects (``Snapshot.deps``) for ordering the generated migration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg

Key = tuple[str, str]
Address = tuple[str, int, int]


@dataclass
class Obj:
    kind: str
    identity: str
    props: dict[str, Any]
    schema: str = ""
    name: str = ""
    parent: str | None = None
    """The owning table's identity (columns, constraints, indexes, triggers, policies)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> Key:
        return (self.kind, self.identity)


@dataclass
class Snapshot:
    objects: dict[Key, Obj] = field(default_factory=dict)
    deps: dict[Key, set[Key]] = field(default_factory=dict)
    """What each object depends on (pg_depend, normal and auto), among the objects read."""
    default_acl: list[tuple[str, str, str]] = field(default_factory=list)
    """(schema or '', object type r/S/f, grantee) of every default privilege: who a new object is granted to."""

    def add(self, obj: Obj) -> None:
        self.objects[obj.key] = obj


_NS = """n.nspname <> all(%(excluded)s) and n.nspname !~ '^pg_(toast|temp)' and n.nspname <> 'information_schema'
 and n.nspname <> 'pg_catalog'"""


def _not_ext(catalog: str, oid: str) -> str:
    return (f"not exists (select 1 from pg_depend e where e.classid = '{catalog}'::regclass and e.objid = {oid} "
            "and e.deptype = 'e')")


SCHEMAS = f"""select n.oid, n.nspname from pg_namespace n where {_NS} and {_not_ext('pg_namespace', 'n.oid')}"""

EXTENSIONS = """select e.oid, e.extname, n.nspname, e.extversion from pg_extension e
 join pg_namespace n on n.oid = e.extnamespace where e.extname <> 'plpgsql'"""

TYPES = f"""select t.oid, n.nspname, t.typname, t.typtype,
  array(select l.enumlabel::text from pg_enum l where l.enumtypid = t.oid order by l.enumsortorder),
  format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
  array(select 'constraint ' || quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid) from pg_constraint k
        where k.contypid = t.oid order by k.conname),
  array(select quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) from pg_attribute a
        where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped order by a.attnum)
 from pg_type t join pg_namespace n on n.oid = t.typnamespace
 where {_NS} and (t.typtype in ('e', 'd')
   or (t.typtype = 'c' and (select c.relkind from pg_class c where c.oid = t.typrelid) = 'c'))
   and {_not_ext('pg_type', 't.oid')}"""

SEQUENCES = f"""select c.oid, n.nspname, c.relname, format_type(s.seqtypid, null), s.seqstart::text,
  s.seqincrement::text, s.seqmin::text, s.seqmax::text, s.seqcache::text, s.seqcycle,
  (select quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) || '.' || quote_ident(a.attname)
     from pg_depend d join pg_class tc on tc.oid = d.refobjid join pg_namespace tn on tn.oid = tc.relnamespace
     join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
    where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.refclassid = 'pg_class'::regclass
      and d.deptype = 'a')
 from pg_sequence s join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
 where {_NS} and {_not_ext('pg_class', 'c.oid')}
   and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid
                   and d.deptype = 'i')"""

RELATIONS = f"""select c.oid, n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity,
  coalesce(array(select o from unnest(c.reloptions) o order by o), '{{}}'), c.relpersistence,
  case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end,
  case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end,
  (select quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) from pg_inherits i
     join pg_class pc on pc.oid = i.inhparent join pg_namespace pn on pn.oid = pc.relnamespace
    where c.relispartition and i.inhrelid = c.oid),
  pg_get_expr(c.relpartbound, c.oid),
  array(select quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod) from pg_attribute a
         where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum)
 from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where {_NS} and c.relkind in ('r', 'p', 'v', 'm') and {_not_ext('pg_class', 'c.oid')}"""

COLUMNS = f"""select c.oid, a.attnum, n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
  a.attnotnull, case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end, a.attidentity,
  case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end,
  case when a.attcollation <> t.typcollation then (select quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
    from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = a.attcollation) end
 from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
 join pg_type t on t.oid = a.atttypid
 left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
 where {_NS} and c.relkind in ('r', 'p') and not c.relispartition and a.attnum > 0 and not a.attisdropped
   and {_not_ext('pg_class', 'c.oid')}"""

CONSTRAINTS = f"""select k.oid, n.nspname, c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
 from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
 where {_NS} and k.conislocal and not c.relispartition and {_not_ext('pg_class', 'c.oid')}"""

INDEXES = f"""select i.indexrelid, n.nspname, c.relname, ic.relname, pg_get_indexdef(i.indexrelid), i.indisvalid
 from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class c on c.oid = i.indrelid
 join pg_namespace n on n.oid = ic.relnamespace
 where {_NS} and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid
                                and k.conrelid = i.indrelid and k.contype in ('p', 'u', 'x'))
   and not exists (select 1 from pg_inherits h where h.inhrelid = i.indexrelid)
   and {_not_ext('pg_class', 'c.oid')}"""

TRIGGERS = f"""select g.oid, n.nspname, c.relname, g.tgname, pg_get_triggerdef(g.oid), g.tgenabled
 from pg_trigger g join pg_class c on c.oid = g.tgrelid join pg_namespace n on n.oid = c.relnamespace
 where {_NS} and not g.tgisinternal and g.tgparentid = 0 and {_not_ext('pg_class', 'c.oid')}"""

POLICIES = f"""select p.oid, n.nspname, c.relname, p.polname, p.polcmd, p.polpermissive,
  array(select case when r = 0 then 'public' else quote_ident(pg_get_userbyid(r)) end
          from unnest(p.polroles) r order by 1),
  pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid)
 from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
 where {_NS}"""

FUNCTIONS = f"""select p.oid, n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), p.prokind,
  pg_get_functiondef(p.oid), p.provolatile, p.prosecdef,
  coalesce(array(select s from unnest(p.proconfig) s order by s), '{{}}'), pg_get_function_result(p.oid),
  l.lanname, p.prosrc, p.proisstrict, p.proleakproof, p.proparallel, pg_get_function_arguments(p.oid)
 from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
 where {_NS} and p.prokind <> 'a' and {_not_ext('pg_proc', 'p.oid')}"""

# Privileges, normalized: an ACL that is NULL means the default one (acldefault), and the owner's own
# privileges are left out (they follow the owner, who differs between a sandbox and a live database).
GRANTS = f"""select kind, ident, grantee, array_agg(priv order by priv) from (
  select case c.relkind when 'S' then 'sequence' else 'table' end as kind,
         quote_ident(n.nspname) || '.' || quote_ident(c.relname) as ident,
         case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end as grantee,
         a.privilege_type || case when a.is_grantable then '*' else '' end as priv
    from pg_class c join pg_namespace n on n.oid = c.relnamespace,
         aclexplode(coalesce(c.relacl,
                             acldefault((case c.relkind when 'S' then 's' else 'r' end)::"char", c.relowner))) a
   where {_NS} and c.relkind in ('r', 'p', 'v', 'm', 'S') and a.grantee <> c.relowner
     and {_not_ext('pg_class', 'c.oid')}
  union all
  select 'function', quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '('
           || pg_get_function_identity_arguments(p.oid) || ')',
         case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end,
         a.privilege_type || case when a.is_grantable then '*' else '' end
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace,
         aclexplode(coalesce(p.proacl, acldefault('f'::"char", p.proowner))) a
   where {_NS} and p.prokind <> 'a' and a.grantee <> p.proowner and {_not_ext('pg_proc', 'p.oid')}
  union all
  select 'schema', quote_ident(n.nspname),
         case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end,
         a.privilege_type || case when a.is_grantable then '*' else '' end
    from pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n'::"char", n.nspowner))) a
   where {_NS} and a.grantee <> n.nspowner and {_not_ext('pg_namespace', 'n.oid')}
) g group by kind, ident, grantee"""

PUBLICATIONS = """select p.oid, p.pubname, p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, p.pubtruncate,
  array(select quote_ident(n.nspname) || '.' || quote_ident(c.relname) from pg_publication_rel r
          join pg_class c on c.oid = r.prrelid join pg_namespace n on n.oid = c.relnamespace
         where r.prpubid = p.oid order by 1)
 from pg_publication p"""

DEFAULT_ACL = """select coalesce(n.nspname, ''), d.defaclobjtype,
  case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end
 from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a"""

DEPENDS = """select case when d.classid = 'pg_rewrite'::regclass then 'pg_class'
                 when d.classid = 'pg_attrdef'::regclass then 'pg_class' else d.classid::regclass::text end,
  coalesce(r.ev_class, ad.adrelid, d.objid),
  case when d.classid = 'pg_attrdef'::regclass then ad.adnum when d.classid = 'pg_rewrite'::regclass then 0
       else d.objsubid end,
  d.refclassid::regclass::text, d.refobjid, d.refobjsubid
 from pg_depend d
 left join pg_rewrite r on d.classid = 'pg_rewrite'::regclass and r.oid = d.objid
 left join pg_attrdef ad on d.classid = 'pg_attrdef'::regclass and ad.oid = d.objid
 where d.deptype in ('n', 'a') and d.objid >= 16384 and d.refobjid >= 16384"""

TYPE_ALIASES = """select t.oid, t.typrelid, t.typelem from pg_type t
 where t.oid >= 16384 and (t.typrelid <> 0 or t.typelem <> 0)"""

VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}
PARALLEL = {"s": "safe", "r": "restricted", "u": "unsafe"}
POLICY_CMD = {"r": "select", "a": "insert", "w": "update", "d": "delete", "*": "all"}
REL_KIND = {"r": "table", "p": "table", "v": "view", "m": "materialized view"}


def q(*parts: str) -> str:
    """A dotted name for display and identities: each part as PostgreSQL's quote_ident would quote it."""
    return ".".join(p if p.isidentifier() and p == p.lower() and p.isascii() else '"' + p.replace('"', '""') + '"'
                    for p in parts)


def read(conn: psycopg.Connection, excluded: Iterable[str]) -> Snapshot:
    """The schema of the database ``conn`` is connected to."""
    snap = Snapshot()
    params = {"excluded": list(excluded)}
    addr: dict[Address, Key] = {}

    def rows(query: str) -> list[tuple[Any, ...]]:
        return conn.execute(query, params).fetchall()

    def put(obj: Obj, address: Address | None) -> None:
        snap.add(obj)
        if address is not None:
            addr[address] = obj.key

    for oid, s in rows(SCHEMAS):
        put(Obj("schema", q(s), {}, s, s), ("pg_namespace", oid, 0))
    for oid, name, s, version in rows(EXTENSIONS):
        put(Obj("extension", q(name), {"schema": s}, s, name, extra={"version": version}), ("pg_extension", oid, 0))
    _types(rows(TYPES), put)
    for oid, s, name, typ, start, inc, lo, hi, cache, cycle, owned in rows(SEQUENCES):
        put(Obj("sequence", q(s, name), {"type": typ, "start": start, "increment": inc, "min": lo, "max": hi,
                                         "cache": cache, "cycle": cycle}, s, name, extra={"owned_by": owned}),
            ("pg_class", oid, 0))
    _relations(rows(RELATIONS), put)
    for oid, num, s, table, col, typ, notnull, default, ident, gen, coll in rows(COLUMNS):
        put(Obj("column", q(s, table, col), {"type": typ, "default": default, "not_null": notnull,
                                             "identity": {"a": "always", "d": "by default"}.get(ident),
                                             "generated": gen, "collation": coll},
                s, col, parent=q(s, table), extra={"num": num}), ("pg_class", oid, num))
    for oid, s, table, name, typ, definition in rows(CONSTRAINTS):
        put(Obj("constraint", q(s, table, name), {"definition": definition}, s, name, parent=q(s, table),
                extra={"type": typ}), ("pg_constraint", oid, 0))
    for oid, s, table, name, definition, valid in rows(INDEXES):
        put(Obj("index", q(s, name), {"definition": definition, "valid": valid}, s, name, parent=q(s, table)),
            ("pg_class", oid, 0))
    for oid, s, table, name, definition, enabled in rows(TRIGGERS):
        put(Obj("trigger", q(s, table, name), {"definition": definition, "enabled": enabled}, s, name,
                parent=q(s, table)), ("pg_trigger", oid, 0))
    for oid, s, table, name, cmd, permissive, roles, using, check in rows(POLICIES):
        put(Obj("policy", q(s, table, name), {"command": POLICY_CMD.get(cmd, cmd), "permissive": permissive,
                                              "roles": list(roles), "using": using, "with_check": check},
                s, name, parent=q(s, table)), ("pg_policy", oid, 0))
    _functions(rows(FUNCTIONS), put)
    for kind, ident, grantee, privs in rows(GRANTS):
        snap.add(Obj("grant", f"{kind} {ident} to {grantee}", {"privileges": list(privs)}, name=grantee,
                     extra={"on_kind": kind, "on": ident}))
    for oid, name, alltables, ins, upd, dele, trunc, tables in rows(PUBLICATIONS):
        publish = [a for a, on in (("insert", ins), ("update", upd), ("delete", dele), ("truncate", trunc)) if on]
        put(Obj("publication", q(name), {"all_tables": alltables, "publish": publish, "tables": list(tables)},
                name=name), ("pg_publication", oid, 0))
    snap.default_acl = [(s, t, g) for s, t, g in conn.execute(DEFAULT_ACL).fetchall()]
    _depends(conn, snap, addr)
    return snap


def _types(rows: list[tuple[Any, ...]], put: Any) -> None:
    for oid, s, name, typtype, labels, base, notnull, default, checks, attrs in rows:
        if typtype == "e":
            props: dict[str, Any] = {"enum": list(labels)}
        elif typtype == "d":
            props = {"domain": base, "not_null": notnull, "default": default, "constraints": list(checks)}
        else:
            props = {"composite": list(attrs)}
        put(Obj("type", q(s, name), props, s, name), ("pg_type", oid, 0))


def _relations(rows: list[tuple[Any, ...]], put: Any) -> None:
    for oid, s, name, relkind, rls, forced, options, persistence, viewdef, partkey, parent, bound, cols in rows:
        kind = REL_KIND[relkind]
        props: dict[str, Any] = {"options": list(options)}
        if kind == "table":
            props.update(rls_enabled=rls, rls_forced=forced, unlogged=persistence == "u", partition_by=partkey,
                         partition_of=parent, partition_bound=bound)
        else:
            props["definition"] = viewdef
        put(Obj(kind, q(s, name), props, s, name, extra={"columns": list(cols)}), ("pg_class", oid, 0))


def _functions(rows: list[tuple[Any, ...]], put: Any) -> None:
    for (oid, s, name, args, prokind, definition, volatility, secdef, config, result, language, body, strict,
         leakproof, parallel, arguments) in rows:
        props = {"arguments": arguments, "returns": result, "language": language,
                 "volatility": VOLATILITY.get(volatility, volatility), "security_definer": secdef,
                 "config": list(config), "strict": strict, "leakproof": leakproof,
                 "parallel": PARALLEL.get(parallel, parallel), "body": body}
        kind = "procedure" if prokind == "p" else "function"
        put(Obj("function", f"{q(s, name)}({args})", props, s, name,
                extra={"definition": definition, "routine": kind, "args": args}), ("pg_proc", oid, 0))


def _depends(conn: psycopg.Connection, snap: Snapshot, addr: dict[Address, Key]) -> None:
    """pg_depend's edges between the objects read: a table's row type stands for the table, an array type
    for its element type, a column without an object of its own (a view's) for its relation."""
    alias: dict[Address, Address] = {}
    for oid, relid, elem in conn.execute(TYPE_ALIASES).fetchall():
        alias[("pg_type", oid, 0)] = ("pg_class", relid, 0) if relid else ("pg_type", elem, 0)

    def find(a: Address) -> Key | None:
        for _ in range(3):
            a = alias.get(a, a)
        return addr.get(a) or addr.get((a[0], a[1], 0))

    for cls, oid, sub, refcls, refoid, refsub in conn.execute(DEPENDS).fetchall():
        k, ref = find((cls, oid, sub)), find((refcls, refoid, refsub))
        if k is not None and ref is not None and k != ref:
            snap.deps.setdefault(k, set()).add(ref)
