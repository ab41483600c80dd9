"""The catalog of a built Supabase project, as comparable rows: what the project's SQL made, not the data."""

from __future__ import annotations

import psycopg

SCHEMAS = ["public", "private"]
"""The project's own schemas: everything in them is compared."""

_QUERIES = {
    "columns": """
        select c.table_schema, c.table_name, c.column_name, c.ordinal_position,
               format_type(a.atttypid, a.atttypmod), c.is_nullable, c.column_default, c.is_generated
        from information_schema.columns c
        join pg_attribute a on a.attrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass
             and a.attname = c.column_name
        where c.table_schema = any(%(schemas)s)""",
    "relations": """
        select n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.relacl::text
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any(%(schemas)s)""",
    "constraints": """
        select n.nspname, t.relname, k.conname, pg_get_constraintdef(k.oid)
        from pg_constraint k join pg_class t on t.oid = k.conrelid join pg_namespace n on n.oid = t.relnamespace
        where n.nspname = any(%(schemas)s)""",
    "indexes": "select schemaname, indexname, indexdef from pg_indexes where schemaname = any(%(schemas)s)",
    "functions": """
        select n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), pg_get_function_result(p.oid),
               l.lanname, p.prosecdef, p.provolatile, p.proconfig, md5(p.prosrc), p.proacl::text
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
        where n.nspname = any(%(schemas)s)""",
    "policies": """
        select schemaname, tablename, policyname, permissive, roles::text, cmd, qual, with_check
        from pg_policies where schemaname = any(%(schemas)s || array['storage'])""",
    "triggers": """
        select n.nspname, c.relname, pg_get_triggerdef(t.oid)
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where not t.tgisinternal and n.nspname = any(%(schemas)s || array['auth'])""",
    "extensions": """
        select e.extname, e.extversion, n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace""",
    "publication": "select pubname, schemaname, tablename from pg_publication_tables",
    "buckets": """
        select id, name, public, file_size_limit, allowed_mime_types::text from storage.buckets""",
    "schemas": "select nspname, nspacl::text from pg_namespace where nspname = any(%(schemas)s)",
    "views": """
        select schemaname, viewname, definition from pg_views where schemaname = any(%(schemas)s)""",
}


def catalog(conn: psycopg.Connection) -> dict[str, list[tuple[object, ...]]]:
    """Every query's rows, sorted (their order in the catalog is not the project's business)."""
    return {name: sorted(conn.execute(q, {"schemas": SCHEMAS}).fetchall(), key=repr)  # type: ignore[arg-type]
            for name, q in _QUERIES.items()}
