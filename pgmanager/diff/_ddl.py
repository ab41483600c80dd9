"""The DDL that creates, drops or alters one object, from what the catalog said about it.

Names are quoted with psycopg.sql.Identifier; the definitions the server wrote (pg_get_*def, pg_get_expr,
format_type, quote_ident) are taken as they are: they are SQL already.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from ._catalog import Obj, Snapshot

Stmt = sql.Composable


def ident(obj: Obj) -> sql.Composable:
    return sql.Identifier(obj.schema, obj.name) if obj.schema else sql.Identifier(obj.name)


def table_of(obj: Obj) -> sql.Composable:
    """The owning table of a column, constraint, trigger or policy (its identity is quote_ident'ed)."""
    return sql.SQL(obj.parent or "")


def render(stmt: Stmt) -> str:
    return stmt.as_string(None)


# ------------------------------------------------------------------ create


def column_def(c: Obj) -> sql.Composable:
    p = c.props
    parts: list[sql.Composable] = [sql.Identifier(c.name), sql.SQL(p["type"])]
    if p.get("collation"):
        parts.append(sql.SQL("collate {}").format(sql.SQL(p["collation"])))
    if p.get("generated"):
        parts.append(sql.SQL("generated always as ({}) stored").format(sql.SQL(p["generated"])))
    elif p.get("identity"):
        parts.append(sql.SQL("generated {} as identity").format(sql.SQL(p["identity"])))
    elif p.get("default") is not None:
        parts.append(sql.SQL("default {}").format(sql.SQL(p["default"])))
    if p.get("not_null") and not p.get("identity"):
        parts.append(sql.SQL("not null"))
    return sql.SQL(" ").join(parts)


def options(options: list[str]) -> sql.Composable:
    return sql.SQL(" with ({})").format(sql.SQL(", ").join(map(sql.SQL, options))) if options else sql.SQL("")


def create(obj: Obj, snap: Snapshot) -> list[Stmt]:
    """Statements that create ``obj`` as ``snap`` (the project's side) has it."""
    p, name = obj.props, ident(obj)
    match obj.kind:
        case "schema":
            return [sql.SQL("create schema {}").format(name)]
        case "extension":
            return [sql.SQL("create extension if not exists {} with schema {}").format(
                sql.Identifier(obj.name), sql.Identifier(p["schema"]))]
        case "type":
            return [_create_type(obj)]
        case "sequence":
            return [sql.SQL("create sequence {} as {} increment by {} minvalue {} maxvalue {} start with {} "
                            "cache {}{}").format(name, sql.SQL(p["type"]), *(sql.SQL(p[k]) for k in (
                                "increment", "min", "max", "start", "cache")),
                                                 sql.SQL(" cycle" if p["cycle"] else ""))]
        case "function":
            return [sql.SQL(obj.extra["definition"].rstrip().rstrip(";"))]
        case "table":
            return _create_table(obj, snap)
        case "column":
            return [sql.SQL("alter table {} add column {}").format(table_of(obj), column_def(obj))]
        case "constraint":
            return [sql.SQL("alter table {} add constraint {} {}").format(
                table_of(obj), sql.Identifier(obj.name), sql.SQL(p["definition"]))]
        case "index":
            return [sql.SQL(p["definition"])]
        case "trigger":
            out: list[Stmt] = [sql.SQL(p["definition"])]
            if p["enabled"] != "O":
                mode = {"D": "disable", "R": "enable replica", "A": "enable always"}[p["enabled"]]
                out.append(sql.SQL("alter table {} {} trigger {}").format(table_of(obj), sql.SQL(mode),
                                                                          sql.Identifier(obj.name)))
            return out
        case "policy":
            return [_create_policy(obj)]
        case "view" | "materialized view":
            return [sql.SQL("create {} {}{} as\n{}").format(sql.SQL(obj.kind), name, options(p["options"]),
                                                           sql.SQL(p["definition"].rstrip().rstrip(";")))]
        case "publication":
            return [_create_publication(obj)]
        case "grant":
            return [grant(obj, obj.props["privileges"], revoke=False)]
    raise ValueError(f"no DDL for {obj.kind}")


def _create_type(obj: Obj) -> Stmt:
    p, name = obj.props, ident(obj)
    if "enum" in p:
        return sql.SQL("create type {} as enum ({})").format(name, sql.SQL(", ").join(map(sql.Literal, p["enum"])))
    if "domain" in p:
        parts: list[sql.Composable] = [sql.SQL("create domain {} as {}").format(name, sql.SQL(p["domain"]))]
        if p["default"] is not None:
            parts.append(sql.SQL("default {}").format(sql.SQL(p["default"])))
        if p["not_null"]:
            parts.append(sql.SQL("not null"))
        parts += [sql.SQL(c) for c in p["constraints"]]
        return sql.SQL(" ").join(parts)
    return sql.SQL("create type {} as ({})").format(name, sql.SQL(", ").join(map(sql.SQL, p["composite"])))


def _create_table(obj: Obj, snap: Snapshot) -> list[Stmt]:
    p, name = obj.props, ident(obj)
    persistence = sql.SQL("unlogged " if p["unlogged"] else "")
    if p["partition_of"]:
        head = sql.SQL("create {}table {} partition of {} {}").format(persistence, name, sql.SQL(p["partition_of"]),
                                                                       sql.SQL(p["partition_bound"]))
    else:
        cols = sorted((o for o in snap.objects.values() if o.kind == "column" and o.parent == obj.identity),
                      key=lambda c: c.extra["num"])
        body = sql.SQL(",\n    ").join(column_def(c) for c in cols)
        head = sql.SQL("create {}table {} (\n    {}\n){}").format(
            persistence, name, body, sql.SQL(f" partition by {p['partition_by']}" if p["partition_by"] else ""))
    out: list[Stmt] = [sql.Composed([head, options(p["options"])])]
    out += rls(obj, {"rls_enabled": (False, p["rls_enabled"]), "rls_forced": (False, p["rls_forced"])})
    return out


def _create_policy(obj: Obj) -> Stmt:
    p = obj.props
    parts: list[sql.Composable] = [sql.SQL("create policy {} on {} as {} for {} to {}").format(
        sql.Identifier(obj.name), table_of(obj), sql.SQL("permissive" if p["permissive"] else "restrictive"),
        sql.SQL(p["command"]), sql.SQL(", ").join(map(sql.SQL, p["roles"] or ["public"])))]
    if p["using"] is not None:
        parts.append(sql.SQL("using ({})").format(sql.SQL(p["using"])))
    if p["with_check"] is not None:
        parts.append(sql.SQL("with check ({})").format(sql.SQL(p["with_check"])))
    return sql.SQL("\n    ").join(parts)


def _publication_target(p: dict[str, Any]) -> sql.Composable:
    if p["all_tables"]:
        return sql.SQL(" for all tables")
    if p["tables"]:
        return sql.SQL(" for table {}").format(sql.SQL(", ").join(map(sql.SQL, p["tables"])))
    return sql.SQL("")


def _create_publication(obj: Obj) -> Stmt:
    p = obj.props
    return sql.SQL("create publication {}{} with (publish = {})").format(
        sql.Identifier(obj.name), _publication_target(p), sql.Literal(", ".join(p["publish"])))


def grant(obj: Obj, privileges: list[str], *, revoke: bool) -> Stmt:
    """GRANT (or REVOKE) ``privileges`` ('SELECT', 'INSERT*' for WITH GRANT OPTION) on the grant's object."""
    on = {"table": "table", "sequence": "sequence", "function": "routine", "schema": "schema"}[obj.extra["on_kind"]]
    plain = sorted({x.rstrip("*") for x in privileges})
    target = sql.SQL("{} {}").format(sql.SQL(on), sql.SQL(obj.extra["on"]))
    privs = sql.SQL(", ").join(map(sql.SQL, plain))
    if revoke:
        return sql.SQL("revoke {} on {} from {}").format(privs, target, sql.SQL(obj.name))
    stmt = sql.SQL("grant {} on {} to {}").format(privs, target, sql.SQL(obj.name))
    optioned = sorted(x.rstrip("*") for x in privileges if x.endswith("*"))
    if optioned:
        stmt = sql.Composed([stmt, sql.SQL("; grant {} on {} to {} with grant option").format(
            sql.SQL(", ").join(map(sql.SQL, optioned)), target, sql.SQL(obj.name))])
    return stmt


# ------------------------------------------------------------------ drop, alter


def drop(obj: Obj) -> list[Stmt]:
    name = ident(obj)
    match obj.kind:
        case "column":
            return [sql.SQL("alter table {} drop column {}").format(table_of(obj), sql.Identifier(obj.name))]
        case "constraint":
            return [sql.SQL("alter table {} drop constraint {}").format(table_of(obj), sql.Identifier(obj.name))]
        case "trigger" | "policy":
            return [sql.SQL("drop {} {} on {}").format(sql.SQL(obj.kind), sql.Identifier(obj.name), table_of(obj))]
        case "function":
            return [sql.SQL("drop {} {}({})").format(sql.SQL(obj.extra["routine"]), name, sql.SQL(obj.extra["args"]))]
        case "extension" | "publication":
            return [sql.SQL("drop {} {}").format(sql.SQL(obj.kind), sql.Identifier(obj.name))]
        case "grant":
            return [grant(obj, obj.props["privileges"], revoke=True)]
    return [sql.SQL("drop {} {}").format(sql.SQL(obj.kind), name)]


def rls(table: Obj, changed: dict[str, tuple[Any, Any]]) -> list[Stmt]:
    out: list[Stmt] = []
    name = ident(table)
    if "rls_enabled" in changed and changed["rls_enabled"][0] != changed["rls_enabled"][1]:
        verb = "enable" if changed["rls_enabled"][1] else "disable"
        out.append(sql.SQL("alter table {} {} row level security").format(name, sql.SQL(verb)))
    if "rls_forced" in changed and changed["rls_forced"][0] != changed["rls_forced"][1]:
        verb = "force" if changed["rls_forced"][1] else "no force"
        out.append(sql.SQL("alter table {} {} row level security").format(name, sql.SQL(verb)))
    return out


def alter_column(col: Obj, changed: dict[str, tuple[Any, Any]]) -> list[Stmt]:
    """In-place changes of a column (type, default, not null, identity); generated columns are rebuilt elsewhere."""
    base = sql.SQL("alter table {} alter column {} ").format(table_of(col), sql.Identifier(col.name))
    p = col.props
    out: list[Stmt] = []
    if "type" in changed or "collation" in changed:
        coll = sql.SQL(" collate {}").format(sql.SQL(p["collation"])) if p.get("collation") else sql.SQL("")
        out.append(sql.Composed([base, sql.SQL("type {}{} using {}::{}").format(
            sql.SQL(p["type"]), coll, sql.Identifier(col.name), sql.SQL(p["type"]))]))
    if "identity" in changed:
        before, after = changed["identity"]
        if after is None:
            out.append(sql.Composed([base, sql.SQL("drop identity")]))
        elif before is None:
            out.append(sql.Composed([base, sql.SQL("add generated {} as identity").format(sql.SQL(after))]))
        else:
            out.append(sql.Composed([base, sql.SQL("set generated {}").format(sql.SQL(after))]))
    if "default" in changed:
        after = changed["default"][1]
        out.append(sql.Composed([base, sql.SQL("drop default") if after is None else
                                 sql.SQL("set default {}").format(sql.SQL(after))]))
    if "not_null" in changed and not p.get("identity"):
        out.append(sql.Composed([base, sql.SQL("set not null" if p["not_null"] else "drop not null")]))
    return out


def alter_sequence(seq: Obj) -> Stmt:
    p = seq.props
    return sql.SQL("alter sequence {} as {} increment by {} minvalue {} maxvalue {} start with {} cache {} {}").format(
        ident(seq), sql.SQL(p["type"]), *(sql.SQL(p[k]) for k in ("increment", "min", "max", "start", "cache")),
        sql.SQL("cycle" if p["cycle"] else "no cycle"))


def alter_publication(pub: Obj, changed: dict[str, tuple[Any, Any]]) -> list[Stmt]:
    p, name = pub.props, sql.Identifier(pub.name)
    out: list[Stmt] = []
    if "publish" in changed:
        out.append(sql.SQL("alter publication {} set (publish = {})").format(
            name, sql.Literal(", ".join(p["publish"]))))
    if "tables" in changed and not p["all_tables"]:
        tables = p["tables"] or changed["tables"][0] or []
        verb = sql.SQL("set" if p["tables"] else "drop")
        out.append(sql.SQL("alter publication {} {} table {}").format(name, verb,
                                                                      sql.SQL(", ").join(map(sql.SQL, tables))))
    return out
